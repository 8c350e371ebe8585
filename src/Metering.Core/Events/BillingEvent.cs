namespace Metering;

/// <summary>What happened, for host handlers (emails, webhooks, accounting).</summary>
public enum BillingEventType
{
    /// <summary>A subscription started.</summary>
    SubscriptionActivated,

    /// <summary>A subscription moved to its next period.</summary>
    SubscriptionRenewed,

    /// <summary>A subscription changed plan.</summary>
    SubscriptionPlanChanged,

    /// <summary>A subscription's seat count or seat assignments changed.</summary>
    SubscriptionSeatsChanged,

    /// <summary>A subscription was set to end at its period end.</summary>
    SubscriptionCancellationScheduled,

    /// <summary>A scheduled cancellation was undone.</summary>
    SubscriptionReactivated,

    /// <summary>A subscription ended.</summary>
    SubscriptionCanceled,

    /// <summary>An invoice was created (as draft or finalized).</summary>
    InvoiceCreated,

    /// <summary>An invoice was finalized.</summary>
    InvoiceFinalized,

    /// <summary>An invoice was paid.</summary>
    InvoicePaid,

    /// <summary>A payment attempt failed.</summary>
    InvoicePaymentFailed,

    /// <summary>An invoice was voided.</summary>
    InvoiceVoided,

    /// <summary>An invoice was given up on as uncollectible.</summary>
    InvoiceUncollectible,

    /// <summary>Credits were granted.</summary>
    CreditsGranted,

    /// <summary>A credit balance fell below its low-balance threshold.</summary>
    CreditsLow,

    /// <summary>A credit balance reached zero.</summary>
    CreditsExhausted,

    /// <summary>Credits expired.</summary>
    CreditsExpired,

    /// <summary>A charge's usage in a period reached one of its <see cref="Charge.Alerts"/> thresholds.</summary>
    UsageThresholdReached,
}

/// <summary>A billing event, stored in the same transaction as the change that caused it.</summary>
/// <param name="EventId">Unique id (stable across redeliveries, for handler deduplication).</param>
/// <param name="Type">What happened.</param>
/// <param name="CustomerId">The customer concerned.</param>
/// <param name="SubjectId">The subscription, invoice or grant id concerned.</param>
/// <param name="OccurredAt">When it happened.</param>
/// <param name="Data">Small details (amounts, plan keys) as text.</param>
public sealed record BillingEvent(
    string EventId,
    BillingEventType Type,
    string CustomerId,
    string SubjectId,
    Instant OccurredAt,
    IReadOnlyDictionary<string, string> Data)
{
    /// <summary>
    /// A new event with a fresh id. The id is <c>{type}:{subject}:{ticks}:{random}</c>: the random part keeps ids unique
    /// when one subject has several events of a type at the same instant (renewals of a subscription several periods
    /// behind, concurrent seat changes); the stored id is what redeliveries carry, so it stays stable for deduplication.
    /// </summary>
    /// <param name="type">What happened.</param>
    /// <param name="customerId">The customer concerned.</param>
    /// <param name="subjectId">The subscription, invoice or grant id concerned.</param>
    /// <param name="at">When it happened.</param>
    /// <param name="data">Small details as key/value text.</param>
    public static BillingEvent Create(BillingEventType type, string customerId, string subjectId, Instant at, params (string Key, string Value)[] data)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentNullException.ThrowIfNull(subjectId);
        ArgumentNullException.ThrowIfNull(data);
        return new(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{type}:{subjectId}:{at.ToUnixTimeTicks()}:{Guid.NewGuid():N}"),
            type,
            customerId,
            subjectId,
            at,
            data.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal));
    }
}
