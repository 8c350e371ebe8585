using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Globalization;
using NodaTime.Text;

namespace Metering.Storage;

/// <summary>
/// The JSON documents stores keep for meters, plans, subscriptions, invoices, credits and events: one
/// explicit, versionable shape for every store (money, decimals and instants are exact strings; domain
/// types are never serialized directly). A store provider writes <c>Json(value)</c> and reads back with
/// the matching <c>To...</c> method; the round trip preserves equality.
/// </summary>
public static partial class StoreDocuments
{
    private static readonly DocumentContext Context = DocumentContext.Default;

    // ---- scalars -----------------------------------------------------------------------------------

    private static CurrencyDoc Of(Currency currency) => new(currency.Code, currency.MinorDigits, currency.IsCustom);

    private static Currency ToCurrency(CurrencyDoc doc)
    {
        if (!doc.IsCustom && CurrencyTable.Iso4217.TryGet(doc.Code, out var iso) && iso.MinorDigits == doc.MinorDigits)
        {
            return iso;
        }

        // Equal to the original: currencies compare by code and minor digits.
        return Currency.Custom(doc.Code, doc.MinorDigits);
    }

    private static MoneyDoc Of(Money money) => new(Text(money.Amount), Of(money.Currency));

    private static Money ToMoney(MoneyDoc doc) => new(Decimal(doc.Amount), ToCurrency(doc.Currency));

    private static PeriodDoc Of(BillingPeriod period) => new(period.Index, Iso(period.Start), Iso(period.End));

    private static BillingPeriod ToPeriod(PeriodDoc doc) => new(doc.Index, ParseInstant(doc.Start), ParseInstant(doc.End));

    // ---- properties ----------------------------------------------------------------------------------

    /// <summary>Usage record properties as a JSON object, or null when there are none.</summary>
    public static string? PropertiesJson(IReadOnlyDictionary<string, string>? properties)
    {
        if (properties is null || properties.Count == 0)
        {
            return null;
        }

        var copy = new Dictionary<string, string>(properties.Count, StringComparer.Ordinal);
        foreach (var (key, value) in properties)
        {
            copy[key] = value;
        }

        return JsonSerializer.Serialize(copy, Context.DictionaryStringString);
    }

    /// <summary>Usage record properties read back from <see cref="PropertiesJson"/>.</summary>
    public static IReadOnlyDictionary<string, string>? Properties(string? json)
    {
        if (json is null)
        {
            return null;
        }

        var parsed = JsonSerializer.Deserialize(json, Context.DictionaryStringString)!;
        return new Dictionary<string, string>(parsed, StringComparer.Ordinal);
    }

