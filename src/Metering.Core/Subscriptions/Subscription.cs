using System.Collections.Immutable;

namespace Metering;

/// <summary>The lifecycle state of a subscription.</summary>
public enum SubscriptionStatus
{
    /// <summary>Billing normally; usage is accepted.</summary>
    Active,

    /// <summary>In its free trial; usage is accepted and the base fee is waived.</summary>
    Trialing,

    /// <summary>Ended: canceled and finally invoiced. No usage is accepted.</summary>
    Ended,
}

/// <summary>
/// A customer's subscription to one version of a plan. Immutable: every change produces a new
/// value with <see cref="Revision"/> increased, which the store uses for optimistic concurrency.
/// </summary>
/// <remarks>
/// Billing periods come from <see cref="Schedule"/>. <see cref="CurrentPeriod"/> is the oldest period
/// not yet closed: records whose timestamp falls before its start are rejected as <c>PeriodClosed</c>.
/// A plan change keeps the schedule's anchor by default: <see cref="CurrentPeriod"/> is then the partial period from the
/// change to the next start of the schedule (it can start between two schedule starts). Resetting the anchor on a plan
/// change makes a new schedule starting at the moment of the change.
/// </remarks>
public sealed record Subscription
{
    /// <summary>The subscription's id.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The customer who owns it.</summary>
    public required string CustomerId { get; init; }

    /// <summary>Key of the subscribed plan.</summary>
    public required string PlanKey { get; init; }

    /// <summary>Version of the plan this subscription is billed on (kept until changed).</summary>
    public required int PlanVersion { get; init; }

    /// <summary>How billing periods are laid out (anchor, customer time zone, plan interval).</summary>
    public required BillingSchedule Schedule { get; init; }

    /// <summary>When the subscription started.</summary>
    public required Instant StartedAt { get; init; }

    /// <summary>The oldest period that is not closed yet.</summary>
    public required BillingPeriod CurrentPeriod { get; init; }

    /// <summary>End of the free trial, or null when the plan has none.</summary>
    public Instant? TrialEndsAt { get; init; }

    /// <summary>Number of seats paid for (per-seat base fees are multiplied by it).</summary>
    public int Seats { get; init; } = 1;

    /// <summary>Ids of the users assigned to seats (at most <see cref="Seats"/>).</summary>
    public IReadOnlyList<string> SeatAssignments { get; init; } = [];

    /// <summary>
    /// The seat count changes made during <see cref="CurrentPeriod"/>, oldest first (set with
    /// <c>ISubscriptionService.SetSeatsAsync</c>); a per-seat base fee is weighted by how long each count was held.
    /// Emptied when the period closes (changes made after the close instant are kept for the next period). Empty when
    /// the count has not changed during the period: <see cref="Seats"/> held all along.
    /// </summary>
    public IReadOnlyList<SeatChange> SeatChanges { get; init; } = [];

    /// <summary>When set, the subscription ends at this instant (cancel at period end); can be undone by reactivation until then.</summary>
    public Instant? CancelAt { get; init; }

    /// <summary>When the subscription ended, or null while it runs.</summary>
    public Instant? EndedAt { get; init; }

    /// <summary>Increases by one with every stored change.</summary>
    public long Revision { get; init; }

    /// <summary>
    /// This subscription's own usage alerts, on top of the plan's <see cref="Charge.Alerts"/> (e.g. a customer's
    /// spending alert): each raises <see cref="BillingEventType.UsageThresholdReached"/> once per period when a record
    /// crosses it. Set with <c>ISubscriptionService.SetUsageAlertsAsync</c>.
    /// </summary>
    public IReadOnlyList<SubscriptionUsageAlert> UsageAlerts { get; init; } = [];

    /// <summary>
    /// Free key/value pairs of the host (e.g. an external order id), sorted by key; set at subscribe and changed with
    /// <c>ISubscriptionService.UpdateSubscriptionMetadataAsync</c> (the customer metadata rules and limits).
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get => _metadata;
        init => _metadata = value is null || value.Count == 0 ? NoMetadata : value.ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// When a payment of an invoice of this subscription failed (the first failure not yet settled), or null; entitlements
    /// continue for <c>MeteringOptions.EntitlementGracePeriod</c> from it. Cleared when that invoice is paid or voided.
    /// </summary>
    public Instant? PaymentFailedAt { get; init; }

    /// <summary>The invoice whose failed payment <see cref="PaymentFailedAt"/> records, or null.</summary>
    public string? PaymentFailedInvoiceId { get; init; }

    private static readonly ImmutableSortedDictionary<string, string> NoMetadata = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
    private readonly ImmutableSortedDictionary<string, string> _metadata = NoMetadata;

