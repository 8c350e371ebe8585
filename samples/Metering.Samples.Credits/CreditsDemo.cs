using System.Globalization;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Samples.Credits;

/// <summary>The figures the credits demo ends with (what its test checks).</summary>
/// <param name="Balances">The customer's balances per unit after the last usage, before the period closes.</param>
/// <param name="Expiration">The Expiration transaction written for the welcome credits.</param>
/// <param name="Blocked">The outcome of the record the credits could not cover.</param>
/// <param name="Transactions">Every ledger transaction, read page by page.</param>
/// <param name="PageCount">How many pages the ledger took at <see cref="CreditsDemo.LedgerPageSize"/> a page.</param>
/// <param name="Invoice">The invoice of the closed period (paid with credits as used).</param>
public sealed record CreditsDemoResult(
    IReadOnlyList<CreditBalance> Balances,
    CreditTransaction Expiration,
    UsageOutcome Blocked,
    IReadOnlyList<CreditTransaction> Transactions,
    int PageCount,
    Invoice Invoice);

/// <summary>
/// A design studio buys AI image and chat credits: a welcome grant and a launch promotion (promotional,
/// expiring, burned first) and a paid credit pack. Usage burns credits as it is recorded; the welcome
/// credits expire unused; once credits run out the plan blocks further usage.
/// </summary>
public static class CreditsDemo
{
    /// <summary>Transactions per page when the ledger is listed (small, to show the cursor at work).</summary>
    public const int LedgerPageSize = 5;

    /// <summary>The credit unit the plan is priced in: whole credits.</summary>
    public static Currency CreditUnit { get; } = Currency.Custom("credits", 0);

    private const string Customer = "studio-7";

    /// <summary>Runs the demo, writing to <paramref name="output"/>; returns its key figures.</summary>
    /// <param name="output">Where the report is printed.</param>
    /// <param name="useStore">Picks the store (the program passes the in-memory store).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<CreditsDemoResult> RunAsync(TextWriter output, Action<MeteringBuilder> useStore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(useStore);

        // A test clock lets the demo live through a month in a second; a real app registers SystemClock.Instance.
        var start = Instant.FromUtc(2026, 4, 1, 0, 0);
        var clock = new TestClock(start);
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        var builder = services.AddMetering(o => o
            .AddMeter(Meter.Sum("images").WithDisplayName("Images generated"))
            .AddMeter(Meter.Sum("messages").WithDisplayName("Chat messages"))
            .AddPlan(Plan.Create("studio-credits", CreditUnit, BillingInterval.Months(1))
                .WithDisplayName("Studio (credits)")
                .WithCharge("images", PricingModel.PerUnit(10m), c => { c.DisplayName = "Images generated"; c.BurnsCreditsInRealTime = true; })
                .WithCharge("messages", PricingModel.PerUnit(2m), c => { c.DisplayName = "Chat messages"; c.BurnsCreditsInRealTime = true; })
                .WhenCreditsRunOut(CreditOverflow.Block)
                .Build()));
        useStore(builder);
        await using var provider = services.BuildServiceProvider();

        var subscriptions = provider.GetRequiredService<ISubscriptionService>();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        var credits = provider.GetRequiredService<ICreditService>();
        var closer = provider.GetRequiredService<IPeriodCloser>();

        await subscriptions.CreateCustomerAsync(Customer, "Pixel Forge Studio", "UTC", cancellationToken);
        var subscription = await subscriptions.SubscribeAsync(
            new SubscribeRequest { CustomerId = Customer, PlanKey = "studio-credits", SubscriptionId = "sub-studio-7" },
            cancellationToken);
        output.WriteLine($"Subscribed {Customer} to Studio (credits): images 10 credits each, chat messages 2 credits each,");
        output.WriteLine("burned from credits as used; usage is blocked when the credits run out.");
        output.WriteLine();

