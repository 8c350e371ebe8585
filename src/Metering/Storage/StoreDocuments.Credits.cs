using System.Collections.Immutable;
using System.Text.Json;

namespace Metering.Storage;

// Credit grants and ledger transactions as stored documents (GrantDoc, TransactionDoc).
public static partial class StoreDocuments
{
    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(CreditGrant g) => JsonSerializer.Serialize(
        new GrantDoc(
            g.GrantId,
            g.CustomerId,
            Of(g.Amount),
            g.Category,
            Iso(g.EffectiveAt),
            Iso(g.ExpiresAt),
            g.Priority,
            g.Name,
            g.Metadata.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            g.Sequence),
        Context.GrantDoc);

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static CreditGrant ToGrant(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.GrantDoc)!;
        return new CreditGrant(
            doc.GrantId,
            doc.CustomerId,
            ToMoney(doc.Amount),
            doc.Category,
            ParseInstant(doc.EffectiveAt),
            ParseNullableInstant(doc.ExpiresAt),
            doc.Priority,
            doc.Name,
            doc.Metadata.ToImmutableDictionary(StringComparer.Ordinal),
            doc.Sequence);
    }

    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(CreditTransaction t) => JsonSerializer.Serialize(
        new TransactionDoc(t.Sequence, t.TransactionId, t.CustomerId, t.GrantId, t.Type, Of(t.Amount), Iso(t.At), t.UsageIdempotencyKey, t.InvoiceId, t.Description),
        Context.TransactionDoc);

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static CreditTransaction ToTransaction(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.TransactionDoc)!;
        return new CreditTransaction(doc.Sequence, doc.TransactionId, doc.CustomerId, doc.GrantId, doc.Type, ToMoney(doc.Amount), ParseInstant(doc.At), doc.UsageIdempotencyKey, doc.InvoiceId, doc.Description);
    }
}
