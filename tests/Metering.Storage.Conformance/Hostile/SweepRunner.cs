using System.Globalization;
using System.Text;

namespace Metering.Storage.Conformance.Hostile;

/// <summary>One call of a sweep: a name for the failure message, whether success may change the store, and the call.</summary>
/// <param name="Name">What is called with what, e.g. <c>RecordAsync(customerId=LoneHighSurrogate(base\uD83D))</c>.</param>
/// <param name="MayChange">False for reads: even a successful call must leave the store as it was.</param>
/// <param name="Run">The call; returns its result (a usage outcome, a list of outcomes, or any value).</param>
/// <param name="MustAnswer">The answer the issue #11 contract prescribes (see <see cref="HostileContract"/>), or null.</param>
public sealed record SweepCall(string Name, bool MayChange, Func<TestMetering, SweepState, Task<object?>> Run, string? MustAnswer = null);

/// <summary>What a sweep has learnt about the store so far: ids that exist, and the quantity accepted for the base subscription.</summary>
public sealed class SweepState
{
    /// <summary>Customer ids known to exist (all well-formed), read by every snapshot.</summary>
    public HashSet<string> Customers { get; } = new(StringComparer.Ordinal);

    /// <summary>Sum of the quantities of every record accepted on the base subscription's <c>api_calls</c> meter.</summary>
    public decimal BaseQuantity { get; set; }
}

/// <summary>
/// Runs sweep calls one by one on one store, checking each: the answer is a typed outcome or a typed exception
/// (<see cref="MeteringException"/> or the <see cref="ArgumentException"/> family, never a raw database, encoding,
/// overflow, JSON or cast error); a call that was rejected, threw or only read left the store exactly as it was.
/// Returns the transcript of answers, to be compared with the in-memory store's.
/// </summary>
public static class SweepRunner
{
    /// <summary>Runs <paramref name="calls"/> in order and returns one answer line per call.</summary>
    public static async Task<List<string>> RunAsync(TestMetering billing, SweepState state, IReadOnlyList<SweepCall> calls, int seed)
    {
        var transcript = new List<string>(calls.Count);
        for (int step = 0; step < calls.Count; step++)
        {
            var call = calls[step];
            var where = $"seed {seed}, step {step}: {call.Name}";
            var before = await StoreSnapshot.TakeAsync(billing.Store, state.Customers);
            string answer;
            bool changed;
            try
            {
                var result = await call.Run(billing, state);
                (answer, changed) = Describe(result);
                changed &= call.MayChange;
            }
            catch (Exception e) when (IsTyped(e))
            {
                (answer, changed) = ($"throws {e.GetType().Name}", false);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{where} threw an untyped {e.GetType().FullName}; hostile input must get a typed outcome or a MeteringException/ArgumentException.\n{e}");
            }

            if (call.MustAnswer is { } must)
            {
                answer.Should().Be(must, where);
            }

            if (!changed)
            {
                var after = await StoreSnapshot.TakeAsync(billing.Store, state.Customers);
                after.Should().Be(before, $"{where} answered '{answer}', so it must not change the store");
            }

            transcript.Add($"{step} {call.Name} -> {answer}");
        }

        return transcript;
    }

    /// <summary>True for the exceptions a caller can act on: <see cref="MeteringException"/> and the <see cref="ArgumentException"/> family.</summary>
    public static bool IsTyped(Exception exception) => exception is MeteringException or ArgumentException;

    private static (string Answer, bool Changed) Describe(object? result) => result switch
    {
        UsageOutcome outcome => (Describe(outcome), outcome.Kind == UsageOutcomeKind.Accepted),
        IReadOnlyList<UsageOutcome> outcomes => (string.Join(" | ", outcomes.Select(Describe)), outcomes.Any(o => o.Kind == UsageOutcomeKind.Accepted)),
        null => ("null", false),
        System.Collections.ICollection items => ($"ok {items.Count} items", true),
        _ => ("ok " + result.GetType().Name, true),
    };

    private static string Describe(UsageOutcome outcome) =>
        outcome.Rejection is { } rejection ? string.Create(CultureInfo.InvariantCulture, $"{outcome.Kind}({rejection.Reason})") : outcome.Kind.ToString();

    /// <summary>The first difference of two transcripts, for a readable failure message; null when equal.</summary>
    public static string? FirstDifference(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = i < expected.Count ? expected[i] : "<none>";
            var a = i < actual.Count ? actual[i] : "<none>";
            if (!string.Equals(e, a, StringComparison.Ordinal))
            {
                return new StringBuilder().Append("in-memory: ").AppendLine(e).Append("this store: ").Append(a).ToString();
            }
        }

        return null;
    }
}
