namespace Metering;

/// <summary>
/// The typed details of a <see cref="BillingEvent"/>: one sealed record per family of <see cref="BillingEventType"/>s
/// (<see cref="TypeFor"/> says which). Hosts switch on the concrete type:
/// <c>if (e.Payload is InvoiceEventPayload invoice) { ... invoice.Total ... }</c>.
/// </summary>
/// <remarks>
/// Payloads are a public contract (stored with the event, and written as the <c>data</c> of an event's JSON); a change
/// to one raises <see cref="BillingEvent.CurrentSchemaVersion"/>.
/// </remarks>
public abstract record BillingEventPayload
{
    // The family is closed: a BillingEvent accepts only the payload type its event type maps to.
    private protected BillingEventPayload()
    {
    }

    /// <summary>The payload type an event of <paramref name="type"/> carries (each type maps to exactly one).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a defined <see cref="BillingEventType"/>.</exception>
    public static Type TypeFor(BillingEventType type) => type switch
    {
        BillingEventType.SubscriptionActivated or BillingEventType.SubscriptionRenewed or BillingEventType.SubscriptionPlanChanged
            or BillingEventType.SubscriptionSeatsChanged or BillingEventType.SubscriptionCancellationScheduled
            or BillingEventType.SubscriptionReactivated or BillingEventType.SubscriptionCanceled => typeof(SubscriptionEventPayload),
        BillingEventType.InvoiceCreated or BillingEventType.InvoiceFinalized or BillingEventType.InvoicePaid
            or BillingEventType.InvoicePaymentFailed or BillingEventType.InvoiceVoided or BillingEventType.InvoiceUncollectible => typeof(InvoiceEventPayload),
        BillingEventType.CreditsGranted or BillingEventType.CreditsExpired => typeof(CreditGrantEventPayload),
        BillingEventType.CreditsLow or BillingEventType.CreditsExhausted => typeof(CreditBalanceEventPayload),
        BillingEventType.UsageThresholdReached => typeof(UsageThresholdEventPayload),
        BillingEventType.CreditNoteIssued => typeof(CreditNoteEventPayload),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"{type} is not a defined billing event type."),
    };
}

/// <summary>
/// A subscription event (activated, renewed, plan changed, seats changed, cancellation scheduled, reactivated,
/// canceled): the subscription as it is after the change.
/// </summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PlanKey">The plan it is billed on (after a plan change, the new plan).</param>
/// <param name="PlanVersion">The plan version.</param>
/// <param name="CurrentPeriod">Its current period (for a canceled subscription, the last one).</param>
/// <param name="Seats">Its seat count.</param>
/// <param name="CancelAt">When it is set to end, if it is.</param>
/// <param name="EndedAt">When it ended, once it has.</param>
public sealed record SubscriptionEventPayload(
    string SubscriptionId,
    string PlanKey,
    int PlanVersion,
    BillingPeriod CurrentPeriod,
    int Seats,
    Instant? CancelAt,
    Instant? EndedAt) : BillingEventPayload
{
    /// <summary>The payload of <paramref name="subscription"/> as it is (after the change the event reports).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="subscription"/> is null.</exception>
    public static SubscriptionEventPayload Of(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return new(subscription.SubscriptionId, subscription.PlanKey, subscription.PlanVersion, subscription.CurrentPeriod, subscription.Seats, subscription.CancelAt, subscription.EndedAt);
    }
}

/// <summary>
/// An invoice event (created, finalized, paid, payment failed, voided, uncollectible): the invoice as it is after the change.
/// </summary>
/// <param name="InvoiceId">The invoice.</param>
/// <param name="Number">Its number, assigned by the store when the period closes; null only for events read from a
/// store that does not assign it in the close transaction.</param>
/// <param name="SubscriptionId">The subscription it bills.</param>
/// <param name="Period">The service period it covers (ends early for a plan change or cancellation).</param>
/// <param name="Reason">Why it was created.</param>
/// <param name="Status">Its status after the change.</param>
/// <param name="Total">Its amount due.</param>
/// <param name="PaymentFailures">Failed payment attempts so far.</param>
/// <param name="Lines">Its lines, summarized: kind, charge key and rounded amount, in invoice order.</param>
public sealed record InvoiceEventPayload(
    string InvoiceId,
    long? Number,
    string SubscriptionId,
    BillingPeriod Period,
    InvoiceReason Reason,
    InvoiceStatus Status,
    Money Total,
    int PaymentFailures,
    IReadOnlyList<InvoiceLineSummary> Lines) : BillingEventPayload
{
    /// <summary>Equal in every field; lines compare element by element.</summary>
    public bool Equals(InvoiceEventPayload? other) =>
        other is not null
        && string.Equals(InvoiceId, other.InvoiceId, StringComparison.Ordinal)
        && Number == other.Number
        && string.Equals(SubscriptionId, other.SubscriptionId, StringComparison.Ordinal)
        && Period == other.Period
        && Reason == other.Reason
        && Status == other.Status
        && Total == other.Total
        && PaymentFailures == other.PaymentFailures
        && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(InvoiceId, Number, Status, Total, Lines.Count);
}

