using System.Globalization;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Samples.ApiProduct;

/// <summary>The figures the API product demo ends with (what its test checks).</summary>
/// <param name="MidPeriodEstimate">The running bill one week into the first period.</param>
/// <param name="Retry">The outcomes of the deliberately retried batch.</param>
/// <param name="PlanChangeInvoice">The invoice of the first period, closed on the old plan by the upgrade.</param>
/// <param name="FinalInvoice">The invoice of the last period, issued by the closer after the cancellation took effect.</param>
/// <param name="Subscription">The subscription at the end (ended).</param>
public sealed record ApiProductDemoResult(
    CalculatedInvoice MidPeriodEstimate,
    IReadOnlyList<UsageOutcome> Retry,
    Invoice PlanChangeInvoice,
    Invoice FinalInvoice,
    Subscription Subscription);

/// <summary>
/// A developer-API product: every request costs EUR 0.002, storage is billed on the last reading of the
/// period and connections on the period's peak. The API gateway reports usage in daily batches with
/// idempotency keys (and retries one); the customer upgrades mid-cycle, then cancels at period end.
/// </summary>
public static class ApiProductDemo
{
    /// <summary>The customer's time zone: periods start at midnight in Berlin.</summary>
    public const string TimeZone = "Europe/Berlin";

    private const string Customer = "acme";
    private const string SubscriptionId = "sub-acme";

    // Four gateway flushes a day: 1,200 + 3,400 + 2,900 + 1,501 = 9,001 requests.
    private static readonly decimal[] RequestsPerFlush = [1_200m, 3_400m, 2_900m, 1_501m];
    private static readonly int[] FlushHours = [6, 12, 18, 23];

    /// <summary>Runs the demo, writing to <paramref name="output"/>; returns its key figures.</summary>
    /// <param name="output">Where the report is printed.</param>
    /// <param name="useStore">Picks the store (the program passes the in-memory store).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<ApiProductDemoResult> RunAsync(TextWriter output, Action<MeteringBuilder> useStore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(useStore);

        // 1 May 2026, 00:00 in Berlin (CEST, UTC+2). A test clock lets the demo live through two periods in a second.
        var zone = DateTimeZoneProviders.Tzdb[TimeZone];
        var start = new LocalDateTime(2026, 5, 1, 0, 0).InZoneStrictly(zone).ToInstant();
        var clock = new TestClock(start);
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        var builder = services.AddMetering(o => o
            .AddMeter(Meter.Sum("api_requests").WithDisplayName("API requests"))
            .AddMeter(Meter.Last("storage_gb").WithDisplayName("Storage (GB, last reading)").WithUnit("GB"))
            .AddMeter(Meter.Max("connections").WithDisplayName("Concurrent connections (peak)"))
            .AddPlan(Plan.Create("api-starter", Currency.EUR, BillingInterval.Months(1))
                .WithDisplayName("API Starter")
                .WithBaseFee(29.00m)
                .WithCharge("api_requests", PricingModel.PerUnit(0.002m), c => c.DisplayName = "API requests")
                .WithCharge("storage_gb", PricingModel.PerUnit(0.25m), c => c.DisplayName = "Storage (GB)")
                .WithCharge("connections", PricingModel.PerUnit(0.50m), c => c.DisplayName = "Peak connections")
                .Build())
            .AddPlan(Plan.Create("api-growth", Currency.EUR, BillingInterval.Months(1))
                .WithDisplayName("API Growth")
                .WithBaseFee(99.00m)
                .WithCharge("api_requests", PricingModel.PerUnit(0.0015m, includedUnits: 100_000m), c => c.DisplayName = "API requests")
                .WithCharge("storage_gb", PricingModel.PerUnit(0.20m), c => c.DisplayName = "Storage (GB)")
                .WithCharge("connections", PricingModel.PerUnit(0.40m), c => c.DisplayName = "Peak connections")
                .Build()));
        useStore(builder);
        await using var provider = services.BuildServiceProvider();

        var subscriptions = provider.GetRequiredService<ISubscriptionService>();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        var usage = provider.GetRequiredService<IUsageQuery>();
        var closer = provider.GetRequiredService<IPeriodCloser>();

