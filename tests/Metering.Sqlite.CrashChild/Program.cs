using System.Globalization;
using System.Text;
using Metering;
using Metering.Sqlite.CrashChild;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

// Usage: <database> <prefix> <workers> <batches per worker, or -1 for "until killed"> <records per batch>
// Prints "<key>;" for every record once its batch is acknowledged (committed), then "done;" when finished.
// Or: sim <database> <seed> <workers>, the simulation workload (see SimulatedIngest).
// Or: events <database> <journal> <run>, a host delivering events to a journaling handler (see EventDispatchScenario).
if (args.Length > 0 && args[0] == "sim")
{
    return await SimulatedIngest.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "events")
{
    return await EventDispatchScenario.RunAsync(args[1..]);
}

if (args.Length != 5)
{
    await Console.Error.WriteLineAsync("usage: <database> <prefix> <workers> <batches|-1> <batch size>");
    return 2;
}

var path = args[0];
var prefix = args[1];
var workers = int.Parse(args[2], CultureInfo.InvariantCulture);
var batches = int.Parse(args[3], CultureInfo.InvariantCulture);
var batchSize = int.Parse(args[4], CultureInfo.InvariantCulture);

await using var billing = TestMetering.Create(IngestScenario.Configure, IngestScenario.ChildNow, b => b.UseSqlite(path));
var output = Console.Out;
var gate = new Lock();
var failures = 0;

await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
{
    for (int batch = 0; batches < 0 || batch < batches; batch++)
    {
        var keys = Enumerable.Range(0, batchSize).Select(item => IngestScenario.Key(prefix, worker, batch, item)).ToArray();
        IReadOnlyList<UsageOutcome> outcomes = batchSize == 1
            ? [await billing.Recorder.RecordAsync(IngestScenario.Record(keys[0]))]
            : await billing.Recorder.RecordBatchAsync([.. keys.Select(IngestScenario.Record)]);
        var acknowledged = new StringBuilder();
        for (int i = 0; i < keys.Length; i++)
        {
            if (outcomes[i].Kind != UsageOutcomeKind.Accepted)
            {
                Interlocked.Increment(ref failures);
                await Console.Error.WriteLineAsync($"{keys[i]}: {outcomes[i]}");
                continue;
            }

            acknowledged.Append(keys[i]).Append(";\n");
        }

        lock (gate)
        {
            output.Write(acknowledged.ToString());
        }
    }
})));

output.Write("done;\n");
return failures == 0 ? 0 : 1;
