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
    IReadOnlyDictionary<string, string> Data);
