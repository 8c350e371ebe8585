using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.PostgreSql.Tests;

/// <summary>Callbacks run inside the store transaction: when one throws, nothing is stored and numbering has no gap.</summary>
public sealed class PostgreSqlTransactionTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task ThrowingCallbacks_RollBack_AndLeaveNoGapInInvoiceNumbers()
    {
        await using var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(2.00m)).Build()),
            Start,
            server.Use);
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        var store = billing.Store;

        var close = async () => await store.ClosePeriodAsync(subscription.SubscriptionId, Start, (await store.FindPlanAsync("standard", null, CancellationToken.None))!, _ => throw new InvalidOperationException("decide failed"), CancellationToken.None);
        await close.Should().ThrowAsync<InvalidOperationException>().WithMessage("decide failed");
        var ledgerChange = async () => await store.UpdateLedgerAsync("c1", _ => throw new InvalidOperationException("change failed"), CancellationToken.None);
        await ledgerChange.Should().ThrowAsync<InvalidOperationException>().WithMessage("change failed");

        (await store.FindSubscriptionAsync(subscription.SubscriptionId, CancellationToken.None))!.Revision.Should().Be(subscription.Revision);
        (await store.LoadLedgerAsync("c1", CancellationToken.None)).Transactions.Should().BeEmpty();

        // The failed close consumed no number: the real close gets invoice 1 (10.00 base, no usage).
        var invoice = (await billing.AdvanceToPeriodEndAsync(subscription.SubscriptionId)).Invoices.Single();
        invoice.Number.Should().Be(1);
        invoice.Total.Should().Be(new Money(10.00m, Currency.USD));

        var transition = async () => await store.UpdateInvoiceAsync(invoice.InvoiceId, _ => throw new InvalidOperationException("transition failed"), CancellationToken.None);
        await transition.Should().ThrowAsync<InvalidOperationException>().WithMessage("transition failed");
        (await store.FindInvoiceAsync(invoice.InvoiceId, CancellationToken.None)).Should().Be(invoice);
    }

    [Fact]
    public async Task RecordPostgreSqlCannotStore_IsRejected_WhileConcurrentRecordsAreAccepted()
    {
        await using var billing = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(2.00m)).Build()),
            Start,
            server.Use);
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var subscription = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        billing.Clock.Advance(Duration.FromHours(1));

        // 20 concurrent single records (group-committed together), one with a NUL in a property value.
        var records = Enumerable.Range(0, 20)
            .Select(i => new UsageRecord("c1", "api_calls", 1m, Start + Duration.FromSeconds(i), $"k{i}", Properties: i == 7 ? new Dictionary<string, string> { ["note"] = "a\0b" } : null))
            .ToArray();
        var outcomes = await Task.WhenAll(records.Select(r => billing.Recorder.RecordAsync(r).AsTask()));

        outcomes[7].Kind.Should().Be(UsageOutcomeKind.Rejected);
        outcomes[7].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        outcomes[7].Rejection!.Value.Message.Should().Contain("NUL").And.Contain("property 'note'");
        outcomes.Where((_, i) => i != 7).Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);

        // 19 calls of 1 were stored; the rejected key was not claimed.
        (await billing.Usage.GetCurrentAsync(subscription.SubscriptionId)).Usage.Single().Quantity.Should().Be(19m);
        (await billing.Recorder.RecordAsync(records[7] with { Properties = null })).Kind.Should().Be(UsageOutcomeKind.Accepted);
    }
}