        // Promotional credits burn first (priority 10 before the default 100); between the two promotions the one
        // expiring sooner burns first. Each grant id makes its grant idempotent.
        var welcome = await credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = Customer, GrantId = "welcome", Name = "Welcome credits", Amount = new Money(100m, CreditUnit),
            Category = CreditCategory.Promotional, Priority = 10, ExpiresAt = start + Duration.FromDays(7),
        }, cancellationToken);
        var launch = await credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = Customer, GrantId = "launch", Name = "Launch promotion", Amount = new Money(50m, CreditUnit),
            Category = CreditCategory.Promotional, Priority = 10, ExpiresAt = start + Duration.FromDays(30),
        }, cancellationToken);
        var pack = await credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = Customer, GrantId = "pack-300", Name = "Credit pack (300)", Amount = new Money(300m, CreditUnit),
            Category = CreditCategory.Paid,
        }, cancellationToken);
        var goodwill = await credits.GrantAsync(new CreditGrantRequest
        {
            CustomerId = Customer, GrantId = "goodwill-eur", Name = "Goodwill (EUR)", Amount = new Money(10.00m, Currency.EUR),
            Category = CreditCategory.Promotional,
        }, cancellationToken);
        PrintGrants(output, [welcome, launch, pack, goodwill]);

        // Two days of usage: every record's cost is consumed from the welcome credits as it is recorded.
        await RecordAsync(output, recorder, clock, start + Duration.FromHours(10), "images", 2m, "img-1", cancellationToken);
        await RecordAsync(output, recorder, clock, start + Duration.FromHours(10) + Duration.FromMinutes(5), "messages", 5m, "msg-1", cancellationToken);
        await RecordAsync(output, recorder, clock, start + Duration.FromDays(1) + Duration.FromHours(10), "images", 2m, "img-2", cancellationToken);
        await RecordAsync(output, recorder, clock, start + Duration.FromDays(1) + Duration.FromHours(10) + Duration.FromMinutes(5), "messages", 5m, "msg-2", cancellationToken);
        output.WriteLine();
        output.WriteLine($"Balances on {FormatDate(clock.Now)}:");
        PrintBalances(output, await credits.GetBalancesAsync(Customer, cancellationToken: cancellationToken));

        // A week in, the welcome credits expire; the period closer writes the Expiration of what was left.
        clock.AdvanceTo(start + Duration.FromDays(7) + Duration.FromMinutes(30));
        var report = await closer.CloseDueAsync(cancellationToken);
        var expiration = await FindLastAsync(credits, CreditTransactionType.Expiration, cancellationToken);
        output.WriteLine();
        output.WriteLine($"Closer ran on {FormatDate(clock.Now)}: {report.CreditsExpired} grant expired, {report.Invoices.Count} invoices.");
        output.WriteLine($"  Expiration #{expiration.Sequence}: {Amount(expiration.Amount)} of '{expiration.GrantId}' at {FormatTime(expiration.At)}.");
        output.WriteLine();
        output.WriteLine("More usage:");

        // The promotion burns next, then the paid pack; one record can draw on two grants.
        await RecordAsync(output, recorder, clock, start + Duration.FromDays(8) + Duration.FromHours(10), "images", 3m, "img-3", cancellationToken);
        await RecordAsync(output, recorder, clock, start + Duration.FromDays(8) + Duration.FromHours(10) + Duration.FromMinutes(5), "messages", 20m, "msg-3", cancellationToken);
        await RecordAsync(output, recorder, clock, start + Duration.FromDays(9) + Duration.FromHours(10), "images", 27m, "img-4", cancellationToken);
        var blocked = await RecordAsync(output, recorder, clock, start + Duration.FromDays(9) + Duration.FromHours(10) + Duration.FromMinutes(5), "images", 2m, "img-5", cancellationToken);
        await RecordAsync(output, recorder, clock, start + Duration.FromDays(9) + Duration.FromHours(10) + Duration.FromMinutes(10), "messages", 5m, "msg-4", cancellationToken);
        if (blocked.Rejection is { } rejection)
        {
            output.WriteLine($"  img-5 was refused: {rejection.Message}");
        }

        var balances = await credits.GetBalancesAsync(Customer, cancellationToken: cancellationToken);
        output.WriteLine();
        output.WriteLine($"Balances on {FormatDate(clock.Now)}:");
        PrintBalances(output, balances);

        // The ledger is append-only; read it back with the cursor, a few transactions a page.
        output.WriteLine();
        output.WriteLine($"Credit ledger of {Customer}, {LedgerPageSize} transactions a page:");
        var transactions = new List<CreditTransaction>();
        int pages = 0;
        string? cursor = null;
        do
        {
            var page = await credits.ListTransactionsAsync(Customer, cursor, LedgerPageSize, cancellationToken);
            pages++;
            output.WriteLine($"  Page {pages} (cursor {cursor ?? "none"}):");
            PrintTransactions(output, page.Items);
            transactions.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        // The month ends: usage was paid with credits as it happened, so the invoice nets to zero.
        clock.AdvanceTo(subscription.CurrentPeriod.End + Duration.FromHours(2));
        var invoice = (await closer.CloseDueAsync(cancellationToken)).Invoices.Single();
        output.WriteLine();
        output.WriteLine($"Invoice #{invoice.Number} ({invoice.Status}) for {FormatDate(invoice.Period.Start)} to {FormatDate(invoice.Period.End)}:");
        PrintInvoice(output, invoice.Content);

        return new CreditsDemoResult(balances, expiration, blocked, transactions, pages, invoice);
    }

    private static async Task<UsageOutcome> RecordAsync(
        TextWriter output, IUsageRecorder recorder, TestClock clock, Instant at, string meter, decimal quantity, string key, CancellationToken cancellationToken)
    {
        clock.AdvanceTo(at);
        var outcome = await recorder.RecordAsync(new UsageRecord(Customer, meter, quantity, at, key), cancellationToken);
        var status = outcome.Rejection is { } rejection ? $"{outcome.Kind} ({rejection.Reason})" : outcome.Kind.ToString();
        output.WriteLine($"  {FormatTime(at)}  {key,-6} {quantity.ToString("N0", CultureInfo.InvariantCulture),4} {meter,-9} {status}");
        return outcome;
    }

    private static async Task<CreditTransaction> FindLastAsync(ICreditService credits, CreditTransactionType type, CancellationToken cancellationToken)
    {
        CreditTransaction? found = null;
        string? cursor = null;
        do
        {
            var page = await credits.ListTransactionsAsync(Customer, cursor, 100, cancellationToken);
            found = page.Items.LastOrDefault(t => t.Type == type) ?? found;
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return found ?? throw new InvalidOperationException($"The ledger of {Customer} has no {type} transaction.");
    }

    private static void PrintGrants(TextWriter output, IEnumerable<CreditGrant> grants)
    {
        output.WriteLine("Grants (burn order: lowest priority first, then earliest expiry, then oldest):");
        output.WriteLine($"  {"Grant",-14} {"Name",-18} {"Category",-12} {"Priority",8} {"Amount",14}  Expires");
        output.WriteLine($"  {new string('-', 14)} {new string('-', 18)} {new string('-', 12)} {new string('-', 8)} {new string('-', 14)}  {new string('-', 16)}");
        foreach (var grant in grants)
        {
            var expires = grant.ExpiresAt is { } expiry ? FormatTime(expiry) : "never";
            output.WriteLine($"  {grant.GrantId,-14} {grant.Name,-18} {grant.Category,-12} {grant.Priority,8} {Amount(grant.Amount),14}  {expires}");
        }

        output.WriteLine();
        output.WriteLine("Usage:");
    }

    private static void PrintBalances(TextWriter output, IReadOnlyList<CreditBalance> balances)
    {
        output.WriteLine($"  {"Unit",-8} {"Granted",10} {"Consumed",10} {"Expired",10} {"Voided",10} {"Remaining",10}");
        output.WriteLine($"  {new string('-', 8)} {new string('-', 10)} {new string('-', 10)} {new string('-', 10)} {new string('-', 10)} {new string('-', 10)}");
        foreach (var b in balances)
        {
            output.WriteLine($"  {b.Unit.Code,-8} {Number(b.Granted, b.Unit),10} {Number(b.Consumed, b.Unit),10} {Number(b.Expired, b.Unit),10} {Number(b.Voided, b.Unit),10} {Number(b.Remaining, b.Unit),10}");
        }
    }

    private static void PrintTransactions(TextWriter output, IEnumerable<CreditTransaction> transactions)
    {
        foreach (var t in transactions)
        {
            var sign = t.Effect >= 0m ? "+" : "-";
            output.WriteLine($"    #{t.Sequence,-3} {FormatTime(t.At)}  {t.Type,-12} {t.GrantId,-13} {sign}{Amount(t.Amount),-14} {t.UsageIdempotencyKey ?? t.Description}");
        }
    }

    private static void PrintInvoice(TextWriter output, CalculatedInvoice invoice)
    {
        output.WriteLine($"  {"Line",-44} {"Qty",6} {"Amount",14}");
        output.WriteLine($"  {new string('-', 44)} {new string('-', 6)} {new string('-', 14)}");
        foreach (var line in invoice.Lines)
        {
            var quantity = line.Kind == InvoiceLineKind.Usage ? Number(line.Quantity, CreditUnit) : string.Empty;
            output.WriteLine($"  {line.Description,-44} {quantity,6} {Amount(line.Amount),14}");
        }

        output.WriteLine($"  {"Total",-44} {string.Empty,6} {Amount(invoice.Total),14}");
    }

    private static string Number(decimal value, Currency unit) => value.ToString("N" + unit.MinorDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Amount(Money money) => $"{Number(money.Amount, money.Currency)} {money.Currency.Code}";

    private static string FormatDate(Instant instant) => instant.InUtc().Date.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    private static string FormatTime(Instant instant) => instant.InUtc().LocalDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
