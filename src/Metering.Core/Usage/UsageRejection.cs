using System.Globalization;

namespace Metering;

/// <summary>Why a usage record was rejected. Each rejection comes with a message that says what to fix.</summary>
public enum UsageRejectionReason
{
    /// <summary>The record has no idempotency key.</summary>
    MissingIdempotencyKey,

    /// <summary>The idempotency key is longer than <see cref="UsageRecordRules.MaxIdempotencyKeyLength"/> characters.</summary>
    IdempotencyKeyTooLong,

    /// <summary>The quantity is below zero.</summary>
    NegativeQuantity,

    /// <summary>No meter has the record's meter key.</summary>
    UnknownMeter,

    /// <summary>The customer is not known to the store.</summary>
    UnknownCustomer,

    /// <summary>The customer has no subscription active at the record's timestamp.</summary>
    NoActiveSubscription,

    /// <summary>The timestamp is further in the future than the clock-skew tolerance.</summary>
    TimestampInFuture,

    /// <summary>The billing period containing the timestamp has already been closed.</summary>
    PeriodClosed,

    /// <summary>Real-time credits ran out and the plan blocks further usage.</summary>
    InsufficientCredits,

    /// <summary>A property the meter needs (e.g. its unique property) is missing from the record.</summary>
    MissingProperty,

    /// <summary>The record is malformed in another way (blank customer id or meter key, undefined action, ...).</summary>
    InvalidRecord,

    /// <summary>
    /// A text field (customer id, subscription id, meter key, idempotency key, property name or value) has a NUL
    /// character or an unpaired UTF-16 surrogate (see <see cref="TextRules"/>).
    /// </summary>
    InvalidText,

    /// <summary>
    /// The quantity is above <see cref="MeteringLimits.MaxQuantity"/>, or would take the period's aggregated quantity
    /// above it.
    /// </summary>
    QuantityOutOfRange,

    /// <summary>
    /// Only on a <c>Conflict</c> outcome: the idempotency key was already used for a record with different content.
    /// </summary>
    IdempotencyKeyConflict,

    /// <summary>
    /// The record would take a charge's quantity in its period above the charge's hard limit
    /// (<see cref="Charge.LimitPerPeriod"/>); nothing of it is stored.
    /// </summary>
    UsageLimitReached,

    /// <summary>
    /// The record would open a new group of a grouped charge (<see cref="Charge.GroupBy"/>) in a period that already
    /// holds <see cref="MeteringLimits.MaxGroupsPerPeriod"/> groups; nothing of it is stored.
    /// </summary>
    TooManyGroups,

    /// <summary>
    /// Only from <c>IUsageRecorder</c>'s backfill: the record's period is still open (not closed and invoiced);
    /// record it with <c>RecordAsync</c> instead.
    /// </summary>
    PeriodNotClosed,
}

