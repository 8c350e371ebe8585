namespace Metering.Storage;

/// <summary>
/// The state Metering keeps, as a set of atomic, use-case-shaped operations. Every store (in-memory,
/// SQLite, PostgreSQL) implements it and passes the same conformance suite. Business decisions
/// (pricing, invoices, burn order) are made by the runtime and passed in as pure callbacks that a
/// store runs inside its transaction, so every store applies the same rules.
/// </summary>
public partial interface IMeteringStore
{
    /// <summary>Creates or migrates the schema. Safe to call many times and from several instances.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken);

    // ---- catalog -------------------------------------------------------------------------------

    /// <summary>Stores a meter definition, replacing an existing one with the same key.</summary>
    ValueTask UpsertMeterAsync(Meter meter, CancellationToken cancellationToken);

    /// <summary>All meters.</summary>
    ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a plan definition: when the latest stored version has the same definition it is
    /// returned unchanged; otherwise the definition is stored as the next version and returned.
    /// </summary>
    ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken);

    /// <summary>A plan version, or the latest version when <paramref name="version"/> is null.</summary>
    ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken);

    // ---- customers and subscriptions -----------------------------------------------------------

    /// <summary>Adds a customer; returns false (and changes nothing) when the id exists.</summary>
    ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken);

    /// <summary>A customer by id.</summary>
    ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>
    /// Changes a customer and, in the same transaction, its subscriptions: loads the customer and all its subscriptions
    /// with no other change to them in between, runs <paramref name="change"/> (pure), and stores the customer and the
    /// subscriptions it returns (each must be one of the customer's, at one revision past the stored one; check with
    /// <see cref="StoreChangeRules.CheckCustomerChange"/>). Returns the stored customer, or null when there is none.
    /// </summary>
    ValueTask<Customer?> UpdateCustomerAsync(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change, CancellationToken cancellationToken);

    /// <summary>Adds a subscription with its events; returns false (and changes nothing) when the id exists.</summary>
    ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken);

    /// <summary>A subscription by id.</summary>
    ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken);

    /// <summary>A customer's subscriptions, oldest first.</summary>
    ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a subscription when the stored revision is <c>updated.Revision - 1</c> (optimistic
    /// concurrency), with its events; returns false when another change came first.
    /// </summary>
    ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken);

    // ---- usage ---------------------------------------------------------------------------------

    /// <summary>
    /// Appends prepared usage atomically per item, writing one outcome per item: the idempotency key
    /// is claimed in the same transaction that stores the record and updates its aggregates and
    /// burns its real-time credits (see <see cref="UsageAppendRules"/>). A record whose period was
    /// closed in the meantime is rejected, never stored and lost. Only items with outcome
    /// Accepted changed anything. Items come from the runtime, which has checked them with
    /// <see cref="UsageRecordRules"/>; a store that cannot keep ill-formed text exactly (SQLite, PostgreSQL) still
    /// rejects it with <see cref="UsageRecordRules.CheckText"/> when called directly.
    /// </summary>
    ValueTask AppendUsageAsync(ReadOnlyMemory<PreparedUsage> items, Memory<UsageOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>
    /// Appends one prepared record with the same guarantees as the batch overload. Stores override it
    /// when a single record can skip the batch plumbing (the in-memory store does, for speed).
    /// </summary>
    async ValueTask<UsageOutcome> AppendUsageAsync(PreparedUsage item, CancellationToken cancellationToken)
    {
        var outcome = new UsageOutcome[1];
        await AppendUsageAsync(new[] { item }, outcome, cancellationToken).ConfigureAwait(false);
        return outcome[0];
    }

    /// <summary>The aggregates of one subscription period (empty when no usage).</summary>
    ValueTask<IReadOnlyList<StoredAggregate>> GetAggregatesAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken);

    /// <summary>Starts of the periods of a subscription that have usage, newest first, paginated by an opaque cursor.</summary>
    ValueTask<Page<Instant>> ListUsagePeriodsAsync(string subscriptionId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>The raw records of one subscription period in arrival order (audit and reconciliation).</summary>
    IAsyncEnumerable<UsageRecord> ReadUsageRecordsAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken);

    // ---- period close and invoices -------------------------------------------------------------

    /// <summary>Ids of subscriptions whose current period ends at or before <paramref name="periodEndAtOrBefore"/> and that have not ended.</summary>
    ValueTask<IReadOnlyList<string>> FindSubscriptionsDueAsync(Instant periodEndAtOrBefore, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Closes a subscription period in one transaction: when the subscription's current period still
    /// starts at <paramref name="expectedPeriodStart"/>, freezes its aggregates, runs
    /// <paramref name="decide"/> (pure: computes the invoice and the next state), stores the invoice
    /// with the next invoice number under the unique (subscription, period) key, stores the new
    /// subscription state, credit transactions and events. Exactly once, whatever the concurrency.
    /// Stores check with <see cref="StoreChangeRules.CheckClose"/> and decide with <see cref="StoreChangeRules.DecideClose"/>.
    /// </summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="expectedPeriodStart">The start of the period the caller read as current.</param>
    /// <param name="plan">The plan version the caller read the subscription on (from the catalog; stores keep no plan cache).</param>
    /// <param name="decide">The pure close decision.</param>
    /// <param name="cancellationToken">Cancels the close.</param>
    ValueTask<PeriodCloseResult> ClosePeriodAsync(string subscriptionId, Instant expectedPeriodStart, Plan plan, Func<PeriodCloseContext, PeriodCloseDecision> decide, CancellationToken cancellationToken);

    /// <summary>An invoice by id.</summary>
    ValueTask<Invoice?> FindInvoiceAsync(string invoiceId, CancellationToken cancellationToken);

    /// <summary>A customer's invoices, newest number first, paginated by an opaque cursor.</summary>
    ValueTask<Page<Invoice>> ListInvoicesAsync(string customerId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Every customer's invoices in <paramref name="status"/>, oldest number first, paginated by an opaque cursor.</summary>
    ValueTask<Page<Invoice>> ListInvoicesByStatusAsync(InvoiceStatus status, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// How many invoices the customer has (every status). The default pages through <see cref="ListInvoicesAsync"/>;
    /// stores override it with one count.
    /// </summary>
    async ValueTask<long> CountInvoicesAsync(string customerId, CancellationToken cancellationToken)
    {
        long count = 0;
        string? cursor = null;
        do
        {
            var page = await ListInvoicesAsync(customerId, cursor, 500, cancellationToken).ConfigureAwait(false);
            count += page.Items.Count;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return count;
    }

    /// <summary>
    /// Changes an invoice atomically: <paramref name="transition"/> gets the stored invoice and returns the new one and its
    /// events, or throws. When the transition has a <see cref="InvoiceTransition.LedgerChange"/>, the invoice customer's
    /// ledger is locked, changed (checked with <see cref="StoreChangeRules.DecideLedgerChange"/>) and written in the same transaction.
    /// </summary>
    ValueTask<Invoice?> UpdateInvoiceAsync(string invoiceId, Func<Invoice, InvoiceTransition> transition, CancellationToken cancellationToken);

    // ---- credits -------------------------------------------------------------------------------

    /// <summary>A customer's credit ledger (grants and transactions).</summary>
    ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>Changes a customer's ledger atomically: <paramref name="change"/> gets the stored ledger and returns the new one (with appended transactions only) and its events.</summary>
    ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken);

    /// <summary>Customers holding a grant that expires at or before <paramref name="at"/> with a remainder not yet expired.</summary>
    ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken);

}

/// <summary>What a store hands the period-close decision: the locked state of one subscription period.</summary>
/// <param name="Subscription">The subscription as stored.</param>
/// <param name="Plan">Its plan version.</param>
/// <param name="Aggregates">The period's frozen aggregates.</param>
/// <param name="Ledger">The customer's credit ledger, for invoice-time credits.</param>
public sealed record PeriodCloseContext(Subscription Subscription, Plan Plan, IReadOnlyList<StoredAggregate> Aggregates, CreditLedger Ledger);

/// <summary>What the runtime decided for a period close; the store persists all of it at once.</summary>
/// <param name="Next">The subscription after the close (next period, new plan, or ended), with Revision + 1.</param>
/// <param name="Invoice">The invoice; the store assigns <see cref="Invoice.Number"/> with <see cref="StoreChangeRules.WithInvoiceNumber"/>.
/// Null for the period of a credit rate card (<see cref="Plan.IsCreditRateCard"/>): the store then writes no invoice and
/// takes no invoice number, and closes the period all the same (next state, events).</param>
/// <param name="LedgerAfter">The credit ledger after invoice-time credits, or null when unchanged.</param>
/// <param name="Events">Events to store with the change.</param>
public sealed record PeriodCloseDecision(Subscription Next, Invoice? Invoice, CreditLedger? LedgerAfter, IReadOnlyList<BillingEvent> Events);

/// <summary>How a close attempt ended.</summary>
public enum PeriodCloseStatus
{
    /// <summary>This call closed the period and stored the invoice.</summary>
    Closed,

    /// <summary>The period had already been closed (by another caller or instance); nothing changed.</summary>
    AlreadyClosed,

    /// <summary>No such subscription.</summary>
    NotFound,
}

/// <summary>The result of <see cref="IMeteringStore.ClosePeriodAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Invoice">The stored invoice (with its number) when closed.</param>
/// <param name="Subscription">The subscription after the close, when closed.</param>
public sealed record PeriodCloseResult(PeriodCloseStatus Status, Invoice? Invoice, Subscription? Subscription);

/// <summary>An invoice change and the events it causes.</summary>
/// <param name="Updated">The invoice after the change.</param>
/// <param name="Events">Events to store with it.</param>
public sealed record InvoiceTransition(Invoice Updated, IReadOnlyList<BillingEvent> Events)
{
    /// <summary>A change of the invoice customer's credit ledger made with the invoice change (e.g. credits returned by a void), or null.</summary>
    public Func<CreditLedger, LedgerChange>? LedgerChange { get; init; }
}

/// <summary>A customer change: the customer after it, and the subscriptions it changes with it.</summary>
/// <param name="Updated">The customer after the change (same id and creation instant).</param>
/// <param name="Subscriptions">Subscriptions of the customer to store with it, each one revision past the stored one.</param>
public sealed record CustomerChange(Customer Updated, IReadOnlyList<Subscription> Subscriptions);

/// <summary>A ledger change and the events it causes.</summary>
/// <param name="Updated">The ledger after the change; it must extend the stored one (append-only).</param>
/// <param name="Events">Events to store with it.</param>
public sealed record LedgerChange(CreditLedger Updated, IReadOnlyList<BillingEvent> Events);