        await subscriptions.CreateCustomerAsync(Customer, "Acme Robotics GmbH", TimeZone, cancellationToken);
        var subscription = await subscriptions.SubscribeAsync(
            new SubscribeRequest { CustomerId = Customer, PlanKey = "api-starter", SubscriptionId = SubscriptionId },
            cancellationToken);
        output.WriteLine($"Subscribed {Customer} to API Starter (EUR 29.00/month + EUR 0.002 per request); period {Format(subscription.CurrentPeriod, zone)}.");
        output.WriteLine();
        output.WriteLine("Daily gateway batches:");
        output.WriteLine($"  {"Day",-14} {"Records",7} {"Accepted",8} {"Duplicate",9} {"Requests",9} {"Storage",8} {"Peak",5}");
        output.WriteLine($"  {new string('-', 14)} {new string('-', 7)} {new string('-', 8)} {new string('-', 9)} {new string('-', 9)} {new string('-', 8)} {new string('-', 5)}");

        CalculatedInvoice? estimate = null;
        IReadOnlyList<UsageOutcome> retry = [];
        for (int day = 0; day < 14; day++)
        {
            var batch = DailyBatch(start, day);
            if (day == 6)
            {
                // A storage reading from three days ago arrives late: Last goes by timestamp, so it does not win.
                batch.Add(new UsageRecord(Customer, "storage_gb", 13m, start + Duration.FromDays(3) + Duration.FromHours(12), "sto-3-late"));
            }

            await SendAsync(output, recorder, clock, zone, start, day, batch, cancellationToken);
            if (day == 3)
            {
                // The gateway never saw the acknowledgement of day 3's batch and sends it again, same keys, same content.
                retry = await SendAsync(output, recorder, clock, zone, start, day, DailyBatch(start, day), cancellationToken, label: " (retry)");
            }

            if (day == 6)
            {
                var current = await usage.GetCurrentAsync(SubscriptionId, cancellationToken);
                estimate = current.Estimate;
                output.WriteLine();
                output.WriteLine($"Running totals after {Date(clock.Now, zone)}:");
                PrintUsage(output, current.Usage);
                output.WriteLine();
                output.WriteLine("Running bill (if the period closed now):");
                PrintInvoice(output, current.Estimate);
                output.WriteLine();
            }
        }

        // Two weeks in, the customer upgrades: the first period is closed and invoiced on Starter at this moment. The
        // billing anchor is reset to the upgrade, so Growth bills full months from 15 May (the default,
        // PlanChangeAnchor.Keep, would run Growth to 1 June with its base fee prorated, then bill on the 1st as before).
        clock.AdvanceTo(start + Duration.FromDays(14));
        var change = await subscriptions.ChangePlanAsync(SubscriptionId, "api-growth", null, PlanChangeAnchor.Reset, cancellationToken);
        output.WriteLine();
        output.WriteLine($"Upgraded to API Growth on {Date(clock.Now, zone)}; new period {Format(change.Subscription.CurrentPeriod, zone)}.");
        PrintStoredInvoice(output, change.Invoice, zone);
        output.WriteLine();

        for (int day = 14; day < 35; day++)
        {
            await SendAsync(output, recorder, clock, zone, start, day, DailyBatch(start, day), cancellationToken);
            if (day == 20)
            {
                var canceled = await subscriptions.CancelAtPeriodEndAsync(SubscriptionId, cancellationToken);
                output.WriteLine($"  Cancellation scheduled: the subscription ends {Time(canceled.CancelAt!.Value, zone)}.");
            }
        }

        // The last period ends; the closer issues its invoice and ends the subscription.
        clock.AdvanceTo(change.Subscription.CurrentPeriod.End + Duration.FromHours(2));
        var report = await closer.CloseDueAsync(cancellationToken);
        var final = report.Invoices.Single();
        var ended = await subscriptions.GetAsync(SubscriptionId, cancellationToken) ?? throw new InvalidOperationException("The subscription disappeared.");
        output.WriteLine();
        output.WriteLine($"Closer ran on {Date(clock.Now, zone)}: subscription {ended.StatusAt(clock.Now)} at {Time(ended.EndedAt!.Value, zone)}.");
        PrintStoredInvoice(output, final, zone);
        output.WriteLine();
        output.WriteLine($"Billed in all: {Amount(change.Invoice.Total + final.Total)}.");

