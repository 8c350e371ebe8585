using System.Globalization;

namespace Metering.Samples.WebPortal;

/// <summary>One seeded merchant: who they are, their plan and how busy they are each day.</summary>
/// <param name="CustomerId">The customer id (the subscription is <c>sub-{CustomerId}</c>).</param>
/// <param name="Name">The display name.</param>
/// <param name="PlanKey">The plan they start on.</param>
/// <param name="PackagesPerDay">Packages shipped each day.</param>
/// <param name="ReturnEveryDays">One return every this many days (the first on day 0).</param>
/// <param name="WelcomeCredits">A promotional grant in JMD, or 0 for none.</param>
/// <param name="ApproveFirstInvoice">True when the operator already approved last month's invoice.</param>
public sealed record SeededMerchant(string CustomerId, string Name, string PlanKey, int PackagesPerDay, int ReturnEveryDays, decimal WelcomeCredits, bool ApproveFirstInvoice)
{
    /// <summary>The merchant's subscription id.</summary>
    public string SubscriptionId => "sub-" + CustomerId;
}

/// <summary>
/// Seeds the portal once (a merchant already in the store is left alone): two Kingston merchants subscribed since the
/// start of last month, their usage day by day up to now, last month closed into invoices (one approved, one left as a
/// draft for the operator), and welcome credits for one of them.
/// </summary>
public static class PortalSeed
{
    /// <summary>The merchants, in the order the home page lists them.</summary>
    public static IReadOnlyList<SeededMerchant> Merchants { get; } =
    [
        new("kingston-parcels", "Kingston Parcels Ltd", "shipping-pro", PackagesPerDay: 5, ReturnEveryDays: 4, WelcomeCredits: 0m, ApproveFirstInvoice: true),
        new("montego-freight", "Montego Freight", "shipping-starter", PackagesPerDay: 2, ReturnEveryDays: 7, WelcomeCredits: 5_000.00m, ApproveFirstInvoice: false),
    ];

    /// <summary>The merchants' time zone.</summary>
    public const string TimeZoneId = "America/Jamaica";

    /// <summary>Seeds what is missing, then closes the periods that are due.</summary>
    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var clock = services.GetRequiredService<IClock>();
        var subscriptions = services.GetRequiredService<ISubscriptionService>();
        var recorder = services.GetRequiredService<IUsageRecorder>();
        var credits = services.GetRequiredService<ICreditService>();
        var zone = DateTimeZoneProviders.Tzdb[TimeZoneId];
        var now = clock.GetCurrentInstant();
        var today = now.InZone(zone).Date;
        var start = new LocalDate(today.Year, today.Month, 1).PlusMonths(-1).AtStartOfDayInZone(zone).ToInstant();
        var seeded = new List<SeededMerchant>();
        foreach (var merchant in Merchants)
        {
            if (await subscriptions.GetCustomerAsync(merchant.CustomerId, cancellationToken) is not null)
            {
                continue;
            }

            await subscriptions.CreateCustomerAsync(merchant.CustomerId, new CustomerDetails { Name = merchant.Name, TimeZoneId = TimeZoneId, Email = merchant.CustomerId + "@example.com" }, cancellationToken);
            await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = merchant.CustomerId, PlanKey = merchant.PlanKey, SubscriptionId = merchant.SubscriptionId, StartAt = start }, cancellationToken);
            if (merchant.WelcomeCredits > 0m)
            {
                await credits.GrantAsync(new CreditGrantRequest
                {
                    CustomerId = merchant.CustomerId,
                    Amount = new Money(merchant.WelcomeCredits, Currency.JMD),
                    Name = "Welcome credits",
                    GrantId = merchant.CustomerId + "-welcome",
                    EffectiveAt = start,
                }, cancellationToken);
            }

            await RecordDaysAsync(recorder, merchant, start, now, zone, cancellationToken);
            seeded.Add(merchant);
        }

        var report = await services.GetRequiredService<IPeriodCloser>().CloseDueAsync(cancellationToken);
        var invoices = services.GetRequiredService<IInvoiceService>();
        foreach (var invoice in report.Invoices.Where(i => i.Status == InvoiceStatus.Draft))
        {
            if (seeded.Any(m => m.ApproveFirstInvoice && m.CustomerId == invoice.CustomerId))
            {
                await invoices.ApproveAsync(invoice.InvoiceId, cancellationToken);
            }
        }
    }

    // Each day from the start until now: the day's packages at 10:00 local (a minute apart), and a return at 15:00 local.
    private static async Task RecordDaysAsync(IUsageRecorder recorder, SeededMerchant merchant, Instant start, Instant now, DateTimeZone zone, CancellationToken cancellationToken)
    {
        var first = start.InZone(zone).Date;
        for (int day = 0; ; day++)
        {
            var date = first.PlusDays(day);
            var morning = date.At(new LocalTime(10, 0)).InZoneLeniently(zone).ToInstant();
            if (morning > now)
            {
                return;
            }

            var records = new List<UsageRecord>();
            for (int i = 0; i < merchant.PackagesPerDay; i++)
            {
                records.Add(new UsageRecord(merchant.CustomerId, "packages", 1m, morning + Duration.FromMinutes(i), string.Create(CultureInfo.InvariantCulture, $"seed-{merchant.CustomerId}-pkg-{day}-{i}")));
            }

            var afternoon = date.At(new LocalTime(15, 0)).InZoneLeniently(zone).ToInstant();
            if (day % merchant.ReturnEveryDays == 0 && afternoon <= now)
            {
                records.Add(new UsageRecord(merchant.CustomerId, "returns", 1m, afternoon, string.Create(CultureInfo.InvariantCulture, $"seed-{merchant.CustomerId}-ret-{day}")));
            }

            foreach (var outcome in await recorder.RecordBatchAsync(records, cancellationToken))
            {
                if (outcome.Kind is UsageOutcomeKind.Rejected or UsageOutcomeKind.Conflict)
                {
                    throw new InvalidOperationException($"Seeding {merchant.CustomerId} day {day}: {outcome.Rejection}");
                }
            }
        }
    }
}

/// <summary>Seeds the portal when the host starts (before it serves requests and before the background close).</summary>
internal sealed class PortalSeeder(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => PortalSeed.SeedAsync(services, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
