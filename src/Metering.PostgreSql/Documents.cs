using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime.Text;

namespace Metering.PostgreSql;

/// <summary>
/// The jsonb documents the store keeps for plans, meters, subscriptions, invoices, credits and events:
/// small explicit DTOs, decimals as strings (exact, scale kept) and instants as Unix ticks (100 ns, no loss).
/// </summary>
internal static class Documents
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // Enums by name, so reordering an enum never changes what a stored document means.
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write<T>(T document) => JsonSerializer.Serialize(document, Json);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new InvalidOperationException($"A stored {typeof(T).Name} document is null.");

    // ---- scalars ---------------------------------------------------------------------------------

    public static string Dec(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static decimal Dec(string text) => decimal.Parse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);

    public static string? Dec(decimal? value) => value is { } v ? Dec(v) : null;

    public static decimal? DecOrNull(string? text) => text is null ? null : Dec(text);

    public static long Ticks(Instant instant) => instant.ToUnixTimeTicks();

    public static long? Ticks(Instant? instant) => instant?.ToUnixTimeTicks();

    public static Instant At(long ticks) => Instant.FromUnixTimeTicks(ticks);

    public static Instant? At(long? ticks) => ticks is { } t ? Instant.FromUnixTimeTicks(t) : null;

    public static CurrencyDoc From(Currency currency) => new(currency.Code, currency.MinorDigits, currency.IsCustom);

    public static Currency ToCurrency(CurrencyDoc doc) =>
        !doc.Custom && CurrencyTable.Iso4217.TryGet(doc.Code, out var iso) && iso.MinorDigits == doc.Digits
            ? iso
            : Currency.Custom(doc.Code, doc.Digits);

    public static MoneyDoc From(Money money) => new(Dec(money.Amount), From(money.Currency));

    public static Money ToMoney(MoneyDoc doc) => new(Dec(doc.Amount), ToCurrency(doc.Currency));

    public static PeriodDoc From(BillingPeriod period) => new(period.Index, Ticks(period.Start), Ticks(period.End));

    public static BillingPeriod ToPeriod(PeriodDoc doc) => new(doc.Index, At(doc.Start), At(doc.End));

    // ---- meters and plans ------------------------------------------------------------------------

    public static MeterDoc From(Meter meter) =>
        new(meter.Key, meter.Aggregation, meter.UniqueProperty, [.. meter.GroupBy], meter.DisplayName, meter.Unit);

    public static Meter ToMeter(MeterDoc doc) => new(doc.Key, doc.Aggregation, doc.UniqueProperty, doc.GroupBy, doc.DisplayName, doc.Unit);

    public static PlanDoc From(Plan plan) => new(
        plan.Key,
        plan.Version,
        From(plan.Currency),
        plan.Interval.ToString(),
        Dec(plan.BaseFee),
        plan.BaseFeePerSeat,
        plan.TrialDays,
        plan.WhenCreditsRunOut,
        plan.DisplayName,
        [.. plan.Charges.Select(c => new ChargeDoc(c.Key, c.MeterKey, From(c.Pricing), c.DisplayName, c.Filter.ToDictionary(StringComparer.Ordinal), c.BurnsCreditsInRealTime))],
        [.. plan.Features.Select(f => new FeatureDoc(f.Key, f.Enabled, Dec(f.Limit)))]);

    public static Plan ToPlan(PlanDoc doc)
    {
        var builder = Plan.Create(doc.Key, ToCurrency(doc.Currency), BillingInterval.Parse(doc.Interval))
            .WithDisplayName(doc.DisplayName)
            .WithBaseFee(Dec(doc.BaseFee), doc.BaseFeePerSeat)
            .WithTrialDays(doc.TrialDays)
            .WhenCreditsRunOut(doc.WhenCreditsRunOut);
        foreach (var charge in doc.Charges)
        {
            builder.WithCharge(charge.MeterKey, ToPricing(charge.Pricing), o =>
            {
                o.Key = charge.Key;
                o.DisplayName = charge.DisplayName;
                o.BurnsCreditsInRealTime = charge.BurnsCreditsInRealTime;
                foreach (var (property, value) in charge.Filter)
                {
                    o.Where(property, value);
                }
            });
        }

        foreach (var feature in doc.Features)
        {
            builder.WithFeature(new Feature(feature.Key, feature.Enabled, DecOrNull(feature.Limit)));
        }

        return builder.Build(doc.Version);
    }

    private static PricingDoc From(PricingModel pricing) => pricing switch
    {
        PerUnitPricing p => new PricingDoc("per_unit", Dec(p.IncludedUnits)) { UnitPrice = Dec(p.UnitPrice) },
        PackagePricing p => new PricingDoc("package", Dec(p.IncludedUnits)) { PackageSize = Dec(p.PackageSize), PackagePrice = Dec(p.PackagePrice), Rounding = p.Rounding },
        GraduatedPricing p => new PricingDoc("graduated", Dec(p.IncludedUnits)) { Tiers = Tiers(p) },
        VolumePricing p => new PricingDoc("volume", Dec(p.IncludedUnits)) { Tiers = Tiers(p) },
        _ => throw new NotSupportedException($"Pricing model {pricing.GetType().Name} cannot be stored; use PerUnit, Package, Graduated or Volume."),
    };

    private static List<TierDoc> Tiers(TieredPricing pricing) =>
        [.. pricing.Tiers.Select(t => new TierDoc(Dec(t.UpTo), Dec(t.UnitPrice), Dec(t.FlatFee)))];

    private static PricingModel ToPricing(PricingDoc doc)
    {
        var included = Dec(doc.IncludedUnits);
        IEnumerable<PriceTier> Tiers() => (doc.Tiers ?? []).Select(t => new PriceTier(DecOrNull(t.UpTo), Dec(t.UnitPrice), Dec(t.FlatFee)));
        return doc.Model switch
        {
            "per_unit" => PricingModel.PerUnit(Dec(doc.UnitPrice!), included),
            "package" => PricingModel.Package(Dec(doc.PackageSize!), Dec(doc.PackagePrice!), included, doc.Rounding ?? PackageRounding.Up),
            "graduated" => PricingModel.Graduated(Tiers(), included),
            "volume" => PricingModel.Volume(Tiers(), included),
            _ => throw new InvalidOperationException($"Stored pricing model '{doc.Model}' is unknown."),
        };
    }

    // ---- subscriptions ---------------------------------------------------------------------------

    public static SubscriptionDoc From(Subscription s) => new(
        s.SubscriptionId,
        s.CustomerId,
        s.PlanKey,
        s.PlanVersion,
        LocalDateTimePattern.ExtendedIso.Format(s.Schedule.Anchor),
        s.Schedule.Zone.Id,
        s.Schedule.Interval.ToString(),
        Ticks(s.StartedAt),
        From(s.CurrentPeriod),
        Ticks(s.TrialEndsAt),
        s.Seats,
        [.. s.SeatAssignments],
        Ticks(s.CancelAt),
        Ticks(s.EndedAt),
        s.Revision);

    public static Subscription ToSubscription(SubscriptionDoc doc)
    {
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(doc.Zone)
            ?? throw new InvalidOperationException($"Subscription '{doc.SubscriptionId}' uses time zone '{doc.Zone}', which this NodaTime TZDB does not know.");
        return new Subscription
        {
            SubscriptionId = doc.SubscriptionId,
            CustomerId = doc.CustomerId,
            PlanKey = doc.PlanKey,
            PlanVersion = doc.PlanVersion,
            Schedule = new BillingSchedule(LocalDateTimePattern.ExtendedIso.Parse(doc.Anchor).Value, zone, BillingInterval.Parse(doc.Interval)),
            StartedAt = At(doc.StartedAt),
            CurrentPeriod = ToPeriod(doc.CurrentPeriod),
            TrialEndsAt = At(doc.TrialEndsAt),
            Seats = doc.Seats,
            SeatAssignments = doc.SeatAssignments.ToImmutableArray(),
            CancelAt = At(doc.CancelAt),
            EndedAt = At(doc.EndedAt),
            Revision = doc.Revision,
        };
    }

    // ---- invoices --------------------------------------------------------------------------------

    public static InvoiceDoc From(Invoice i) => new(
        i.InvoiceId,
        i.Number,
        i.SubscriptionId,
        i.CustomerId,
        i.PlanKey,
        i.PlanVersion,
        From(i.Period),
        i.Reason,
        i.Status,
        From(i.Content),
        Ticks(i.CreatedAt),
        Ticks(i.FinalizedAt),
        Ticks(i.SettledAt),
        i.PaymentFailures);

    public static Invoice ToInvoice(InvoiceDoc doc) => new()
    {
        InvoiceId = doc.InvoiceId,
        Number = doc.Number,
        SubscriptionId = doc.SubscriptionId,
        CustomerId = doc.CustomerId,
        PlanKey = doc.PlanKey,
        PlanVersion = doc.PlanVersion,
        Period = ToPeriod(doc.Period),
        Reason = doc.Reason,
        Status = doc.Status,
        Content = ToContent(doc.Content),
        CreatedAt = At(doc.CreatedAt),
        FinalizedAt = At(doc.FinalizedAt),
        SettledAt = At(doc.SettledAt),
        PaymentFailures = doc.PaymentFailures,
    };

    private static ContentDoc From(CalculatedInvoice c) => new(
        c.PlanKey,
        c.PlanVersion,
        From(c.Currency),
        From(c.Period),
        [.. c.Lines.Select(l => new LineDoc(
            l.Kind,
            l.Description,
            l.ChargeKey,
            l.MeterKey,
            Dec(l.Quantity),
            Dec(l.UnitPrice),
            [.. l.Tiers.Select(t => new TierPriceDoc(t.Tier, Dec(t.From), Dec(t.UpTo), Dec(t.Quantity), Dec(t.UnitPrice), Dec(t.FlatFee), Dec(t.Amount)))],
            Dec(l.ExactAmount),
            From(l.Amount),
            Dec(l.ProrationFraction)))],
        From(c.Subtotal),
        From(c.CreditsApplied),
        From(c.Total));

    private static CalculatedInvoice ToContent(ContentDoc doc) => new(
        doc.PlanKey,
        doc.PlanVersion,
        ToCurrency(doc.Currency),
        ToPeriod(doc.Period),
        doc.Lines.Select(l => new InvoiceLine(
            l.Kind,
            l.Description,
            l.ChargeKey,
            l.MeterKey,
            Dec(l.Quantity),
            DecOrNull(l.UnitPrice),
            l.Tiers.Select(t => new TierPrice(t.Tier, Dec(t.From), DecOrNull(t.UpTo), Dec(t.Quantity), Dec(t.UnitPrice), Dec(t.FlatFee), Dec(t.Amount))).ToImmutableArray(),
            Dec(l.ExactAmount),
            ToMoney(l.Amount),
            DecOrNull(l.ProrationFraction))).ToImmutableArray(),
        ToMoney(doc.Subtotal),
        ToMoney(doc.CreditsApplied),
        ToMoney(doc.Total));

    // ---- credits and events ----------------------------------------------------------------------

    public static GrantDoc From(CreditGrant g) => new(
        g.GrantId,
        g.CustomerId,
        From(g.Amount),
        g.Category,
        Ticks(g.EffectiveAt),
        Ticks(g.ExpiresAt),
        g.Priority,
        g.Name,
        g.Metadata.ToDictionary(StringComparer.Ordinal),
        g.Sequence);

    public static CreditGrant ToGrant(GrantDoc doc) =>
        new(doc.GrantId, doc.CustomerId, ToMoney(doc.Amount), doc.Category, At(doc.EffectiveAt), At(doc.ExpiresAt), doc.Priority, doc.Name, doc.Metadata, doc.Sequence);

    public static TransactionDoc From(CreditTransaction t) =>
        new(t.Sequence, t.TransactionId, t.CustomerId, t.GrantId, t.Type, From(t.Amount), Ticks(t.At), t.UsageIdempotencyKey, t.InvoiceId, t.Description);

    public static CreditTransaction ToTransaction(TransactionDoc doc) =>
        new(doc.Sequence, doc.TransactionId, doc.CustomerId, doc.GrantId, doc.Type, ToMoney(doc.Amount), At(doc.At), doc.UsageIdempotencyKey, doc.InvoiceId, doc.Description);

    public static EventDoc From(BillingEvent e) =>
        new(e.EventId, e.Type, e.CustomerId, e.SubjectId, Ticks(e.OccurredAt), e.Data.ToDictionary(StringComparer.Ordinal));

    public static BillingEvent ToEvent(EventDoc doc) =>
        new(doc.EventId, doc.Type, doc.CustomerId, doc.SubjectId, At(doc.OccurredAt), doc.Data.ToImmutableDictionary(StringComparer.Ordinal));

    public static string? WriteProperties(IReadOnlyDictionary<string, string>? properties) =>
        properties is null ? null : JsonSerializer.Serialize(properties.ToDictionary(StringComparer.Ordinal), Json);

    public static IReadOnlyDictionary<string, string>? ReadProperties(string? json) =>
        json is null ? null : (JsonSerializer.Deserialize<Dictionary<string, string>>(json, Json) ?? []).ToImmutableDictionary(StringComparer.Ordinal);
}