    // ---- meters --------------------------------------------------------------------------------------

    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(Meter meter) => JsonSerializer.Serialize(
        new MeterDoc(meter.Key, meter.Aggregation, meter.UniqueProperty, [.. meter.GroupBy], meter.DisplayName, meter.Unit),
        Context.MeterDoc);

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static Meter ToMeter(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.MeterDoc)!;
        return new Meter(doc.Key, doc.Aggregation, doc.UniqueProperty, doc.GroupBy, doc.DisplayName, doc.Unit);
    }

    // ---- plans ---------------------------------------------------------------------------------------

    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(Plan plan) => JsonSerializer.Serialize(
        new PlanDoc(
            plan.Key,
            plan.Version,
            Of(plan.Currency),
            plan.Interval.ToString(),
            Text(plan.BaseFee),
            plan.BaseFeePerSeat,
            plan.TrialDays,
            [.. plan.Charges.Select(c => new ChargeDoc(
                c.Key,
                c.MeterKey,
                Of(c.Pricing),
                c.DisplayName,
                c.Filter.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                c.BurnsCreditsInRealTime,
                c.LimitPerPeriod is { } limit ? Text(limit) : null,
                c.Alerts.Count == 0 ? null : [.. c.Alerts.Select(a => new UsageAlertDoc(a.Kind, Text(a.Threshold)))],
                c.GroupBy.Count == 0 ? null : [.. c.GroupBy]))],
            [.. plan.Features.Select(f => new FeatureDoc(f.Key, f.Enabled, Text(f.Limit)))],
            plan.WhenCreditsRunOut,
            plan.DisplayName,
            plan.IsCreditRateCard),
        Context.PlanDoc);

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static Plan ToPlan(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.PlanDoc)!;
        var builder = Plan.Create(doc.Key, ToCurrency(doc.Currency), BillingInterval.Parse(doc.Interval))
            .WithDisplayName(doc.DisplayName)
            .WithBaseFee(Decimal(doc.BaseFee), doc.BaseFeePerSeat)
            .WithTrialDays(doc.TrialDays)
            .WhenCreditsRunOut(doc.WhenCreditsRunOut);
        if (doc.IsCreditRateCard)
        {
            builder.AsCreditRateCard().WhenCreditsRunOut(doc.WhenCreditsRunOut);
        }

        foreach (var charge in doc.Charges)
        {
            builder.WithCharge(charge.MeterKey, ToPricing(charge.Pricing), options =>
            {
                options.Key = charge.Key;
                options.DisplayName = charge.DisplayName;
                options.BurnsCreditsInRealTime = charge.BurnsCreditsInRealTime;
                options.LimitPerPeriod = charge.LimitPerPeriod is { } limit ? Decimal(limit) : null;
                foreach (var alert in charge.Alerts ?? [])
                {
                    options.Alerts.Add(new UsageAlert(alert.Kind, Decimal(alert.Threshold)));
                }

                foreach (var (property, value) in charge.Filter)
                {
                    options.Where(property, value);
                }

                foreach (var property in charge.GroupBy ?? [])
                {
                    options.GroupBy.Add(property);
                }
            });
        }

        foreach (var feature in doc.Features)
        {
            builder.WithFeature(new Feature(feature.Key, feature.Enabled, NullableDecimal(feature.Limit)));
        }

        return builder.Build(doc.Version);
    }

    private static PricingDoc Of(PricingModel pricing) => pricing switch
    {
        PerUnitPricing p => new("PerUnit", Text(p.IncludedUnits), Text(p.UnitPrice), null, null, null, null),
        PackagePricing p => new("Package", Text(p.IncludedUnits), null, Text(p.PackageSize), Text(p.PackagePrice), p.Rounding, null),
        GraduatedPricing p => new("Graduated", Text(p.IncludedUnits), null, null, null, null, Tiers(p)),
        VolumePricing p => new("Volume", Text(p.IncludedUnits), null, null, null, null, Tiers(p)),
        _ => throw new MeteringException(MeteringErrorCode.Configuration, $"The SQLite store cannot persist pricing model {pricing.GetType().Name}; use PerUnit, Package, Graduated or Volume."),
    };

    private static TierDoc[] Tiers(TieredPricing pricing) =>
        [.. pricing.Tiers.Select(t => new TierDoc(Text(t.UpTo), Text(t.UnitPrice), Text(t.FlatFee)))];

    private static PricingModel ToPricing(PricingDoc doc)
    {
        var included = Decimal(doc.IncludedUnits);
        return doc.Model switch
        {
            "PerUnit" => PricingModel.PerUnit(Decimal(doc.UnitPrice!), included),
            "Package" => PricingModel.Package(Decimal(doc.PackageSize!), Decimal(doc.PackagePrice!), included, doc.Rounding ?? PackageRounding.Up),
            "Graduated" => PricingModel.Graduated(ToTiers(doc.Tiers!), included),
            "Volume" => PricingModel.Volume(ToTiers(doc.Tiers!), included),
            _ => throw new MeteringException(MeteringErrorCode.Configuration, $"The stored pricing model '{doc.Model}' is unknown to this version of Metering.Sqlite; upgrade the package."),
        };
    }

    private static PriceTier[] ToTiers(TierDoc[] tiers) =>
        [.. tiers.Select(t => new PriceTier(NullableDecimal(t.UpTo), Decimal(t.UnitPrice), Decimal(t.FlatFee)))];

    // ---- subscriptions -------------------------------------------------------------------------------

    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(Subscription s) => JsonSerializer.Serialize(
        new SubscriptionDoc(
            s.SubscriptionId,
            s.CustomerId,
            s.PlanKey,
            s.PlanVersion,
            new ScheduleDoc(Iso(s.Schedule.Anchor), s.Schedule.Zone.Id, s.Schedule.Interval.ToString()),
            Iso(s.StartedAt),
            Of(s.CurrentPeriod),
            Iso(s.TrialEndsAt),
            s.Seats,
            [.. s.SeatAssignments],
            Iso(s.CancelAt),
            Iso(s.EndedAt),
            s.Revision,
            s.UsageAlerts.Count == 0 ? null : [.. s.UsageAlerts.Select(a => new SubscriptionUsageAlertDoc(a.ChargeKey, a.Kind, Text(a.Threshold)))],
            s.SeatChanges.Count == 0 ? null : [.. s.SeatChanges.Select(c => new SeatChangeDoc(Iso(c.At), c.PreviousSeats, c.Seats))],
            s.Metadata.Count == 0 ? null : new Dictionary<string, string>(s.Metadata, StringComparer.Ordinal),
            Iso(s.PaymentFailedAt),
            s.PaymentFailedInvoiceId,
            s.Contract is { } t ? Of(t) : null,
            s.Contract is not null && s.ContractInherited),
        Context.SubscriptionDoc);

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static Subscription ToSubscription(string json) => ToSubscription(SubscriptionDocReader.Read(json));

    /// <summary>
    /// Reads a value back from its stored JSON document as UTF-8 bytes (a store that can hand out the column's bytes
    /// skips building the document's text first).
    /// </summary>
    public static Subscription ToSubscription(ReadOnlySpan<byte> utf8Json) => ToSubscription(SubscriptionDocReader.Read(utf8Json));

    private static Subscription ToSubscription(SubscriptionDoc doc)
    {
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(doc.Schedule.Zone)
            ?? throw new MeteringException(MeteringErrorCode.Configuration, $"Subscription '{doc.SubscriptionId}' is billed in time zone '{doc.Schedule.Zone}', which this machine's time zone database does not know; update NodaTime.");
        return new Subscription
        {
            SubscriptionId = doc.SubscriptionId,
            CustomerId = doc.CustomerId,
            PlanKey = doc.PlanKey,
            PlanVersion = doc.PlanVersion,
            Schedule = new BillingSchedule(ParseLocal(doc.Schedule.Anchor), zone, BillingInterval.Parse(doc.Schedule.Interval)),
            StartedAt = ParseInstant(doc.StartedAt),
            CurrentPeriod = ToPeriod(doc.CurrentPeriod),
            TrialEndsAt = ParseNullableInstant(doc.TrialEndsAt),
            Seats = doc.Seats,
            SeatAssignments = doc.SeatAssignments,
            CancelAt = ParseNullableInstant(doc.CancelAt),
            EndedAt = ParseNullableInstant(doc.EndedAt),
            Revision = doc.Revision,
            UsageAlerts = doc.UsageAlerts is null ? [] : [.. doc.UsageAlerts.Select(a => new SubscriptionUsageAlert(a.ChargeKey, a.Kind, Decimal(a.Threshold)))],
            SeatChanges = doc.SeatChanges is null ? [] : [.. doc.SeatChanges.Select(c => new SeatChange(ParseInstant(c.At), c.PreviousSeats, c.Seats))],
            Metadata = doc.Metadata ?? [],
            PaymentFailedAt = ParseNullableInstant(doc.PaymentFailedAt),
            PaymentFailedInvoiceId = doc.PaymentFailedInvoiceId,
            Contract = doc.Contract is { } contract ? ToContract(contract) : null,
            ContractInherited = doc.Contract is not null && doc.ContractInherited,
        };
    }

    // ---- invoices ------------------------------------------------------------------------------------

    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(Invoice invoice)
    {
        var c = invoice.Content;
        var content = new CalculatedInvoiceDoc(
            c.PlanKey,
            c.PlanVersion,
            Of(c.Currency),
            Of(c.Period),
            [.. c.Lines.Select(l => new InvoiceLineDoc(
                l.Kind,
                l.Description,
                l.ChargeKey,
                l.MeterKey,
                Text(l.Quantity),
                Text(l.UnitPrice),
                [.. l.Tiers.Select(t => new TierPriceDoc(t.Tier, Text(t.From), Text(t.UpTo), Text(t.Quantity), Text(t.UnitPrice), Text(t.FlatFee), Text(t.Amount)))],
                Text(l.ExactAmount),
                Of(l.Amount),
                Text(l.ProrationFraction),
                l.Group is null ? null : new Dictionary<string, string?>(l.Group, StringComparer.Ordinal)))],
            Of(c.Subtotal),
            Of(c.CreditsApplied),
            Of(c.Total),
            c.ContractId);
        return JsonSerializer.Serialize(
            new InvoiceDoc(
                invoice.InvoiceId,
                invoice.Number,
                invoice.SubscriptionId,
                invoice.CustomerId,
                invoice.PlanKey,
                invoice.PlanVersion,
                Of(invoice.Period),
                invoice.Reason,
                invoice.Status,
                content,
                Iso(invoice.CreatedAt),
                Iso(invoice.FinalizedAt),
                Iso(invoice.SettledAt),
                invoice.PaymentFailures,
                invoice.CreditedAmount == 0m ? null : Text(invoice.CreditedAmount),
                invoice.Revision,
                invoice.ReplacesInvoiceId,
                invoice.ReplacedByInvoiceId,
                invoice.AdjustsInvoiceId,
                invoice.AdjustmentReason),
            Context.InvoiceDoc);
    }

    /// <summary>The stored JSON document of the value.</summary>
    public static string Json(CreditNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        return JsonSerializer.Serialize(
            new CreditNoteDoc(
                note.CreditNoteId,
                note.Number,
                note.InvoiceId,
                note.InvoiceNumber,
                note.CustomerId,
                note.SubscriptionId,
                Of(note.Amount),
                [.. note.Lines.Select(l => new CreditNoteLineDoc(l.InvoiceLineIndex, l.Description, Of(l.Amount)))],
                note.Reason,
                note.Memo,
                note.Outcome,
                note.GrantId,
                Iso(note.CreatedAt)),
            Context.CreditNoteDoc);
    }

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static CreditNote ToCreditNote(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.CreditNoteDoc)!;
        return new CreditNote
        {
            CreditNoteId = doc.CreditNoteId,
            Number = doc.Number,
            InvoiceId = doc.InvoiceId,
            InvoiceNumber = doc.InvoiceNumber,
            CustomerId = doc.CustomerId,
            SubscriptionId = doc.SubscriptionId,
            Amount = ToMoney(doc.Amount),
            Lines = [.. doc.Lines.Select(l => new CreditNoteLine(l.InvoiceLineIndex, l.Description, ToMoney(l.Amount)))],
            Reason = doc.Reason,
            Memo = doc.Memo,
            Outcome = doc.Outcome,
            GrantId = doc.GrantId,
            CreatedAt = ParseInstant(doc.CreatedAt),
        };
    }

    /// <summary>Reads a value back from its stored JSON document.</summary>
    public static Invoice ToInvoice(string json)
    {
        var doc = JsonSerializer.Deserialize(json, Context.InvoiceDoc)!;
        var c = doc.Content;
        var content = new CalculatedInvoice(
            c.PlanKey,
            c.PlanVersion,
            ToCurrency(c.Currency),
            ToPeriod(c.Period),
            [.. c.Lines.Select(l => new InvoiceLine(
                l.Kind,
                l.Description,
                l.ChargeKey,
                l.MeterKey,
                Decimal(l.Quantity),
                NullableDecimal(l.UnitPrice),
                [.. l.Tiers.Select(t => new TierPrice(t.Tier, Decimal(t.From), NullableDecimal(t.UpTo), Decimal(t.Quantity), Decimal(t.UnitPrice), Decimal(t.FlatFee), Decimal(t.Amount)))],
                Decimal(l.ExactAmount),
                ToMoney(l.Amount),
                NullableDecimal(l.ProrationFraction))
            {
                Group = l.Group,
            })],
            ToMoney(c.Subtotal),
            ToMoney(c.CreditsApplied),
            ToMoney(c.Total))
        {
            ContractId = c.ContractId,
        };
        return new Invoice
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
            Content = content,
            CreatedAt = ParseInstant(doc.CreatedAt),
            FinalizedAt = ParseNullableInstant(doc.FinalizedAt),
            SettledAt = ParseNullableInstant(doc.SettledAt),
            PaymentFailures = doc.PaymentFailures,
            CreditedAmount = doc.CreditedAmount is { } credited ? Decimal(credited) : 0m,
            Revision = doc.Revision,
            ReplacesInvoiceId = doc.ReplacesInvoiceId,
            ReplacedByInvoiceId = doc.ReplacedByInvoiceId,
            AdjustsInvoiceId = doc.AdjustsInvoiceId,
            AdjustmentReason = doc.AdjustmentReason,
        };
    }

    private static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Text(decimal? value) => value is { } v ? Text(v) : null;

    private static decimal Decimal(string text) =>
        decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    private static decimal? NullableDecimal(string? text) => text is null ? null : Decimal(text);

    private static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    private static string? Iso(Instant? instant) => instant is { } i ? Iso(i) : null;

    private static Instant ParseInstant(string text) => InstantPattern.ExtendedIso.Parse(text).GetValueOrThrow();

    private static Instant? ParseNullableInstant(string? text) => text is null ? null : ParseInstant(text);

    private static string Iso(LocalDateTime local) => LocalDateTimePattern.ExtendedIso.Format(local);

    private static LocalDateTime ParseLocal(string text) => LocalDateTimePattern.ExtendedIso.Parse(text).GetValueOrThrow();
}
