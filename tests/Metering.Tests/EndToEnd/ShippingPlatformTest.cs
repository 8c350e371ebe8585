namespace Metering.Tests.EndToEnd;

using Metering;

public class ShippingPlatformTest
{
    private static readonly Instant MonthStart = Instant.FromUtc(2026, 3, 1, 0, 0);

    private static TestMetering CreateShipping(InvoiceApproval approval = InvoiceApproval.Automatic) => TestMetering.Create(o =>
    {
        o.InvoiceApproval = approval;
        o.AddMeter(Meter.Sum("packages"))
         .AddMeter(Meter.Sum("returns"))
         .AddPlan(Plan.Create("shipping", Currency.JMD, BillingInterval.Months(1))
            .WithBaseFee(2_999.00m)
            .WithCharge("packages", PricingModel.PerUnit(50.00m))
            .WithCharge("returns", PricingModel.PerUnit(100.00m))
            .Build());
    }, MonthStart);

    [Fact]
    public async Task MonthOfShipping_ClosesIntoOneInvoice_AndNextPeriodStartsEmpty()
    {
        await using var billing = CreateShipping();
        await billing.Subscriptions.CreateCustomerAsync("merchant-1", "Kingston Parcels", "America/Jamaica");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "merchant-1", PlanKey = "shipping" });

        for (int i = 0; i < 150; i++)
        {
            billing.Clock.Advance(Duration.FromMinutes(30));
            var outcome = await billing.Recorder.RecordAsync(new UsageRecord("merchant-1", "packages", 1m, billing.Clock.Now, $"pkg-{i}"));
            outcome.Kind.Should().Be(UsageOutcomeKind.Accepted, outcome.ToString());
        }

        for (int i = 0; i < 12; i++)
        {
            (await billing.Recorder.RecordAsync(new UsageRecord("merchant-1", "returns", 1m, billing.Clock.Now, $"ret-{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        // A retried record with the same key changes nothing.
        var retry = await billing.Recorder.RecordAsync(new UsageRecord("merchant-1", "returns", 1m, billing.Clock.Now, "ret-0"));
        retry.Kind.Should().Be(UsageOutcomeKind.Duplicate);

        // Mid-month: base + usage lines and the estimate. 2999 + 150*50 + 12*100 = 2999 + 7500 + 1200 = 11699.
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Usage.Single(u => u.MeterKey == "packages").Quantity.Should().Be(150m);
        current.Usage.Single(u => u.MeterKey == "returns").Quantity.Should().Be(12m);
        current.Estimate.Total.Should().Be(new Money(11_699.00m, Currency.JMD));

        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var invoice = report.Invoices.Should().ContainSingle().Subject;
        invoice.Total.Should().Be(new Money(11_699.00m, Currency.JMD));
        invoice.Content.Lines.Should().HaveCount(3);
        invoice.Content.Lines.Select(l => l.Amount.Amount).Should().Equal(2_999.00m, 7_500.00m, 1_200.00m);
        invoice.Status.Should().Be(InvoiceStatus.Finalized);
        invoice.Number.Should().Be(1);

        var next = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        next.Period.Start.Should().Be(invoice.Period.End);
        next.Usage.Should().OnlyContain(u => u.Quantity == 0m);
        next.Estimate.Total.Should().Be(new Money(2_999.00m, Currency.JMD));

        // Closing again creates nothing new.
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty();
    }
}
