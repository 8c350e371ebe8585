using Metering.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>
/// The current-usage read keeps each subscription decoded and reads only its stored revision (from the revision index,
/// schema version 12) to know it is current: the row is read and decoded again exactly when the revision changed,
/// whether this store or another connection to the file changed it.
/// </summary>
public class SubscriptionRevisionReadTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASubscriptionIsDecodedOncePerRevision_WhoeverChangedIt()
    {
        using var db = new TempDatabase();
        var plan = Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m).WithCharge("api_calls", PricingModel.PerUnit(2m)).Build();
        await using var billing = TestMetering.Create(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan), Start, b => b.UseSqlite(db.Path));
        var store = (SqliteMeteringStore)billing.Store;
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", Ct);
        var id = (await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" }, Ct)).SubscriptionId;
        (await billing.Recorder.RecordAsync(new UsageRecord("c1", "api_calls", 3m, Start, "k1"), Ct)).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var first = (await store.ReadCurrentUsageStateAsync(id, Ct))!;
        var second = (await store.ReadCurrentUsageStateAsync(id, Ct))!;
        second.Subscription.Should().BeSameAs(first.Subscription, "the revision stands, so the kept decoded subscription is current");
        second.Aggregates.Should().ContainSingle().Which.Aggregate.Value.Should().Be(3m);

        // Another store on the file (another process) writes the next revision.
        await using (var other = TestMetering.Create(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan), Start, b => b.UseSqlite(db.Path)))
        {
            (await other.Subscriptions.CancelAtPeriodEndAsync(id, Ct)).CancelAt.Should().NotBeNull();
        }

        var afterOther = (await store.ReadCurrentUsageStateAsync(id, Ct))!;
        afterOther.Subscription.Should().NotBeSameAs(first.Subscription, "a new revision is read from the row and decoded again");
        afterOther.Subscription.Revision.Should().Be(first.Subscription.Revision + 1);
        afterOther.Subscription.CancelAt.Should().NotBeNull();
        first.Subscription.CancelAt.Should().BeNull();
        (await store.ReadCurrentUsageStateAsync(id, Ct))!.Subscription.Should().BeSameAs(afterOther.Subscription);

        // A change through this store is read at once.
        await billing.Subscriptions.CancelNowAsync(id, Ct);
        var afterCancel = (await store.ReadCurrentUsageStateAsync(id, Ct))!;
        afterCancel.Subscription.Should().NotBeSameAs(afterOther.Subscription);
        afterCancel.Subscription.Revision.Should().BeGreaterThan(afterOther.Subscription.Revision);
        afterCancel.Subscription.EndedAt.Should().NotBeNull();

        (await store.ReadCurrentUsageStateAsync("no-such-subscription", Ct)).Should().BeNull();
    }
}