    /// <summary>
    /// The contract terms on top of the plan (<see cref="ContractTerms"/>), or null; they price the periods they apply to
    /// (<see cref="ContractTerms.AppliesTo"/>). Set with <c>ISubscriptionService.SetContractAsync</c>.
    /// </summary>
    public ContractTerms? Contract { get; init; }

    /// <summary>
    /// True when <see cref="Contract"/> is the customer's terms (<c>Customer.Contract</c>), carried because the
    /// subscription has none of its own: they follow the customer's (changed or cleared with
    /// <c>ISubscriptionService.SetCustomerContractAsync</c>). False when <see cref="Contract"/> is the subscription's own
    /// (<c>SubscribeRequest.Contract</c>, <c>ISubscriptionService.SetContractAsync</c>), which wins over the customer's, or null.
    /// </summary>
    public bool ContractInherited { get; init; }

    /// <summary>Value equality; seat assignments, seat changes and usage alerts compare by their items in order, metadata entry by entry and the contract by value, not by reference.</summary>
    public bool Equals(Subscription? other) =>
        other is not null
        && SubscriptionId == other.SubscriptionId
        && CustomerId == other.CustomerId
        && PlanKey == other.PlanKey
        && PlanVersion == other.PlanVersion
        && Schedule.Equals(other.Schedule)
        && StartedAt == other.StartedAt
        && CurrentPeriod == other.CurrentPeriod
        && TrialEndsAt == other.TrialEndsAt
        && Seats == other.Seats
        && SeatAssignments.SequenceEqual(other.SeatAssignments, StringComparer.Ordinal)
        && SeatChanges.SequenceEqual(other.SeatChanges)
        && CancelAt == other.CancelAt
        && EndedAt == other.EndedAt
        && Revision == other.Revision
        && UsageAlerts.SequenceEqual(other.UsageAlerts)
        && PaymentFailedAt == other.PaymentFailedAt
        && PaymentFailedInvoiceId == other.PaymentFailedInvoiceId
        && _metadata.Count == other._metadata.Count
        && _metadata.All(e => other._metadata.TryGetValue(e.Key, out var v) && string.Equals(e.Value, v, StringComparison.Ordinal))
        && Equals(Contract, other.Contract)
        && ContractInherited == other.ContractInherited;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(SubscriptionId, PlanVersion, CurrentPeriod, Revision);

    /// <summary>The status at <paramref name="now"/>.</summary>
    public SubscriptionStatus StatusAt(Instant now) =>
        EndedAt is not null ? SubscriptionStatus.Ended
        : TrialEndsAt is { } trialEnd && now < trialEnd ? SubscriptionStatus.Trialing
        : SubscriptionStatus.Active;

    /// <summary>
    /// The period, current or later, that contains <paramref name="instant"/>: <see cref="CurrentPeriod"/> when it does;
    /// otherwise the period after it (<see cref="BillingSchedule.PeriodAfter"/>, which starts at the current period's end
    /// even when the schedule changed since, e.g. a new time zone), or a later period of <see cref="Schedule"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="instant"/> is before the current period.</exception>
    public BillingPeriod OpenPeriodContaining(Instant instant)
    {
        if (instant < CurrentPeriod.Start)
        {
            throw new ArgumentOutOfRangeException(nameof(instant), instant, $"{instant} is before the current period {CurrentPeriod} of subscription '{SubscriptionId}'; only the current and later periods are open.");
        }

        if (instant < CurrentPeriod.End)
        {
            return CurrentPeriod;
        }

        var next = Schedule.PeriodAfter(CurrentPeriod);
        return instant < next.End ? next : Schedule.PeriodContaining(instant);
    }

    /// <summary>True when usage at <paramref name="timestamp"/> belongs to this subscription's lifetime.</summary>
    public bool CoversTimestamp(Instant timestamp) =>
        timestamp >= StartedAt && (EndedAt is null || timestamp < EndedAt) && (CancelAt is null || timestamp < CancelAt);
}

/// <summary>A usage alert of one subscription on one of its plan's charges.</summary>
/// <param name="ChargeKey">The charge watched (a charge of the subscription's plan).</param>
/// <param name="Kind">Quantity or running amount.</param>
/// <param name="Threshold">The threshold (above zero).</param>
public readonly record struct SubscriptionUsageAlert(string ChargeKey, UsageAlertKind Kind, decimal Threshold)
{
    /// <summary>The alert as the charge-level <see cref="UsageAlert"/> it behaves like.</summary>
    public UsageAlert ToUsageAlert() => new(Kind, Threshold);
}

/// <summary>A change of a subscription's seat count at one instant, as kept in <see cref="Subscription.SeatChanges"/>.</summary>
/// <param name="At">When the change took effect.</param>
/// <param name="PreviousSeats">Seats held before <paramref name="At"/>.</param>
/// <param name="Seats">Seats held from <paramref name="At"/> on.</param>
public readonly record struct SeatChange(Instant At, int PreviousSeats, int Seats);