/// <summary>One line of an <see cref="InvoiceEventPayload"/>.</summary>
/// <param name="Kind">Base fee, usage or credit.</param>
/// <param name="ChargeKey">The charge; null for the base fee and invoice-time credits.</param>
/// <param name="Amount">The rounded amount (credit lines are negative).</param>
public sealed record InvoiceLineSummary(InvoiceLineKind Kind, string? ChargeKey, Money Amount);

/// <summary>A grant event (credits granted or expired).</summary>
/// <param name="GrantId">The grant.</param>
/// <param name="Amount">The amount granted, or the amount that expired.</param>
public sealed record CreditGrantEventPayload(string GrantId, Money Amount) : BillingEventPayload;

/// <summary>A credit balance alert (low or exhausted) for one unit.</summary>
public sealed record CreditBalanceEventPayload : BillingEventPayload
{
    /// <summary>Creates the payload.</summary>
    /// <param name="unit">The currency or credit unit.</param>
    /// <param name="remaining">What remains after the change, in <paramref name="unit"/>.</param>
    /// <param name="threshold">The low-balance threshold crossed, in <paramref name="unit"/>; null for an exhausted balance.</param>
    /// <exception cref="ArgumentNullException"><paramref name="unit"/> is null.</exception>
    /// <exception cref="ArgumentException">An amount is in another unit.</exception>
    public CreditBalanceEventPayload(Currency unit, Money remaining, Money? threshold)
    {
        ArgumentNullException.ThrowIfNull(unit);
        Preconditions.CheckArgument(remaining.Currency == unit, nameof(remaining), $"The remaining balance is in {remaining.Currency}, but the unit is {unit}.");
        Preconditions.CheckArgument(threshold is null || threshold.Value.Currency == unit, nameof(threshold), $"The threshold is in {threshold?.Currency}, but the unit is {unit}.");
        Unit = unit;
        Remaining = remaining;
        Threshold = threshold;
    }

    /// <summary>The currency or credit unit.</summary>
    public Currency Unit { get; }

    /// <summary>What remains after the change.</summary>
    public Money Remaining { get; }

    /// <summary>The low-balance threshold crossed; null for an exhausted balance.</summary>
    public Money? Threshold { get; }
}

/// <summary>A usage alert: a record took a charge's quantity or running amount in a period to a threshold.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="ChargeKey">The charge.</param>
/// <param name="Kind">What the alert watches.</param>
/// <param name="Threshold">The threshold reached.</param>
/// <param name="Value">The charge's quantity or running amount (plan currency, before rounding and credits) after the record.</param>
/// <param name="PeriodStart">Start of the period the record counts in.</param>
public sealed record UsageThresholdEventPayload(
    string SubscriptionId,
    string ChargeKey,
    UsageAlertKind Kind,
    decimal Threshold,
    decimal Value,
    Instant PeriodStart) : BillingEventPayload;

/// <summary>A credit note event: the note as issued and what it leaves creditable on its invoice.</summary>
/// <param name="CreditNoteId">The credit note.</param>
/// <param name="Number">Its number: unique and gap-free per store (1, 2, 3, ...), its own sequence apart from invoice numbers.</param>
/// <param name="InvoiceId">The invoice it credits.</param>
/// <param name="InvoiceNumber">That invoice's number.</param>
/// <param name="Amount">The amount credited, in the invoice currency.</param>
/// <param name="Reason">Why it was issued.</param>
/// <param name="Outcome">A refund to make, or a credit to the customer's balance.</param>
/// <param name="GrantId">The credit grant made on the customer's balance (outcome <see cref="CreditNoteOutcome.CustomerBalance"/>); null for a refund.</param>
/// <param name="InvoiceCredited">Everything credited on the invoice so far, this note included.</param>
/// <param name="InvoiceCreditable">What can still be credited on the invoice after this note.</param>
public sealed record CreditNoteEventPayload(
    string CreditNoteId,
    long Number,
    string InvoiceId,
    long InvoiceNumber,
    Money Amount,
    CreditNoteReason Reason,
    CreditNoteOutcome Outcome,
    string? GrantId,
    Money InvoiceCredited,
    Money InvoiceCreditable) : BillingEventPayload;

/// <summary>
/// The payload of an event stored before payloads were typed (schema version 0): its details as the text it was stored
/// with (amounts as <c>"22.50 EUR"</c>, plans as <c>"pro v2"</c>). Only events read back from a store carry one; its
/// <see cref="BillingEvent.SchemaVersion"/> is 0.
/// </summary>
/// <param name="Data">The stored details.</param>
public sealed record LegacyEventPayload(IReadOnlyDictionary<string, string> Data) : BillingEventPayload
{
    /// <summary>Equal when both hold the same keys with the same values.</summary>
    public bool Equals(LegacyEventPayload? other) =>
        other is not null
        && Data.Count == other.Data.Count
        && Data.All(p => other.Data.TryGetValue(p.Key, out var value) && string.Equals(value, p.Value, StringComparison.Ordinal));

    /// <inheritdoc/>
    public override int GetHashCode() => Data.Count;
}
