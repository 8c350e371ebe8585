using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Metering.Benchmarks.Load;

/// <summary>
/// <c>load --store postgres --instances N</c>: one server and one database; this process creates the schema and the
/// subscriptions once, then starts N OS processes (<see cref="LoadChild"/>, this same assembly) that warm up, record
/// their shares concurrently on one signal, and then all close the period at once. It prints combined records/s and
/// the exactly-once checks: every accepted record stored once, the stored rows equal the records sent, one invoice per
/// subscription, invoiced events equal recorded events.
/// </summary>
public static class MultiInstanceRun
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>Runs it; returns the exit code (0 ok, 1 checks failed).</summary>
    public static async Task<int> RunAsync(LoadOptions options, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        int n = options.Instances;
        await using var target = new PostgresLoadTarget();
        // Each instance has its own pool; keep their sum under the private server's max_connections (400).
        var connectionString = new NpgsqlConnectionStringBuilder(target.CreateMeteringDatabase()) { MaxPoolSize = Math.Max(20, 300 / n) }.ConnectionString;
        void Log(string message) => errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[load] {message}"));

        Log($"store postgres ({target.ServerSettings}), {n} instance(s): subscribing {options.Subscriptions:N0} customers once");
        Instant closeAt;
        await using (var setup = LoadPlan.Create(Start, b => b.UsePostgreSql(connectionString)))
        {
            await LoadPlan.AddCustomersAsync(setup.Subscriptions, options.Subscriptions, Environment.ProcessorCount, cancellationToken).ConfigureAwait(false);
            var grace = setup.Services.GetRequiredService<IOptions<MeteringOptions>>().Value.GracePeriod;
            closeAt = (await setup.Subscriptions.GetAsync(LoadPlan.SubscriptionId(0), cancellationToken).ConfigureAwait(false))!.CurrentPeriod.End + grace;
        }

        var clockStart = Start + Duration.FromDays(1);
        var children = new List<Process>();
        try
        {
            for (int i = 0; i < n; i++)
            {
                children.Add(StartChild(connectionString, i, options, clockStart, errors));
            }

            Log($"{n} instance(s) warming up ({LoadChild.WarmupShare(options.Records, n, options.Producers):N0} records each)");
            await Task.WhenAll(children.Select(c => ReadAsync(c, "READY"))).ConfigureAwait(false);
            Log($"recording {options.Records:N0} records: {n} instance(s) x {options.Producers} producers, {(options.Batch == 1 ? "RecordAsync" : $"RecordBatchAsync of {options.Batch}")}");
            long started = Stopwatch.GetTimestamp();
            foreach (var child in children)
            {
                await child.StandardInput.WriteLineAsync("GO").ConfigureAwait(false);
                await child.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            var recorded = await Task.WhenAll(children.Select(c => ReadAsync(c, "RECORDED"))).ConfigureAwait(false);
            var wall = Stopwatch.GetElapsedTime(started);
            var instances = recorded.Select(r => new InstanceRun(
                long.Parse(r[1], CultureInfo.InvariantCulture),
                TimeSpan.FromTicks(long.Parse(r[2], CultureInfo.InvariantCulture)),
                TimeSpan.FromTicks(long.Parse(r[3], CultureInfo.InvariantCulture)),
                double.Parse(r[4], CultureInfo.InvariantCulture),
                double.Parse(r[5], CultureInfo.InvariantCulture))).ToArray();
            long accepted = instances.Sum(i => i.Accepted);
            Log($"  {accepted:N0} accepted in {wall.TotalSeconds:F2} s (wall, GO to the last RECORDED)");

            Log($"period close: {n} instance(s) close the period at once");
            long closeStarted = Stopwatch.GetTimestamp();
            foreach (var child in children)
            {
                await child.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"CLOSE {closeAt.ToUnixTimeTicks()}")).ConfigureAwait(false);
                await child.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            var closed = await Task.WhenAll(children.Select(c => ReadAsync(c, "CLOSED"))).ConfigureAwait(false);
            var closeElapsed = Stopwatch.GetElapsedTime(closeStarted);
            int[] invoicesPerInstance = closed.Select(c => int.Parse(c[1], CultureInfo.InvariantCulture)).ToArray();
            foreach (var child in children)
            {
                await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }

            var checks = await CheckAsync(connectionString, options, n, accepted, invoicesPerInstance, clockStart, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Table(options, target.ServerSettings, instances, accepted, wall, closeElapsed, invoicesPerInstance, checks)).ConfigureAwait(false);
            await output.WriteLineAsync(Json(options, instances, accepted, wall, closeElapsed, invoicesPerInstance, checks)).ConfigureAwait(false);
            return checks.Problems.Count == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }

            NpgsqlConnection.ClearAllPools();
        }
    }

    private static Process StartChild(string connectionString, int instance, LoadOptions options, Instant clockStart, TextWriter errors)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            typeof(LoadChild).Assembly.Location, LoadChild.Verb, connectionString, Str(instance), Str(options.Instances), Str(options.Producers),
            Str(options.Records), Str(options.Subscriptions), Str(options.Batch), clockStart.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start a load-child process.");
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.WriteLine($"[instance {instance}] {e.Data}");
                }
            }
        };
        child.BeginErrorReadLine();
        return child;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<string[]> ReadAsync(Process child, string expected)
    {
        var line = await child.StandardOutput.ReadLineAsync().ConfigureAwait(false);
        var parts = line?.Split(' ') ?? [];
        if (parts.Length == 0 || parts[0] != expected)
        {
            await child.WaitForExitAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"A load-child printed '{line}' where '{expected}' was expected (exit code {child.ExitCode}; its stderr is above).");
        }

        return parts;
    }

    private static async Task<Checks> CheckAsync(string connectionString, LoadOptions options, int n, long accepted, int[] invoicesPerInstance, Instant clockStart, CancellationToken cancellationToken)
    {
        // The records the children sent, rebuilt from the same deterministic plan.
        long expected = 0, expectedEvents = 0;
        for (int i = 0; i < n; i++)
        {
            var warmup = LoadRunner.BuildRecords(clockStart, LoadChild.WarmupShare(options.Records, n, options.Producers), $"w{i}-", options.Producers, options.Subscriptions);
            var mine = LoadRunner.BuildRecords(clockStart, LoadChild.Share(options.Records, n, i), $"r{i}-", options.Producers, options.Subscriptions);
            expected += warmup.Sum(r => (long)r.Length) + mine.Sum(r => (long)r.Length);
            expectedEvents += LoadRunner.CountEvents(warmup) + LoadRunner.CountEvents(mine);
        }

        long timedExpected = options.Records;
        long warmupTotal = expected - timedExpected;
        long rows, keys;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var count = new NpgsqlCommand("SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM metering.usage_records", connection);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            rows = reader.GetInt64(0);
            keys = reader.GetInt64(1);
        }

        // Invoices as the service lists them: one per customer (one subscription each), and their event lines.
        int invoices = 0, customersWithOne = 0;
        decimal invoicedEvents = 0;
        await using (var reader = LoadPlan.Create(clockStart, b => b.UsePostgreSql(connectionString)))
        {
            for (int c = 0; c < options.Subscriptions; c++)
            {
                var page = await reader.Invoices.ListAsync(LoadPlan.CustomerId(c), limit: 10, cancellationToken: cancellationToken).ConfigureAwait(false);
                invoices += page.Items.Count;
                customersWithOne += page.Items.Count == 1 ? 1 : 0;
                invoicedEvents += page.Items.Sum(i => i.Content.Lines.Where(l => l.ChargeKey == "events").Sum(l => l.Quantity));
            }
        }

        var problems = new List<string>();
        if (accepted != timedExpected)
        {
            problems.Add($"{timedExpected - accepted:N0} of {timedExpected:N0} timed records were not accepted");
        }

        if (rows != expected || keys != rows)
        {
            problems.Add($"{rows:N0} usage rows with {keys:N0} distinct keys stored for {expected:N0} records sent ({warmupTotal:N0} warm-up)");
        }

        if (invoicesPerInstance.Sum() != options.Subscriptions || invoices != options.Subscriptions || customersWithOne != options.Subscriptions)
        {
            problems.Add($"the instances' closes made {string.Join(" + ", invoicesPerInstance)} invoices; stored {invoices:N0} ({customersWithOne:N0} customers with exactly one) for {options.Subscriptions:N0} subscriptions");
        }

        if (invoicedEvents != expectedEvents)
        {
            problems.Add($"the invoices count {invoicedEvents:N0} events, {expectedEvents:N0} were recorded");
        }

        return new Checks(expected, rows, keys, invoices, customersWithOne, invoicedEvents, expectedEvents, problems);
    }

    private static string Table(LoadOptions o, string server, InstanceRun[] instances, long accepted, TimeSpan wall, TimeSpan close, int[] invoices, Checks checks)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(c, $"Metering multi-instance run: store=postgres, instances={instances.Length}, producers={o.Producers} per instance, records={o.Records:N0}, batch={o.Batch}, subscriptions={o.Subscriptions:N0}{(o.Quick ? " (quick)" : string.Empty)}, {Environment.ProcessorCount} cores; server: {server}"));
        text.AppendLine(new string('-', 100));
        text.AppendLine(string.Create(c, $"| combined accepted records/s         | {accepted / wall.TotalSeconds,20:N0} | {accepted:N0} records, GO to the last instance's ack in {wall.TotalSeconds:F2} s"));
        for (int i = 0; i < instances.Length; i++)
        {
            var r = instances[i];
            text.AppendLine(string.Create(c, $"| instance {i}: records/s               | {r.RecordsPerSecond,20:N0} | {r.Accepted:N0} in {r.Elapsed.TotalSeconds:F2} s; ack p50/p99 {r.AckP50:F0}/{r.AckP99:F0} us; {r.CpuMicrosecondsPerRecord:F1} us CPU/record"));
        }

        text.AppendLine(string.Create(c, $"| period close, all instances at once | {close.TotalSeconds,18:F2} s | invoices per instance: {string.Join(" + ", invoices)} = {invoices.Sum():N0}"));
        text.AppendLine(new string('-', 100));
        text.AppendLine(checks.Problems.Count == 0
            ? string.Create(c, $"checks: {checks.StoredRows:N0} rows = {checks.ExpectedRows:N0} records sent, each key once; {checks.Invoices:N0} invoices, one per subscription; invoiced events = recorded events ({checks.ExpectedEvents:N0})")
            : "CHECKS FAILED: " + string.Join("; ", checks.Problems));
        return text.ToString();
    }

    private static string Json(LoadOptions o, InstanceRun[] instances, long accepted, TimeSpan wall, TimeSpan close, int[] invoices, Checks checks)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("store", "postgres");
            json.WriteNumber("instances", instances.Length);
            json.WriteNumber("producers_per_instance", o.Producers);
            json.WriteNumber("records_per_s", Math.Round(accepted / wall.TotalSeconds));
            json.WriteNumber("sum_instance_records_per_s", Math.Round(instances.Sum(i => i.RecordsPerSecond)));
            json.WriteStartArray("instance_records_per_s");
            foreach (var i in instances)
            {
                json.WriteNumberValue(Math.Round(i.RecordsPerSecond));
            }

            json.WriteEndArray();
            json.WriteNumber("ack_p99_us_max", Math.Round(instances.Max(i => i.AckP99), 1));
            json.WriteNumber("cpu_us_per_record", Math.Round(instances.Sum(i => i.Cpu.TotalMicroseconds) / accepted, 2));
            json.WriteNumber("accepted", accepted);
            json.WriteNumber("stored_rows", checks.StoredRows);
            json.WriteNumber("expected_rows", checks.ExpectedRows);
            json.WriteNumber("distinct_keys", checks.DistinctKeys);
            json.WriteNumber("close_s", Math.Round(close.TotalSeconds, 3));
            json.WriteNumber("invoices", invoices.Sum());
            json.WriteNumber("subscriptions_invoiced_once", checks.CustomersWithOne);
            json.WriteNumber("invoiced_events", checks.InvoicedEvents);
            json.WriteNumber("recorded_events", checks.ExpectedEvents);
            json.WriteBoolean("exactly_once", checks.Problems.Count == 0);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private sealed record InstanceRun(long Accepted, TimeSpan Elapsed, TimeSpan Cpu, double AckP50, double AckP99)
    {
        public double RecordsPerSecond => Accepted / Elapsed.TotalSeconds;

        public double CpuMicrosecondsPerRecord => Cpu.TotalMicroseconds / Accepted;
    }

    private sealed record Checks(long ExpectedRows, long StoredRows, long DistinctKeys, int Invoices, int CustomersWithOne, decimal InvoicedEvents, long ExpectedEvents, IReadOnlyList<string> Problems);
}
