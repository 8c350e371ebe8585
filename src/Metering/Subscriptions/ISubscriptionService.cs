using System.Runtime.CompilerServices;

namespace Metering;

/// <summary>What to subscribe a customer to.</summary>
public sealed record SubscribeRequest
{
    /// <summary>The customer (created with <see cref="ISubscriptionService.CreateCustomerAsync(string, CustomerDetails, CancellationToken)"/>).</summary>
    public required string CustomerId { get; init; }

    /// <summary>The plan key; the latest version is used unless <see cref="PlanVersion"/> is set.</summary>
    public required string PlanKey { get; init; }

    /// <summary>A specific plan version, or null for the latest.</summary>
    public int? PlanVersion { get; init; }

    /// <summary>When the subscription starts; null for now.</summary>
    public Instant? StartAt { get; init; }

    /// <summary>
    /// The billing anchor in the customer's time zone (periods start at anchor + n × interval);
    /// null to anchor at the start. An anchor before the start makes the first period partial (prorated).
    /// </summary>
    public LocalDateTime? Anchor { get; init; }

    /// <summary>Seats paid for (per-seat plans), at least 1.</summary>
    public int Seats { get; init; } = 1;

    /// <summary>The subscription id to use; null to generate one.</summary>
    public string? SubscriptionId { get; init; }

    /// <summary>
    /// Metadata of the subscription (e.g. an external order id), by the customer metadata rules: keys 1 to
    /// <see cref="CustomerDetails.MaxMetadataKeyLength"/> characters, values up to
    /// <see cref="CustomerDetails.MaxMetadataValueLength"/>, at most <see cref="CustomerDetails.MaxMetadataEntries"/>
    /// entries; entries with an empty value are left out. Null for none.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Contract terms on top of the plan (<see cref="ContractTerms"/>), or null; checked against the plan
    /// (<see cref="ContractTerms.CheckAgainst"/>). Change or remove them later with <see cref="ISubscriptionService.SetContractAsync"/>.
    /// </summary>
    public ContractTerms? Contract { get; init; }
}

/// <summary>What a plan change does to the billing anchor (see <see cref="ISubscriptionService.ChangePlanAsync(string, string, int?, PlanChangeAnchor, CancellationToken)"/>).</summary>
public enum PlanChangeAnchor
{
    /// <summary>
    /// The default: keep the billing dates. The new plan runs from the change to the next anchor date (its base fee
    /// prorated against a full period), then full periods on the same dates as before.
    /// </summary>
    Keep,

    /// <summary>Re-anchor at the moment of the change: the new plan's first full period starts then.</summary>
    Reset,
}

/// <summary>The result of a plan change: the invoice of the period closed on the old plan, and the subscription on the new plan.</summary>
/// <param name="Invoice">Invoice of the running period up to the change, on the old plan.</param>
/// <param name="Subscription">The subscription after the change.</param>
public sealed record PlanChangeResult(Invoice Invoice, Subscription Subscription);

/// <summary>Customers and their subscriptions: create, change plan, cancel, reactivate, seats.</summary>
public interface ISubscriptionService
{
    /// <summary>The most seat count changes <see cref="SetSeatsAsync"/> accepts within one billing period (1,000).</summary>
    public const int MaxSeatChangesPerPeriod = 1_000;

