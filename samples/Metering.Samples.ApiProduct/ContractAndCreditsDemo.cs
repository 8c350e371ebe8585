using System.Globalization;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Samples.ApiProduct;

/// <summary>The figures of the contract and credit-only part of the API product demo (what its test checks).</summary>
/// <param name="ContractSubscription">Globex's subscription, carrying its customer's contract.</param>
/// <param name="ContractInvoice">Globex's May invoice, priced by the contract with a minimum-commitment true-up.</param>
/// <param name="CreditOutcomes">Initech's records in order (the fourth is blocked: the credits left do not cover it).</param>
/// <param name="CreditBalance">Initech's credit balance at the end.</param>
/// <param name="Wallet">Initech's credit wallet on the default rate card, attached by its first record.</param>
public sealed record ContractAndCreditsDemoResult(
    Subscription ContractSubscription,
    Invoice ContractInvoice,
    IReadOnlyList<UsageOutcome> CreditOutcomes,
    CreditBalance CreditBalance,
    Subscription Wallet);

/// <summary>
/// Two more customers of the API product: Globex negotiated a contract for the customer (EUR 0.0015 a request instead
/// of 0.002 and a EUR 100.00 monthly minimum), which its subscription carries; Initech only buys credits and meters
/// its requests on the default credit rate card (10 credits a request), without a subscription of its own.
/// </summary>
public static class ContractAndCreditsDemo
{
    /// <summary>The credit unit of the rate card: whole credits.</summary>
    public static Currency CreditUnit { get; } = Currency.Custom("credits", 0);

    private const string ContractCustomer = "globex";
    private const string CreditCustomer = "initech";

    // Initech's requests, one record each time; 10 credits a request against 1,000 credits granted.
    private static readonly decimal[] CreditRequests = [30m, 40m, 25m, 10m, 5m];

    /// <summary>Runs the demo, writing to <paramref name="output"/>; returns its key figures.</summary>
    /// <param name="output">Where the report is printed.</param>
    /// <param name="useStore">Picks the store (the program passes the in-memory store).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<ContractAndCreditsDemoResult> RunAsync(TextWriter output, Action<MeteringBuilder> useStore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(useStore);

        var zone = DateTimeZoneProviders.Tzdb[ApiProductDemo.TimeZone];
        var start = new LocalDateTime(2026, 5, 1, 0, 0).InZoneStrictly(zone).ToInstant();
        var clock = new TestClock(start);
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        var builder = services.AddMetering(o =>
        {
            o.AddMeter(Meter.Sum("api_requests").WithDisplayName("API requests"))
                .AddPlan(Plan.Create("api-starter", Currency.EUR, BillingInterval.Months(1))
                    .WithDisplayName("API Starter")
                    .WithBaseFee(29.00m)
                    .WithCharge("api_requests", PricingModel.PerUnit(0.002m), c => c.DisplayName = "API requests")
                    .Build())
                .AddPlan(Plan.Create("api-credits", CreditUnit, BillingInterval.Months(1))
                    .WithDisplayName("API credits")
                    .WithCharge("api_requests", PricingModel.PerUnit(10m), c => c.BurnsCreditsInRealTime = true)
                    .AsCreditRateCard()
                    .Build());
            // Customers with no subscription covering a record meter on this rate card (their wallet is attached on first use).
            o.DefaultCreditRateCard = "api-credits";
        });
        useStore(builder);
        await using var provider = services.BuildServiceProvider();

        var subscriptions = provider.GetRequiredService<ISubscriptionService>();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        var credits = provider.GetRequiredService<ICreditService>();
        var closer = provider.GetRequiredService<IPeriodCloser>();

