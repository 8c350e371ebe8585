using System.Text.Json;

namespace Metering.Storage;

public static partial class StoreDocuments
{
    /// <summary>The stored JSON document of the value: its envelope, schema version and typed payload.</summary>
    public static string Json(BillingEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var doc = e.Payload is LegacyEventPayload legacy
            ? new EventDoc(e.EventId, e.Type, e.CustomerId, e.SubjectId, Iso(e.OccurredAt), legacy.Data.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal))
            : new EventDoc(e.EventId, e.Type, e.CustomerId, e.SubjectId, Iso(e.OccurredAt), null, e.SchemaVersion, Of(e.Payload));
        return JsonSerializer.Serialize(doc, Context.EventDoc);
    }

    /// <summary>
    /// Reads a value back from its stored JSON document. A document written before payloads were typed (no schema
    /// version, text details in <c>Data</c>) reads as schema version 0 with a <see cref="LegacyEventPayload"/> holding
    /// those details as they were stored.
    /// </summary>
    /// <exception cref="NotSupportedException">The document has a schema version this version of Metering does not know (written by a newer one).</exception>
    public static BillingEvent ToEvent(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.EventDoc)!;
        BillingEventPayload payload = doc.SchemaVersion switch
        {
            0 => new LegacyEventPayload(new Dictionary<string, string>(doc.Data ?? [], StringComparer.Ordinal)),
            BillingEvent.CurrentSchemaVersion => ToPayload(doc.Payload ?? throw new InvalidOperationException($"The stored event '{doc.EventId}' has schema version 1 but no payload.")),
            _ => throw new NotSupportedException(
                $"The stored event '{doc.EventId}' has payload schema version {doc.SchemaVersion}, but this version of Metering reads versions up to {BillingEvent.CurrentSchemaVersion}; upgrade Metering."),
        };
        return new BillingEvent(doc.EventId, doc.Type, doc.CustomerId, doc.SubjectId, ParseInstant(doc.OccurredAt), payload);
    }

    private static EventPayloadDoc Of(BillingEventPayload payload) => payload switch
    {
        SubscriptionEventPayload s => new SubscriptionPayloadDoc(s.SubscriptionId, s.PlanKey, s.PlanVersion, Of(s.CurrentPeriod), s.Seats, Iso(s.CancelAt), Iso(s.EndedAt)),
        InvoiceEventPayload i => new InvoicePayloadDoc(
            i.InvoiceId,
            i.Number,
            i.SubscriptionId,
            Of(i.Period),
            i.Reason,
            i.Status,
            Of(i.Total),
            i.PaymentFailures,
            [.. i.Lines.Select(l => new InvoiceLineSummaryDoc(l.Kind, l.ChargeKey, Of(l.Amount)))]),
        CreditGrantEventPayload g => new GrantPayloadDoc(g.GrantId, Of(g.Amount)),
        CreditBalanceEventPayload b => new BalancePayloadDoc(Of(b.Unit), Of(b.Remaining), b.Threshold is { } t ? Of(t) : null),
        UsageThresholdEventPayload u => new UsageThresholdPayloadDoc(u.SubscriptionId, u.ChargeKey, u.Kind, Text(u.Threshold), Text(u.Value), Iso(u.PeriodStart)),
        CreditNoteEventPayload n => new CreditNotePayloadDoc(n.CreditNoteId, n.Number, n.InvoiceId, n.InvoiceNumber, Of(n.Amount), n.Reason, n.Outcome, n.GrantId, Of(n.InvoiceCredited), Of(n.InvoiceCreditable)),
        _ => throw new InvalidOperationException($"A {payload.GetType().Name} has no stored shape."),
    };

    private static BillingEventPayload ToPayload(EventPayloadDoc doc) => doc switch
    {
        SubscriptionPayloadDoc s => new SubscriptionEventPayload(s.SubscriptionId, s.PlanKey, s.PlanVersion, ToPeriod(s.CurrentPeriod), s.Seats, ParseNullableInstant(s.CancelAt), ParseNullableInstant(s.EndedAt)),
        InvoicePayloadDoc i => new InvoiceEventPayload(
            i.InvoiceId,
            i.Number,
            i.SubscriptionId,
            ToPeriod(i.Period),
            i.Reason,
            i.Status,
            ToMoney(i.Total),
            i.PaymentFailures,
            [.. i.Lines.Select(l => new InvoiceLineSummary(l.Kind, l.ChargeKey, ToMoney(l.Amount)))]),
        GrantPayloadDoc g => new CreditGrantEventPayload(g.GrantId, ToMoney(g.Amount)),
        BalancePayloadDoc b => new CreditBalanceEventPayload(ToCurrency(b.Unit), ToMoney(b.Remaining), b.Threshold is { } t ? ToMoney(t) : null),
        UsageThresholdPayloadDoc u => new UsageThresholdEventPayload(u.SubscriptionId, u.ChargeKey, u.Kind, Decimal(u.Threshold), Decimal(u.Value), ParseInstant(u.PeriodStart)),
        CreditNotePayloadDoc n => new CreditNoteEventPayload(n.CreditNoteId, n.Number, n.InvoiceId, n.InvoiceNumber, ToMoney(n.Amount), n.Reason, n.Outcome, n.GrantId, ToMoney(n.InvoiceCredited), ToMoney(n.InvoiceCreditable)),
        _ => throw new InvalidOperationException($"A stored {doc.GetType().Name} has no payload type."),
    };
}
