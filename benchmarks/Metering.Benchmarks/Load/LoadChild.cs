using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Benchmarks.Load;

/// <summary>
/// One instance of a multi-instance PostgreSQL run (<see cref="MultiInstanceRun"/>), started by the parent as
/// <c>dotnet Metering.Benchmarks.dll load-child &lt;connection string&gt; &lt;instance&gt; &lt;instances&gt; &lt;producers&gt;
/// &lt;records&gt; &lt;subscriptions&gt; &lt;batch&gt; &lt;clock start, Unix ticks&gt;</c>. It records a warm-up and prints
/// <c>READY</c>; on <c>GO</c> its producers record its share of the records (keys <c>r{instance}-…</c>, disjoint from the
/// other instances') and it prints <c>RECORDED &lt;accepted&gt; &lt;elapsed ticks&gt; &lt;CPU ticks&gt; &lt;ack p50 us&gt; &lt;ack p99 us&gt;</c>;
/// on <c>CLOSE &lt;Unix ticks&gt;</c> it moves its clock there, closes what is due and prints <c>CLOSED &lt;invoices&gt;</c>.
/// A failure goes to stderr with exit code 1.
/// </summary>
public static class LoadChild
{
    /// <summary>The hidden verb that runs a child.</summary>
    public const string Verb = "load-child";

    /// <summary>Runs one instance; returns the exit code.</summary>
    public static async Task<int> RunAsync(ReadOnlyMemory<string> arguments, TextReader input, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        try
        {
            var args = arguments.Span;
            var connectionString = args[0];
            int instance = Int(args[1]), instances = Int(args[2]), producers = Int(args[3]), records = Int(args[4]), subscriptions = Int(args[5]), batch = Int(args[6]);
            var clockStart = Instant.FromUnixTimeTicks(long.Parse(args[7], CultureInfo.InvariantCulture));

            await using var metering = LoadPlan.Create(clockStart, b => b.UsePostgreSql(connectionString));
            var now = metering.Clock.Now;
            var warmup = LoadRunner.BuildRecords(now, WarmupShare(records, instances, producers), $"w{instance}-", producers, subscriptions);
            var mine = LoadRunner.BuildRecords(now, Share(records, instances, instance), $"r{instance}-", producers, subscriptions);
            var warmed = await LoadRunner.RecordAsync(metering.Recorder, warmup, batch, CancellationToken.None).ConfigureAwait(false);
            if (warmed.FirstProblem is not null)
            {
                throw new InvalidOperationException($"Warm-up record not accepted: {warmed.FirstProblem}");
            }

            await output.WriteLineAsync("READY").ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
            await ExpectAsync(input, "GO").ConfigureAwait(false);

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var run = await LoadRunner.RecordAsync(metering.Recorder, mine, batch, CancellationToken.None).ConfigureAwait(false);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            if (run.FirstProblem is not null)
            {
                await errors.WriteLineAsync($"instance {instance}: first record not accepted: {run.FirstProblem}").ConfigureAwait(false);
            }

            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"RECORDED {run.Accepted} {run.Elapsed.Ticks} {cpu.Ticks} {run.Ack.P50Microseconds:F1} {run.Ack.P99Microseconds:F1}")).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);

            var close = await ExpectAsync(input, "CLOSE").ConfigureAwait(false);
            metering.Clock.AdvanceTo(Instant.FromUnixTimeTicks(long.Parse(close, CultureInfo.InvariantCulture)));
            var report = await metering.PeriodCloser.CloseDueAsync(CancellationToken.None).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"CLOSED {report.Invoices.Count}")).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
            return 0;
        }
#pragma warning disable CA1031 // A child reports any failure to its parent on stderr.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await errors.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Records instance <paramref name="instance"/> records in the timed run.</summary>
    public static int Share(int records, int instances, int instance) => (records / instances) + (instance < records % instances ? 1 : 0);

    /// <summary>Warm-up records of each instance.</summary>
    public static int WarmupShare(int records, int instances, int producers) => Math.Max(producers, records / instances / 20);

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    // Returns what follows the command word.
    private static async Task<string> ExpectAsync(TextReader input, string command)
    {
        var line = await input.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidOperationException($"stdin closed before {command}.");
        if (!line.StartsWith(command, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Expected '{command}', got '{line}'.");
        }

        return line[command.Length..].Trim();
    }
}
