namespace Metering.Tests.EndToEnd;

using Metering;

/// <summary>
/// Issue #20 through the runtime: a tiered charge bills its first tier's flat fee in every period, also without
/// usage, and previews, current usage, period close and real-time credit burn agree on it.
/// </summary>
public class TieredFlatFeeTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Instant February = Instant.FromUtc(2026, 2, 1, 0, 0);

    // Graduated (0,10] @ 10.00 + flat 2.00, (10,∞) @ 5.00.
    private static readonly PriceTier[] Graduated = [new(10m, 10.00m, 2.00m), new(null, 5.00m)];

    private static TestMetering Create() => TestMetering.Create(o =>
    {
        o.AddMeter(Meter.Sum("api_calls"))
         .AddMeter(Meter.Max("storage_gb"))
         .AddMeter(Meter.Count("events"))
         .AddMeter(Meter.Sum("reports"))
         .AddPlan(Plan.Create("tiered", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.Graduated(Graduated), c => c.BurnsCreditsInRealTime = true)
            .WithCharge("storage_gb", PricingModel.Volume([new(100m, 1.00m, 10.00m), new(null, 0.50m, 20.00m)]))
            .WithCharge("events", PricingModel.Graduated([new(10m, 10.00m, 0m), new(null, 5.00m, 3.00m)]))
            .WithCharge("reports", PricingModel.Graduated(Graduated, includedUnits: 100m))
            .Build());
    }, Start);

    private static decimal[] Amounts(IEnumerable<InvoiceLine> lines) => [.. lines.Select(l => l.Amount.Amount)];

    [Fact]
    public async Task PeriodWithoutUsage_PreviewAndCloseBillTheFirstTierFlatFees()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "tiered" });

        // No usage. api_calls graduated: 0 × 10 + 2 = 2.00; storage volume tier 1: 0 × 1 + 10 = 10.00;
        // events first flat 0: 0.00 (tier 2's 3.00 not reached); reports 100 included, none used: 2.00. Total 14.00.
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        var preview = await billing.Invoices.PreviewAsync(sub.SubscriptionId);
        Amounts(current.Estimate.Lines).Should().Equal(2.00m, 10.00m, 0m, 2.00m);
        current.Estimate.Total.Should().Be(new Money(14.00m, Currency.USD));
        preview.Total.Should().Be(new Money(14.00m, Currency.USD));

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        Amounts(invoice.Content.Lines).Should().Equal(2.00m, 10.00m, 0m, 2.00m);
        invoice.Content.Lines[0].Tiers.Should().Equal(new TierPrice(1, 0m, 10m, 0m, 10.00m, 2.00m, 2.00m));
        invoice.Total.Should().Be(new Money(14.00m, Currency.USD));
        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(invoice);
    }

    [Fact]
    public async Task RealTimeBurn_LeavesTheFlatFeeToTheInvoice_NothingBilledTwiceOrLost()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "tiered" });
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(100.00m, Currency.USD), Category = CreditCategory.Paid, Name = "Top-up" });
        billing.Clock.Advance(Duration.FromDays(1));
        var now = billing.Clock.Now;

        (await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 3m, now, "a1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(new UsageRecord("c1", "reports", 40m, now, "r1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // Real-time burn: Price(3) - Price(0) = (3 × 10 + 2) - 2 = 30; the 2.00 per-period fee is not a usage cost.
        (await billing.Credits.GetBalancesAsync("c1")).Single().Consumed.Should().Be(30.00m);

        // Lines: api_calls 32.00, storage 10.00, events 0.00, reports (40 of 100 included) 2.00, paid as used -30.00;
        // subtotal 44.00, 70.00 left pays the other 14.00 at invoice time, total 0.00.
        var preview = await billing.Invoices.PreviewAsync(sub.SubscriptionId);
        Amounts(preview.Lines).Should().Equal(32.00m, 10.00m, 0m, 2.00m, -30.00m, -14.00m);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        invoice.Period.End.Should().Be(February);
        Amounts(invoice.Content.Lines).Should().Equal(32.00m, 10.00m, 0m, 2.00m, -30.00m, -14.00m);
        invoice.Content.Lines[3].Description.Should().Be("reports (40 included)");
        invoice.Content.Subtotal.Should().Be(new Money(44.00m, Currency.USD));
        invoice.Content.CreditsApplied.Should().Be(new Money(44.00m, Currency.USD));
        invoice.Total.Should().Be(Money.Zero(Currency.USD));

        // The ledger paid exactly the subtotal: 30 burned as used + 14 at close = 44; 100 - 44 = 56 left.
        var balance = (await billing.Credits.GetBalancesAsync("c1")).Single();
        balance.Consumed.Should().Be(44.00m);
        balance.Remaining.Should().Be(56.00m);
    }
}