#pragma warning disable SA1402, SA1649 // Small document types live with their mapping.
internal sealed record CurrencyDoc(string Code, int Digits, bool Custom);

internal sealed record MoneyDoc(string Amount, CurrencyDoc Currency);

internal sealed record PeriodDoc(int Index, long Start, long End);

internal sealed record MeterDoc(string Key, Aggregation Aggregation, string? UniqueProperty, List<string> GroupBy, string? DisplayName, string? Unit);

internal sealed record TierDoc(string? UpTo, string UnitPrice, string FlatFee);

internal sealed record PricingDoc(string Model, string IncludedUnits)
{
    public string? UnitPrice { get; init; }

    public string? PackageSize { get; init; }

    public string? PackagePrice { get; init; }

    public PackageRounding? Rounding { get; init; }

    public List<TierDoc>? Tiers { get; init; }
}

internal sealed record ChargeDoc(string Key, string MeterKey, PricingDoc Pricing, string? DisplayName, Dictionary<string, string> Filter, bool BurnsCreditsInRealTime);

internal sealed record FeatureDoc(string Key, bool Enabled, string? Limit);

internal sealed record PlanDoc(
    string Key,
    int Version,
    CurrencyDoc Currency,
    string Interval,
    string BaseFee,
    bool BaseFeePerSeat,
    int TrialDays,
    CreditOverflow WhenCreditsRunOut,
    string? DisplayName,
    List<ChargeDoc> Charges,
    List<FeatureDoc> Features);