        return new ApiProductDemoResult(estimate!, retry, change.Invoice, final, ended);
    }

    /// <summary>Day <paramref name="day"/>'s batch: four request counts, the storage reading and the connection peak.</summary>
    private static List<UsageRecord> DailyBatch(Instant start, int day)
    {
        var midnight = start + Duration.FromDays(day);
        var batch = new List<UsageRecord>(6);
        for (int i = 0; i < RequestsPerFlush.Length; i++)
        {
            batch.Add(new UsageRecord(Customer, "api_requests", RequestsPerFlush[i], midnight + Duration.FromHours(FlushHours[i]), $"req-{day}-{i}"));
        }

        var evening = midnight + Duration.FromHours(23);
        batch.Add(new UsageRecord(Customer, "storage_gb", StorageOn(day), evening, $"sto-{day}"));
        batch.Add(new UsageRecord(Customer, "connections", PeakOn(day), evening, $"con-{day}"));
        return batch;
    }

    /// <summary>Storage grows by 1 GB a day from 10 GB.</summary>
    private static decimal StorageOn(int day) => 10m + day;

    /// <summary>Peaks cycle 20, 23, ..., 38 over a week, with a launch-day spike of 64 on day 11.</summary>
    private static decimal PeakOn(int day) => day == 11 ? 64m : 20m + (day % 7 * 3m);

    private static async Task<IReadOnlyList<UsageOutcome>> SendAsync(
        TextWriter output, IUsageRecorder recorder, TestClock clock, DateTimeZone zone, Instant start, int day, List<UsageRecord> batch, CancellationToken cancellationToken, string? label = null)
    {
        var flush = start + Duration.FromDays(day) + Duration.FromHours(23) + Duration.FromMinutes(30);
        if (flush > clock.Now)
        {
            clock.AdvanceTo(flush);
        }

        var outcomes = await recorder.RecordBatchAsync(batch, cancellationToken);
        int accepted = outcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted);
        int duplicates = outcomes.Count(o => o.Kind == UsageOutcomeKind.Duplicate);
        var requests = batch.Where(r => r.MeterKey == "api_requests").Sum(r => r.Quantity);
        output.WriteLine(
            $"  {Date(start + Duration.FromDays(day), zone) + label,-14} {batch.Count,7} {accepted,8} {duplicates,9} {N(requests, "N0"),9} {N(StorageOn(day), "N0") + " GB",8} {N(PeakOn(day), "N0"),5}");
        foreach (var problem in outcomes.Where(o => !o.IsCounted))
        {
            output.WriteLine($"    {problem}");
        }

        return outcomes;
    }

    private static void PrintUsage(TextWriter output, IReadOnlyList<UsageSummary> summaries)
    {
        output.WriteLine($"  {"Meter",-14} {"Quantity",10} {"Records",8}");
        output.WriteLine($"  {new string('-', 14)} {new string('-', 10)} {new string('-', 8)}");
        foreach (var s in summaries)
        {
            output.WriteLine($"  {s.MeterKey,-14} {N(s.Quantity, "N0"),10} {s.RecordCount,8}");
        }
    }

    private static void PrintStoredInvoice(TextWriter output, Invoice invoice, DateTimeZone zone)
    {
        output.WriteLine($"Invoice #{invoice.Number} ({invoice.Reason}, {invoice.Status}) on {invoice.PlanKey} for {Format(invoice.Period, zone)}:");
        PrintInvoice(output, invoice.Content);
    }

    private static void PrintInvoice(TextWriter output, CalculatedInvoice invoice)
    {
        output.WriteLine($"  {"Line",-56} {"Qty",9} {"Unit price",10} {"Exact",12} {"Amount",12}");
        output.WriteLine($"  {new string('-', 56)} {new string('-', 9)} {new string('-', 10)} {new string('-', 12)} {new string('-', 12)}");
        foreach (var line in invoice.Lines)
        {
            var unit = line.UnitPrice is { } price ? N(price, "0.00##") : string.Empty;
            output.WriteLine($"  {line.Description,-56} {N(line.Quantity, "N0"),9} {unit,10} {N(line.ExactAmount, "0.00####"),12} {Amount(line.Amount),12}");
        }

        output.WriteLine($"  {"Total",-56} {string.Empty,9} {string.Empty,10} {string.Empty,12} {Amount(invoice.Total),12}");
    }

    private static string N(decimal value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Amount(Money money) => $"{N(money.Amount, "N2")} {money.Currency.Code}";

    private static string Date(Instant instant, DateTimeZone zone) => instant.InZone(zone).Date.ToString("d MMM", CultureInfo.InvariantCulture);

    private static string Time(Instant instant, DateTimeZone zone) => instant.InZone(zone).LocalDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Format(BillingPeriod period, DateTimeZone zone) => $"{Time(period.Start, zone)} to {Time(period.End, zone)} ({zone.Id})";
}