    /// <summary>
    /// Creates a customer; calling it again with the same id and details returns the existing customer.
    /// <paramref name="timeZoneId"/> defaults to <see cref="MeteringOptions.DefaultTimeZone"/>.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: the time zone id is not an IANA
    /// zone, or the id is blank or too long; <see cref="MeteringErrorCode.AlreadyExists"/>: the customer exists with another
    /// name or time zone.</exception>
    /// <exception cref="InvalidTextException">An id or name has a NUL or an unpaired surrogate.</exception>
    [OverloadResolutionPriority(1)]
    ValueTask<Customer> CreateCustomerAsync(string customerId, string? name = null, string? timeZoneId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a customer with <paramref name="details"/> (name, time zone, email, metadata); calling it again with the
    /// same id and details returns the existing customer. The time zone defaults to <see cref="MeteringOptions.DefaultTimeZone"/>.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: a detail is malformed (the
    /// message names it); <see cref="MeteringErrorCode.AlreadyExists"/>: the customer exists with other details.</exception>
    /// <exception cref="InvalidTextException">Text has a NUL or an unpaired surrogate.</exception>
    ValueTask<Customer> CreateCustomerAsync(string customerId, CustomerDetails details, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes a customer's details; members of <paramref name="changes"/> left null keep their value. A new time zone
    /// applies to new subscriptions at once, and to running ones from their next period: the running period keeps its
    /// end, the next one ends at the anchor's local time in the new zone, and later ones are full periods there.
    /// </summary>
    /// <returns>The customer as stored after the change (<see cref="Customer.UpdatedAt"/> set when anything changed).</returns>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: no such customer;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: a detail is malformed (the message names it).</exception>
    /// <exception cref="InvalidTextException">Text has a NUL or an unpaired surrogate.</exception>
    ValueTask<Customer> UpdateCustomerAsync(string customerId, CustomerDetails changes, CancellationToken cancellationToken = default);

    /// <summary>A customer by id, or null when there is none.</summary>
    ValueTask<Customer?> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Subscribes a customer to a plan.</summary>
    /// <exception cref="MeteringException">Unknown customer or plan, bad seats, or a duplicate subscription id.</exception>
    ValueTask<Subscription> SubscribeAsync(SubscribeRequest request, CancellationToken cancellationToken = default);

    /// <summary>A subscription by id, or null.</summary>
    ValueTask<Subscription?> GetAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>A customer's subscriptions, oldest first.</summary>
    ValueTask<IReadOnlyList<Subscription>> ListAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a subscription to another plan now, keeping its billing anchor (<see cref="PlanChangeAnchor.Keep"/>): the
    /// running period's usage is closed and invoiced on the old plan (base fee prorated to the moment of the change), and
    /// the new plan runs from the change to the next anchor date (base fee prorated), then in full periods on the same
    /// dates as before.
    /// </summary>
    ValueTask<PlanChangeResult> ChangePlanAsync(string subscriptionId, string newPlanKey, int? newPlanVersion = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a subscription to another plan now: the running period's usage is closed and invoiced on the old plan (base
    /// fee prorated to the moment of the change). With <see cref="PlanChangeAnchor.Keep"/> the new plan runs from the
    /// change to the next anchor date (base fee prorated against a full period), then full periods on the same dates; a
    /// plan with another interval keeps the anchor's local date and time with its own interval, and its first period
    /// ends at the first of its starts after the change. With <see cref="PlanChangeAnchor.Reset"/> the schedule is
    /// re-anchored at the moment of the change and the new plan's first full period starts then.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: no such subscription or plan;
    /// <see cref="MeteringErrorCode.InvalidState"/>: the subscription ended, or its period is due and not closed yet;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: an undefined <paramref name="anchor"/>.</exception>
    ValueTask<PlanChangeResult> ChangePlanAsync(string subscriptionId, string newPlanKey, int? newPlanVersion, PlanChangeAnchor anchor, CancellationToken cancellationToken = default);

    /// <summary>Cancels now: the running period is invoiced at once (summaries become <c>Final</c>) and no further usage is accepted.</summary>
    ValueTask<Invoice> CancelNowAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Cancels at the end of the current period: invoiced then, no further periods. Undo with <see cref="ReactivateAsync"/>.</summary>
    ValueTask<Subscription> CancelAtPeriodEndAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Undoes a scheduled cancellation before it takes effect.</summary>
    /// <exception cref="MeteringException">The subscription has already ended or has no scheduled cancellation.</exception>
    ValueTask<Subscription> ReactivateAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the number of seats paid for, from now on: the change is kept in <see cref="Subscription.SeatChanges"/>, and
    /// a per-seat base fee on the invoice of the running period is prorated by time (each count for the part of the
    /// period it was held).
    /// </summary>
    /// <exception cref="MeteringException">Fewer than 1 seat, more than the plan's <c>seats</c> limit, fewer than are
    /// assigned, or more than <see cref="MaxSeatChangesPerPeriod"/> changes in the running period.</exception>
    ValueTask<Subscription> SetSeatsAsync(string subscriptionId, int seats, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the subscription's own usage alerts (<see cref="Subscription.UsageAlerts"/>; empty removes them): each
    /// raises <see cref="BillingEventType.UsageThresholdReached"/> once per period when a record takes its charge's quantity
    /// or running amount across it, like a plan charge's alerts. Applies to records appended from now on.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: no such subscription;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: a charge the plan does not have, a threshold not above 0 or too
    /// large, or more than 1,000 alerts; <see cref="MeteringErrorCode.InvalidState"/>: the subscription ended.</exception>
    ValueTask<Subscription> SetUsageAlertsAsync(string subscriptionId, IReadOnlyList<SubscriptionUsageAlert> alerts, CancellationToken cancellationToken = default);

    /// <summary>
    /// Merges <paramref name="changes"/> into <see cref="Subscription.Metadata"/>: each entry sets its key, an empty value
    /// removes it; the customer metadata rules and limits apply (<see cref="CustomerDetails.MaxMetadataEntries"/> entries,
    /// key and value lengths). On an error nothing changes. Also allowed on an ended subscription.
    /// </summary>
    /// <returns>The subscription as stored after the change (unchanged, same revision, when the changes change nothing).</returns>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: no such subscription;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: a key or value too long, or too many entries.</exception>
    /// <exception cref="InvalidTextException">Text has a NUL or an unpaired surrogate.</exception>
    ValueTask<Subscription> UpdateSubscriptionMetadataAsync(string subscriptionId, IReadOnlyDictionary<string, string> changes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Attaches contract terms of the subscription's own (<see cref="Subscription.Contract"/>), replacing any it had;
    /// they win over the customer's terms (<see cref="SetCustomerContractAsync"/>). Null removes them: the subscription
    /// then carries the customer's terms, if any (<see cref="Subscription.ContractInherited"/>). The terms price every
    /// period not yet closed that they apply to (<see cref="ContractTerms.AppliesTo"/>), its usage recorded before the
    /// call included; real-time credits already burned are not repriced (their ledger keeps the price they burned at).
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: no such subscription;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: the terms do not fit the plan (<see cref="ContractTerms.CheckAgainst"/>);
    /// <see cref="MeteringErrorCode.InvalidState"/>: the subscription ended.</exception>
    ValueTask<Subscription> SetContractAsync(string subscriptionId, ContractTerms? contract, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the customer's contract terms (<see cref="Customer.Contract"/>; null clears them). In one store transaction
    /// with the customer and all its subscriptions: every active subscription without terms of its own carries them
    /// (<see cref="Subscription.ContractInherited"/>), and new subscriptions subscribed without terms start with them;
    /// a subscription's own terms (<see cref="SetContractAsync"/>, <see cref="SubscribeRequest.Contract"/>) win, and
    /// clearing the customer's terms clears only the inherited ones. Credit wallets never carry them. Like
    /// <see cref="SetContractAsync"/>, the terms price the periods not yet closed; credits already burned are not repriced.
    /// </summary>
    /// <returns>The customer as stored after the change.</returns>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: no such customer;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: the terms are malformed (<see cref="ContractTerms.CheckShape"/>) or
    /// do not fit the plan of a subscription that would carry them (the message names it; give it terms of its own first).</exception>
    ValueTask<Customer> SetCustomerContractAsync(string customerId, ContractTerms? contract, CancellationToken cancellationToken = default);

    /// <summary>Assigns a seat to a user (idempotent for a user already assigned).</summary>
    /// <exception cref="MeteringException">Every paid seat is taken; raise <see cref="Subscription.Seats"/> first.</exception>
    ValueTask<Subscription> AssignSeatAsync(string subscriptionId, string userId, CancellationToken cancellationToken = default);

    /// <summary>Frees a user's seat (no-op when the user holds none).</summary>
    ValueTask<Subscription> UnassignSeatAsync(string subscriptionId, string userId, CancellationToken cancellationToken = default);
}
