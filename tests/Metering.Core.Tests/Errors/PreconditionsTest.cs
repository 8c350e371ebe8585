namespace Metering.Tests.Errors;

using System.Globalization;
using Metering;

/// <summary>
/// Checks with interpolated messages format them only when they fail: a passing check on a hot path (every aggregate
/// row a store reads back) formats nothing and allocates nothing.
/// </summary>
public class PreconditionsTest
{
    [Fact]
    public void PassingCheck_DoesNotFormatItsMessage()
    {
        var probe = new FormattingProbe();

        Preconditions.CheckArgument(true, "value", $"never shown: {probe} and {probe,8:N2}");

        probe.Calls.Should().Be(0);
    }

    [Fact]
    public void FailingCheck_ThrowsWithTheMessageFormattedLikeAnInterpolatedString()
    {
        var probe = new FormattingProbe();
        decimal amount = 1234.5m;
        var expected = $"bad {probe} {amount,10:F2} {Aggregation.Max} '{"text"}'";
        probe.Calls = 0;

        var act = () => Preconditions.CheckArgument(false, "amount", $"bad {probe} {amount,10:F2} {Aggregation.Max} '{"text"}'");

        var error = act.Should().Throw<ArgumentException>().Which;
        error.ParamName.Should().Be("amount");
        error.Message.Should().StartWith(expected);
        probe.Calls.Should().Be(1);
    }

    [Theory]
    [InlineData(Aggregation.Sum)]
    [InlineData(Aggregation.Count)]
    [InlineData(Aggregation.Max)]
    [InlineData(Aggregation.Last)]
    public void RestoringAValidAggregate_AllocatesNothing(Aggregation kind)
    {
        // The aggregate every current-usage read restores per row: its checks pass, so no message may be built.
        decimal value = kind == Aggregation.Count ? 0m : 12.5m;
        var at = Instant.FromUtc(2026, 1, 2, 3, 4);
        _ = UsageAggregate.Restore(kind, value, 3, at, null, hasSet: false);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var restored = UsageAggregate.Restore(kind, value, 3, at, null, hasSet: false);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        restored.RecordCount.Should().Be(3);
        allocated.Should().Be(0);
    }

    private sealed class FormattingProbe
    {
        public int Calls { get; set; }

        public override string ToString()
        {
            Calls++;
            return string.Create(CultureInfo.InvariantCulture, $"probe{Calls}");
        }
    }
}