        // Globex: the contract belongs to the customer; its subscription (no terms of its own) carries it.
        await subscriptions.CreateCustomerAsync(ContractCustomer, "Globex Corporation", ApiProductDemo.TimeZone, cancellationToken);
        await subscriptions.SetCustomerContractAsync(ContractCustomer, new ContractTerms
        {
            ContractId = "ct-globex-2026",
            StartsAt = start,
            ChargeOverrides = [new ChargeOverride("api_requests", PricingModel.PerUnit(0.0015m))],
            MinimumCommitment = new Money(100.00m, Currency.EUR),
        }, cancellationToken);
        var subscription = await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = ContractCustomer, PlanKey = "api-starter", SubscriptionId = "sub-globex" }, cancellationToken);
        output.WriteLine($"Globex is on API Starter with its customer contract {subscription.Contract!.ContractId} (inherited: {subscription.ContractInherited}): EUR 0.0015 a request, EUR 100.00 minimum a month.");

        // Initech: credits only, no subscription.
        await subscriptions.CreateCustomerAsync(CreditCustomer, "Initech", ApiProductDemo.TimeZone, cancellationToken);
        await credits.GrantAsync(new CreditGrantRequest { CustomerId = CreditCustomer, Amount = new Money(1_000m, CreditUnit), GrantId = "initech-pack", Name = "1,000 credit pack", EffectiveAt = start }, cancellationToken);
        output.WriteLine("Initech bought 1,000 credits and has no subscription: its requests are priced by the default rate card api-credits (10 credits a request).");
        output.WriteLine();

        // Globex sends 5,000 requests a week in May; Initech's requests are recorded as they happen.
        var outcomes = new List<UsageOutcome>();
        output.WriteLine($"  {"Day",-8} {"Customer",-8} {"Requests",8}  Outcome");
        output.WriteLine($"  {new string('-', 8)} {new string('-', 8)} {new string('-', 8)}  {new string('-', 40)}");
        for (int week = 0; week < 4; week++)
        {
            var at = start + Duration.FromDays((7 * week) + 1) + Duration.FromHours(10);
            clock.AdvanceTo(at);
            var globex = await recorder.RecordAsync(new UsageRecord(ContractCustomer, "api_requests", 5_000m, at, $"globex-w{week}"), cancellationToken);
            output.WriteLine($"  {Date(at, zone),-8} {ContractCustomer,-8} {N(5_000m),8}  {globex.Kind}");
            if (week < 3)
            {
                // Initech: one or two records a week.
                foreach (var index in week == 2 ? new[] { 2, 3, 4 } : [week])
                {
                    var outcome = await recorder.RecordAsync(new UsageRecord(CreditCustomer, "api_requests", CreditRequests[index], at, $"initech-{index}"), cancellationToken);
                    outcomes.Add(outcome);
                    var balance = (await credits.GetBalancesAsync(CreditCustomer, null, cancellationToken)).Single(b => b.Unit == CreditUnit);
                    var text = outcome.IsCounted ? $"{outcome.Kind}, {N(CreditRequests[index] * 10m)} credits burned, {N(balance.Remaining)} left" : $"{outcome.Kind} ({outcome.Rejection!.Value.Reason}), {N(balance.Remaining)} left";
                    output.WriteLine($"  {Date(at, zone),-8} {CreditCustomer,-8} {N(CreditRequests[index]),8}  {text}");
                }
            }
        }

        clock.AdvanceTo(subscription.CurrentPeriod.End + Duration.FromHours(2));
        var report = await closer.CloseDueAsync(cancellationToken);
        var invoice = report.Invoices.Single(i => i.SubscriptionId == subscription.SubscriptionId);
        output.WriteLine();
        output.WriteLine($"Invoice #{invoice.Number} of Globex for May, contract {invoice.Content.ContractId}:");
        output.WriteLine($"  {"Line",-62} {"Qty",8} {"Amount",12}");
        output.WriteLine($"  {new string('-', 62)} {new string('-', 8)} {new string('-', 12)}");
        foreach (var line in invoice.Content.Lines)
        {
            output.WriteLine($"  {line.Description,-62} {N(line.Quantity),8} {Amount(line.Amount),12}");
        }

        output.WriteLine($"  {"Total",-62} {string.Empty,8} {Amount(invoice.Total),12}");

        var final = (await credits.GetBalancesAsync(CreditCustomer, null, cancellationToken)).Single(b => b.Unit == CreditUnit);
        var wallet = (await subscriptions.ListAsync(CreditCustomer, cancellationToken)).Single();
        output.WriteLine();
        output.WriteLine($"Initech's wallet {wallet.SubscriptionId}: {N(final.Granted)} credits granted, {N(final.Consumed)} burned, {N(final.Remaining)} left; its periods close without an invoice.");
        return new ContractAndCreditsDemoResult(await subscriptions.GetAsync(subscription.SubscriptionId, cancellationToken) ?? subscription, invoice, outcomes, final, wallet);
    }

    private static string N(decimal value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Amount(Money money) => $"{money.Amount.ToString("N2", CultureInfo.InvariantCulture)} {money.Currency.Code}";

    private static string Date(Instant instant, DateTimeZone zone) => instant.InZone(zone).Date.ToString("d MMM", CultureInfo.InvariantCulture);
}
