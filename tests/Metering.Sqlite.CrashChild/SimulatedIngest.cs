using System.Globalization;
using System.Text;
using Metering.Storage.Conformance.Simulation;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.CrashChild;

/// <summary>
/// Child mode <c>sim &lt;database&gt; &lt;seed&gt; &lt;workers&gt;</c>: records the <see cref="CrashWorkload"/> batches of each worker,
/// in order, until killed, and prints <c>key=Kind;</c> for every item once its batch is acknowledged.
/// </summary>
public static class SimulatedIngest
{
    /// <summary>Runs the mode with its arguments (after <c>sim</c>).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var path = args[0];
        var seed = int.Parse(args[1], CultureInfo.InvariantCulture);
        var workers = int.Parse(args[2], CultureInfo.InvariantCulture);
        await using var billing = TestMetering.Create(SimulationWorld.Configure, CrashWorkload.ChildNow, b => b.UseSqlite(path));
        var gate = new Lock();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            // Bounded so a child the parent forgot to kill still ends.
            for (int batch = 0; batch < 100_000; batch++)
            {
                var records = CrashWorkload.Batch(seed, worker, batch);
                var outcomes = await billing.Recorder.RecordBatchAsync(records).ConfigureAwait(false);
                var acknowledged = new StringBuilder();
                for (int i = 0; i < records.Count; i++)
                {
                    acknowledged.Append(records[i].IdempotencyKey).Append('=').Append(outcomes[i].Kind).Append(";\n");
                }

                lock (gate)
                {
                    Console.Out.Write(acknowledged.ToString());
                }
            }
        }))).ConfigureAwait(false);
        return 0;
    }
}
