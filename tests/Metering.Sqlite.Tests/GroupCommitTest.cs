using Metering.Sqlite;
using Metering.Storage;

namespace Metering.Sqlite.Tests;

/// <summary>
/// The writer commits every queued request in one transaction. These tests hold the writer inside one request's
/// callback while they queue the next group, so the group's content is known.
/// </summary>
public class GroupCommitTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Currency Usd = Currency.USD;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CreditGrant Grant(string id, string customer) => new(id, customer, new Money(5m, Usd), CreditCategory.Paid, Start);

    [Fact]
    public async Task GroupCommit_RequestFailingHalfWay_RolledBackAloneAndTheRestCommits()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        var plan = await store.PublishPlanAsync(Plan.Create("p", Usd, BillingInterval.Months(1)).Build(), Ct);
        var schedule = BillingSchedule.FromStart(Start, DateTimeZone.Utc, BillingInterval.Months(1));
        var subscription = new Subscription
        {
            SubscriptionId = "s-1", CustomerId = "c-1", PlanKey = plan.Key, PlanVersion = plan.Version, Schedule = schedule, StartedAt = Start, CurrentPeriod = schedule.PeriodAt(0),
        };
        await store.AddSubscriptionAsync(subscription, [], Ct);
        await store.UpdateLedgerAsync("other", l => new LedgerChange(l.Grant(Grant("o-1", "other")), []), Ct);

        using var release = new ManualResetEventSlim();
        using var entered = new SemaphoreSlim(0);
        var blocker = store.UpdateLedgerAsync("c-0", l =>
        {
            entered.Release();
            release.Wait(Ct);
            return new LedgerChange(l.Grant(Grant("g-0", "c-0")), []);
        }, Ct).AsTask();
        await entered.WaitAsync(Ct);

        // Queued while the writer is busy: one group. The close's decision returns another customer's ledger, which the
        // shared close rules refuse (StoreChangeRules.DecideClose) inside the request's savepoint.
        var addCustomer = store.AddCustomerAsync(new Customer("c-x", null, "UTC", Start), Ct).AsTask();
        var close = store.ClosePeriodAsync("s-1", Start, plan, context => new PeriodCloseDecision(
            context.Subscription with { CurrentPeriod = schedule.PeriodAt(1), Revision = 1 },
            EmptyInvoice(context.Subscription),
            CreditLedger.Empty("other").Grant(Grant("o-1", "other")).Grant(Grant("o-2", "other")),
            []), Ct).AsTask();
        var throwing = store.UpdateLedgerAsync("c-2", _ => throw new InvalidOperationException("decided to fail"), Ct).AsTask();
        var grant = store.UpdateLedgerAsync("c-3", l => new LedgerChange(l.Grant(Grant("g-3", "c-3")), []), Ct).AsTask();
        release.Set();

        await blocker;
        (await addCustomer).Should().BeTrue();
        await close.Invoking(t => t).Should().ThrowAsync<InvalidOperationException>().WithMessage("*ledger of 'other'*");
        await throwing.Invoking(t => t).Should().ThrowAsync<InvalidOperationException>().WithMessage("decided to fail");
        (await grant).Grants.Should().ContainSingle();

        await using var reopened = new SqliteMeteringStore(db.Path);
        (await reopened.FindCustomerAsync("c-x", Ct)).Should().NotBeNull();
        (await reopened.LoadLedgerAsync("c-3", Ct)).Grants.Should().ContainSingle();
        (await reopened.LoadLedgerAsync("c-0", Ct)).Grants.Should().ContainSingle();
        (await reopened.LoadLedgerAsync("c-2", Ct)).Grants.Should().BeEmpty();
        (await reopened.LoadLedgerAsync("other", Ct)).Transactions.Should().ContainSingle();
        (await reopened.FindInvoiceAsync("inv-s-1", Ct)).Should().BeNull();
        var stored = await reopened.FindSubscriptionAsync("s-1", Ct);
        stored!.Revision.Should().Be(0);
        stored.CurrentPeriod.Should().Be(schedule.PeriodAt(0));

        // The store keeps working after the failure, and the period can still be closed once.
        var retried = await store.ClosePeriodAsync("s-1", Start, plan, context => new PeriodCloseDecision(
            context.Subscription with { CurrentPeriod = schedule.PeriodAt(1), Revision = 1 }, EmptyInvoice(context.Subscription), null, []), Ct);
        retried.Status.Should().Be(PeriodCloseStatus.Closed);
        retried.Invoice!.Number.Should().Be(1);
        (await store.ClosePeriodAsync("s-1", Start, plan, _ => throw new InvalidOperationException("not called"), Ct)).Status.Should().Be(PeriodCloseStatus.AlreadyClosed);
    }

    [Fact]
    public async Task Write_CancelledWhileQueued_NeverRuns()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        await store.InitializeAsync(Ct);
        using var release = new ManualResetEventSlim();
        using var entered = new SemaphoreSlim(0);
        var blocker = store.UpdateLedgerAsync("c-0", l =>
        {
            entered.Release();
            release.Wait(Ct);
            return new LedgerChange(l, []);
        }, Ct).AsTask();
        await entered.WaitAsync(Ct);

        using var cancel = new CancellationTokenSource();
        var queued = store.AddCustomerAsync(new Customer("late", null, "UTC", Start), cancel.Token).AsTask();
        await cancel.CancelAsync();
        release.Set();
        await blocker;

        await queued.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        (await store.FindCustomerAsync("late", Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Dispose_WritesQueuedBefore_CommittedAndLaterOnesRefused()
    {
        using var db = new TempDatabase();
        var store = new SqliteMeteringStore(db.Path);
        await store.InitializeAsync(Ct);
        var writes = Enumerable.Range(0, 50).Select(i => store.AddCustomerAsync(new Customer($"c-{i}", null, "UTC", Start), Ct).AsTask()).ToList();
        await store.DisposeAsync();

        (await Task.WhenAll(writes)).Should().OnlyContain(added => added);
        var late = async () => await store.AddCustomerAsync(new Customer("late", null, "UTC", Start), Ct);
        await late.Should().ThrowAsync<ObjectDisposedException>();
        await using var reopened = new SqliteMeteringStore(db.Path);
        (await reopened.FindCustomerAsync("c-49", Ct)).Should().NotBeNull();
    }

    private static Invoice EmptyInvoice(Subscription subscription)
    {
        var zero = Money.Zero(Usd);
        return new Invoice
        {
            InvoiceId = "inv-" + subscription.SubscriptionId,
            Number = 0,
            SubscriptionId = subscription.SubscriptionId,
            CustomerId = subscription.CustomerId,
            PlanKey = subscription.PlanKey,
            PlanVersion = subscription.PlanVersion,
            Period = subscription.CurrentPeriod,
            Reason = InvoiceReason.PeriodEnd,
            Status = InvoiceStatus.Finalized,
            Content = new CalculatedInvoice(subscription.PlanKey, subscription.PlanVersion, Usd, subscription.CurrentPeriod, [], zero, zero, zero),
            CreatedAt = subscription.CurrentPeriod.End,
        };
    }
}
