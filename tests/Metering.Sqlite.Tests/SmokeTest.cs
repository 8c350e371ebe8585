namespace Metering.Sqlite.Tests;

public class SmokeTest
{
    [Fact]
    public async Task Shipping_month_on_sqlite()
    {
        using var db = new TempDatabase();
        await using var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("packages")).AddPlan(Plan.Create("shipping", Currency.JMD, BillingInterval.Months(1)).WithBaseFee(2_999m).WithCharge("packages", PricingModel.PerUnit(50m)).Build()),
            Instant.FromUtc(2026, 3, 1, 0, 0), b => Microsoft.Extensions.DependencyInjection.SqliteMeteringBuilderExtensions.UseSqlite(b, db.Path));
        await billing.Subscriptions.CreateCustomerAsync("m1", "K", "America/Jamaica");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "m1", PlanKey = "shipping" });
        billing.Clock.Advance(Duration.FromMinutes(1));
        (await billing.Recorder.RecordAsync(new UsageRecord("m1", "packages", 3m, billing.Clock.Now, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(new UsageRecord("m1", "packages", 3m, billing.Clock.Now, "k1"))).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Should().ContainSingle().Which.Total.Should().Be(new Money(3_149m, Currency.JMD));
    }
}