/// <summary>
/// A typed, expected rejection of one usage record: the <paramref name="Reason"/> and a <paramref name="Message"/>
/// that names the problem and the fix. Rejections are outcomes, not exceptions.
/// </summary>
/// <param name="Reason">Why the record was rejected.</param>
/// <param name="Message">What is wrong and what to do about it.</param>
public readonly record struct UsageRejection(UsageRejectionReason Reason, string Message)
{
    /// <summary>The customer is not known.</summary>
    public static UsageRejection UnknownCustomer(string? customerId) =>
        new(UsageRejectionReason.UnknownCustomer,
            $"Customer '{customerId}' is not known; create the customer and subscribe them to a plan before recording usage, or check the customer id.");

    /// <summary>The customer has no subscription active at <paramref name="timestamp"/>.</summary>
    public static UsageRejection NoActiveSubscription(string? customerId, Instant timestamp) =>
        new(UsageRejectionReason.NoActiveSubscription,
            $"Customer '{customerId}' has no subscription active at {timestamp}; subscribe the customer to a plan before recording usage, or send the record with a timestamp inside an active subscription.");

    /// <summary>
    /// The period that contains <paramref name="recordTimestamp"/> was closed at <paramref name="closedAt"/>, so the
    /// record is too late to be billed.
    /// </summary>
    public static UsageRejection PeriodClosed(string? meterKey, BillingPeriod period, Instant closedAt, Instant recordTimestamp) =>
        new(UsageRejectionReason.PeriodClosed,
            $"The billing period [{period.Start}, {period.End}) for this '{meterKey}' record's timestamp {recordTimestamp} was closed at {closedAt}; " +
            "late records are accepted only until the period closes (end + grace window). " +
            "Record it with a timestamp in the current period or issue a credit/adjustment.");

    /// <summary>
    /// A backfilled record's period (starting at <paramref name="periodStart"/>) is still open: backfill is only for
    /// closed periods.
    /// </summary>
    public static UsageRejection PeriodNotClosed(string? meterKey, Instant periodStart, Instant recordTimestamp) =>
        new(UsageRejectionReason.PeriodNotClosed,
            $"The billing period starting {periodStart} for this '{meterKey}' record's timestamp {recordTimestamp} is still open; " +
            "backfill only records usage into closed periods. Record it with IUsageRecorder.RecordAsync instead.");

    /// <summary>
    /// Real-time credits do not cover the record's <paramref name="cost"/> and the plan blocks usage when they run out.
    /// </summary>
    public static UsageRejection InsufficientCredits(string? customerId, string? meterKey, Money cost, Money available) =>
        new(UsageRejectionReason.InsufficientCredits,
            $"Customer '{customerId}' has {available} of credits left but this '{meterKey}' record costs {cost}, and the plan blocks usage when real-time credits run out; " +
            "grant more credits, or switch the plan to let usage run into billable overage.");

    /// <summary>No meter has the key <paramref name="meterKey"/>.</summary>
    public static UsageRejection UnknownMeter(string? meterKey) =>
        new(UsageRejectionReason.UnknownMeter,
            $"Meter '{meterKey}' is not defined; define it at startup (e.g. Meter.Sum(\"{meterKey}\")) or record against an existing meter key (keys are case-sensitive).");

    /// <summary>The record lacks the property <paramref name="property"/> that meter <paramref name="meterKey"/> needs.</summary>
    public static UsageRejection MissingProperty(string? meterKey, string property) =>
        new(UsageRejectionReason.MissingProperty,
            $"Meter '{meterKey}' counts distinct values of property '{property}', but this record has no non-blank '{property}' property; add Properties[\"{property}\"] to the record.");

    internal static UsageRejection MissingIdempotencyKey() =>
        new(UsageRejectionReason.MissingIdempotencyKey,
            "The record has no idempotency key; set IdempotencyKey to a value unique to this usage event (e.g. the id of the request or job) so retries are counted once.");

    internal static UsageRejection IdempotencyKeyTooLong(int length) =>
        new(UsageRejectionReason.IdempotencyKeyTooLong,
            $"The idempotency key is {length} characters long; the limit is {UsageRecordRules.MaxIdempotencyKeyLength}. Use a shorter key, e.g. a hash or a UUID of the event.");

    internal static UsageRejection NegativeQuantity(decimal quantity) =>
        new(UsageRejectionReason.NegativeQuantity,
            string.Create(CultureInfo.InvariantCulture, $"The quantity {quantity} is negative; usage quantities are zero or positive. To reduce a Sum meter, send a Set record with the corrected total, or issue a credit/adjustment."));

    internal static UsageRejection TimestampInFuture(Instant timestamp, Instant now, Duration tolerance) =>
        new(UsageRejectionReason.TimestampInFuture,
            $"The timestamp {timestamp} is {DurationText.Format(timestamp - now)} ahead of now ({now}), beyond the clock-skew tolerance of {DurationText.Format(tolerance)}; " +
            "send the time the usage happened, from a synchronized clock.");

    internal static UsageRejection InvalidRecord(string message) => new(UsageRejectionReason.InvalidRecord, message);

    internal static UsageRejection InvalidText(string message) => new(UsageRejectionReason.InvalidText, message);

    internal static UsageRejection QuantityTooLarge(decimal quantity) =>
        new(UsageRejectionReason.QuantityOutOfRange,
            string.Create(CultureInfo.InvariantCulture, $"The quantity {quantity} is above the limit of {MeteringLimits.MaxQuantity} per record; record it in a larger unit (e.g. GB instead of bytes) or split it into several records."));

    /// <summary>
    /// Applying the record would take the aggregated quantity of <paramref name="aggregateKey"/> in its period from
    /// <paramref name="current"/> above <see cref="MeteringLimits.MaxQuantity"/>.
    /// </summary>
    public static UsageRejection AggregateOutOfRange(string aggregateKey, decimal current, decimal quantity) =>
        new(UsageRejectionReason.QuantityOutOfRange,
            string.Create(CultureInfo.InvariantCulture, $"Adding {quantity} to '{aggregateKey}' (already {current} this period) would pass the limit of {MeteringLimits.MaxQuantity} per period; meter in a larger unit (e.g. GB instead of bytes), or send a Set record with the corrected total."));

    /// <summary>
    /// Applying the record would take <paramref name="chargeKey"/>'s quantity this period from <paramref name="current"/>
    /// to <paramref name="after"/>, above its hard <paramref name="limit"/>.
    /// </summary>
    public static UsageRejection UsageLimitReached(string chargeKey, decimal limit, decimal current, decimal after) =>
        new(UsageRejectionReason.UsageLimitReached,
            string.Create(CultureInfo.InvariantCulture, $"Charge '{chargeKey}' is limited to {limit} per period and is at {current}; this record would take it to {after}. Wait for the next period, or move the customer to a plan with a higher limit."));

    /// <summary>
    /// The record would open a new group of <paramref name="chargeKey"/> in a period that already holds
    /// <paramref name="limit"/> groups.
    /// </summary>
    public static UsageRejection TooManyGroups(string chargeKey, int limit) =>
        new(UsageRejectionReason.TooManyGroups,
            string.Create(CultureInfo.InvariantCulture, $"The record would open a new group of charge '{chargeKey}', but this subscription's period already has {limit} groups, the most a period may hold. Group by a property with fewer distinct values (a region or a plan tier, not a user or request id); records for groups already open are still accepted."));

    /// <summary>The reason and message, e.g. <c>NegativeQuantity: The quantity -1 is negative; ...</c>.</summary>
    public override string ToString() => $"{Reason}: {Message}";
}