internal sealed record SubscriptionDoc(
    string SubscriptionId,
    string CustomerId,
    string PlanKey,
    int PlanVersion,
    string Anchor,
    string Zone,
    string Interval,
    long StartedAt,
    PeriodDoc CurrentPeriod,
    long? TrialEndsAt,
    int Seats,
    List<string> SeatAssignments,
    long? CancelAt,
    long? EndedAt,
    long Revision);

internal sealed record TierPriceDoc(int Tier, string From, string? UpTo, string Quantity, string UnitPrice, string FlatFee, string Amount);

internal sealed record LineDoc(
    InvoiceLineKind Kind,
    string Description,
    string? ChargeKey,
    string? MeterKey,
    string Quantity,
    string? UnitPrice,
    List<TierPriceDoc> Tiers,
    string ExactAmount,
    MoneyDoc Amount,
    string? ProrationFraction);

internal sealed record ContentDoc(string PlanKey, int PlanVersion, CurrencyDoc Currency, PeriodDoc Period, List<LineDoc> Lines, MoneyDoc Subtotal, MoneyDoc CreditsApplied, MoneyDoc Total);

internal sealed record InvoiceDoc(
    string InvoiceId,
    long Number,
    string SubscriptionId,
    string CustomerId,
    string PlanKey,
    int PlanVersion,
    PeriodDoc Period,
    InvoiceReason Reason,
    InvoiceStatus Status,
    ContentDoc Content,
    long CreatedAt,
    long? FinalizedAt,
    long? SettledAt,
    int PaymentFailures);

internal sealed record GrantDoc(
    string GrantId,
    string CustomerId,
    MoneyDoc Amount,
    CreditCategory Category,
    long EffectiveAt,
    long? ExpiresAt,
    int Priority,
    string Name,
    Dictionary<string, string> Metadata,
    long Sequence);

internal sealed record TransactionDoc(
    long Sequence,
    string TransactionId,
    string CustomerId,
    string GrantId,
    CreditTransactionType Type,
    MoneyDoc Amount,
    long At,
    string? UsageIdempotencyKey,
    string? InvoiceId,
    string? Description);

internal sealed record EventDoc(string EventId, BillingEventType Type, string CustomerId, string SubjectId, long OccurredAt, Dictionary<string, string> Data);
#pragma warning restore SA1402, SA1649
