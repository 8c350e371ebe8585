using System.Globalization;

namespace Metering;

/// <summary>What happened, for host handlers (emails, webhooks, accounting).</summary>
/// <remarks>Each type carries one payload type; see <see cref="BillingEventPayload.TypeFor"/>.</remarks>
public enum BillingEventType
{
    /// <summary>A subscription started. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionActivated,

    /// <summary>A subscription moved to its next period. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionRenewed,

    /// <summary>A subscription changed plan. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionPlanChanged,

    /// <summary>A subscription's seat count or seat assignments changed. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionSeatsChanged,

    /// <summary>A subscription was set to end at its period end. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionCancellationScheduled,

    /// <summary>A scheduled cancellation was undone. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionReactivated,

    /// <summary>A subscription ended. Payload: <see cref="SubscriptionEventPayload"/>.</summary>
    SubscriptionCanceled,

    /// <summary>An invoice was created (as draft or finalized). Payload: <see cref="InvoiceEventPayload"/>.</summary>
    InvoiceCreated,

    /// <summary>An invoice was finalized. Payload: <see cref="InvoiceEventPayload"/>.</summary>
    InvoiceFinalized,

    /// <summary>An invoice was paid. Payload: <see cref="InvoiceEventPayload"/>.</summary>
    InvoicePaid,

    /// <summary>A payment attempt failed. Payload: <see cref="InvoiceEventPayload"/>.</summary>
    InvoicePaymentFailed,

    /// <summary>An invoice was voided. Payload: <see cref="InvoiceEventPayload"/>.</summary>
    InvoiceVoided,

    /// <summary>An invoice was given up on as uncollectible. Payload: <see cref="InvoiceEventPayload"/>.</summary>
    InvoiceUncollectible,

    /// <summary>Credits were granted. Payload: <see cref="CreditGrantEventPayload"/>.</summary>
    CreditsGranted,

    /// <summary>A credit balance fell below its low-balance threshold. Payload: <see cref="CreditBalanceEventPayload"/>.</summary>
    CreditsLow,

    /// <summary>A credit balance reached zero. Payload: <see cref="CreditBalanceEventPayload"/>.</summary>
    CreditsExhausted,

    /// <summary>Credits expired. Payload: <see cref="CreditGrantEventPayload"/>.</summary>
    CreditsExpired,

    /// <summary>
    /// A charge's usage in a period reached one of its <see cref="Charge.Alerts"/> thresholds.
    /// Payload: <see cref="UsageThresholdEventPayload"/>.
    /// </summary>
    UsageThresholdReached,

    /// <summary>
    /// A credit note was issued against a finalized or paid invoice (a refund to make, or a credit to the customer's balance).
    /// Payload: <see cref="CreditNoteEventPayload"/>.
    /// </summary>
    CreditNoteIssued,
}

/// <summary>
/// A billing event, stored in the same transaction as the change that caused it. The <see cref="Payload"/> is typed:
/// its type follows from <see cref="Type"/> (<see cref="BillingEventPayload.TypeFor"/>), which the constructor checks.
/// </summary>
public sealed record BillingEvent
{
    /// <summary>
    /// The payload schema events are created with: 1, the typed payloads. Version 0 marks an event stored before payloads
    /// were typed, read back with a <see cref="LegacyEventPayload"/>.
    /// </summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Creates an event; use <see cref="Create"/> for a new one with a fresh id.</summary>
    /// <param name="eventId">Unique id (stable across redeliveries, for handler deduplication).</param>
    /// <param name="type">What happened.</param>
    /// <param name="customerId">The customer concerned.</param>
    /// <param name="subjectId">The subscription, invoice, grant id or credit unit code concerned.</param>
    /// <param name="occurredAt">When it happened.</param>
    /// <param name="payload">The details: the payload type of <paramref name="type"/>, or a <see cref="LegacyEventPayload"/>
    /// for an event stored before payloads were typed (its <see cref="SchemaVersion"/> is then 0).</param>
    /// <exception cref="ArgumentNullException">A reference argument is null.</exception>
    /// <exception cref="ArgumentException">The payload is not the one <paramref name="type"/> carries.</exception>
    public BillingEvent(string eventId, BillingEventType type, string customerId, string subjectId, Instant occurredAt, BillingEventPayload payload)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentNullException.ThrowIfNull(subjectId);
        ArgumentNullException.ThrowIfNull(payload);
        var expected = BillingEventPayload.TypeFor(type);
        if (payload is not LegacyEventPayload && payload.GetType() != expected)
        {
            throw new ArgumentException(
                $"A {type} event carries a {expected.Name}, but the payload is a {payload.GetType().Name}; pass a {expected.Name}.",
                nameof(payload));
        }

        EventId = eventId;
        Type = type;
        CustomerId = customerId;
        SubjectId = subjectId;
        OccurredAt = occurredAt;
        Payload = payload;
        SchemaVersion = payload is LegacyEventPayload ? 0 : CurrentSchemaVersion;
    }

    /// <summary>Unique id (stable across redeliveries, for handler deduplication).</summary>
    public string EventId { get; }

    /// <summary>What happened.</summary>
    public BillingEventType Type { get; }

    /// <summary>The customer concerned.</summary>
    public string CustomerId { get; }

    /// <summary>The subscription, invoice or grant id, or the credit unit code (credit balance alerts) concerned.</summary>
    public string SubjectId { get; }

    /// <summary>When it happened.</summary>
    public Instant OccurredAt { get; }

    /// <summary>
    /// The payload schema: <see cref="CurrentSchemaVersion"/> for typed payloads, 0 for an event stored before payloads
    /// were typed (its payload is a <see cref="LegacyEventPayload"/>).
    /// </summary>
    public int SchemaVersion { get; }

    /// <summary>The details, typed per <see cref="Type"/>: switch on the payload type (or cast to <see cref="BillingEventPayload.TypeFor"/>).</summary>
    public BillingEventPayload Payload { get; }

    /// <summary>
    /// A new event with a fresh id. The id is <c>{type}:{subject}:{ticks}:{random}</c>: the random part keeps ids unique
    /// when one subject has several events of a type at the same instant (renewals of a subscription several periods
    /// behind, concurrent seat changes); the stored id is what redeliveries carry, so it stays stable for deduplication.
    /// </summary>
    /// <param name="type">What happened.</param>
    /// <param name="customerId">The customer concerned.</param>
    /// <param name="subjectId">The subscription, invoice, grant id or credit unit code concerned.</param>
    /// <param name="at">When it happened.</param>
    /// <param name="payload">The details, of the payload type of <paramref name="type"/>.</param>
    /// <exception cref="ArgumentNullException">A reference argument is null.</exception>
    /// <exception cref="ArgumentException">The payload is not the one <paramref name="type"/> carries (a <see cref="LegacyEventPayload"/> included).</exception>
    public static BillingEvent Create(BillingEventType type, string customerId, string subjectId, Instant at, BillingEventPayload payload)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        if (payload is LegacyEventPayload)
        {
            throw new ArgumentException($"A new {type} event carries a {BillingEventPayload.TypeFor(type).Name}; a LegacyEventPayload only reads back events stored before schema version 1.", nameof(payload));
        }

        return new(
            string.Create(CultureInfo.InvariantCulture, $"{type}:{subjectId}:{at.ToUnixTimeTicks()}:{Guid.NewGuid():N}"),
            type,
            customerId,
            subjectId,
            at,
            payload);
    }
}
