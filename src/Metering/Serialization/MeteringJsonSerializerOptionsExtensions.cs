using System.Text.Json;
using System.Text.Json.Serialization;
using Metering.Serialization;
using Metering.Storage;
using NodaTime.Serialization.SystemTextJson;

namespace Metering;

/// <summary>
/// Configures System.Text.Json to read and write Metering's public types (invoices, usage, outcomes, credits, events,
/// plans) in their documented JSON shapes; see the "JSON" section of the README and <c>docs/json.md</c>.
/// </summary>
public static class MeteringJsonSerializerOptionsExtensions
{
    /// <summary>
    /// Adds what Metering's types need to <paramref name="options"/> and returns the same options, for chaining:
    /// <list type="bullet">
    /// <item><description>NodaTime converters (ISO-8601 text, time zones from TZDB): <c>Instant</c> as <c>"2026-01-31T00:00:00Z"</c>;</description></item>
    /// <item><description>Metering's enums as their member names, as declared (<c>"Finalized"</c>, <c>"PeriodEnd"</c>); numbers are refused;</description></item>
    /// <item><description><see cref="Money"/> as <c>{"amount":"0.002","currency":"EUR"}</c> (exact decimal string), <see cref="Currency"/> as its code,
    /// <see cref="BillingPeriod"/> as <c>{"index":0,"start":...,"end":...}</c>, <see cref="BillingInterval"/> as <c>"P1M"</c>,
    /// <see cref="UsageOutcome"/>, <see cref="UsageRejection"/>, <see cref="Plan"/>, <see cref="PricingModel"/> and <see cref="BillingEvent"/>
    /// (with its typed payload as <c>data</c>) by dedicated converters;</description></item>
    /// <item><description>Metering's record types (<see cref="Invoice"/>, <see cref="CreditBalance"/>, <see cref="InvoiceEventPayload"/>, ...)
    /// in System.Text.Json's own shape for them, read strictly: a missing member, or null where the C# type does not allow it,
    /// fails with a <see cref="JsonException"/> instead of reading as a default. Only Metering's types are read this way: the
    /// options' <see cref="JsonSerializerOptions.RespectNullableAnnotations"/> and
    /// <see cref="JsonSerializerOptions.RespectRequiredConstructorParameters"/> are left as they are for the host's types.</description></item>
    /// </list>
    /// Property names of Metering's own converters follow <see cref="JsonSerializerOptions.PropertyNamingPolicy"/> like the
    /// rest (camelCase with <see cref="JsonSerializerDefaults.Web"/>). The converters are plain <see cref="JsonConverter{T}"/>s,
    /// so the options also work with a source-generated <see cref="JsonSerializerContext"/>. Calling this twice is harmless.
    /// </summary>
    /// <param name="options">The options to configure, e.g. ASP.NET Core's <c>JsonOptions.SerializerOptions</c>. Must not be read-only yet.</param>
    /// <param name="currencies">Currencies and custom units that a currency code is read as; defaults to
    /// <see cref="CurrencyTable.Iso4217"/>. Register custom credit units here, e.g.
    /// <c>CurrencyTable.Iso4217.With(Currency.Custom("credits", 4))</c>: JSON carries only the code, and the table gives its digits.</param>
    /// <returns><paramref name="options"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="options"/> is read-only (already used for serialization).</exception>
    public static JsonSerializerOptions ConfigureForMetering(this JsonSerializerOptions options, CurrencyTable? currencies = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Converters.Any(c => c is MoneyJsonConverter))
        {
            return options;
        }

        var currency = new CurrencyJsonConverter(currencies ?? CurrencyTable.Iso4217);
        var rejection = new UsageRejectionJsonConverter();
        var converters = options.Converters;
        converters.Add(currency);
        converters.Add(new MoneyJsonConverter(currency));
        converters.Add(new BillingPeriodJsonConverter());
        converters.Add(new BillingIntervalJsonConverter());
        converters.Add(rejection);
        converters.Add(new UsageOutcomeJsonConverter(rejection));
        converters.Add(new PlanJsonConverter(currency));
        converters.Add(new PricingModelJsonConverter<PricingModel>());
        converters.Add(new PricingModelJsonConverter<PerUnitPricing>());
        converters.Add(new PricingModelJsonConverter<PackagePricing>());
        converters.Add(new PricingModelJsonConverter<TieredPricing>());
        converters.Add(new PricingModelJsonConverter<GraduatedPricing>());
        converters.Add(new PricingModelJsonConverter<VolumePricing>());
        converters.Add(new BillingEventJsonConverter());
        converters.Add(new BillingEventPayloadJsonConverter());
        converters.Add(new LegacyEventPayloadJsonConverter());

        // Record types: System.Text.Json's own shape, read strictly (see StrictRecordJsonConverter).
        AddStrict<BillableCharge>(converters);
        AddStrict<BillableItem>(converters);
        AddStrict<BillingSchedule>(converters);
        AddStrict<CatalogPlan>(converters);
        AddStrict<ChargeOverride>(converters);
        AddStrict<ContractFee>(converters);
        AddStrict<ContractFeeCycle>(converters);
        AddStrict<ContractTerms>(converters);
        AddStrict<CalculatedInvoice>(converters);
        AddStrict<CreditBalance>(converters);
        AddStrict<CreditBalanceAlert>(converters);
        AddStrict<CreditBalanceEventPayload>(converters);
        AddStrict<CreditNote>(converters);
        AddStrict<CreditNoteEventPayload>(converters);
        AddStrict<CreditNoteLine>(converters);
        AddStrict<CreditNoteLineRequest>(converters);
        AddStrict<CreditNoteRequest>(converters);
        AddStrict<CreditGrantEventPayload>(converters);
        AddStrict<CreditGrant>(converters);
        AddStrict<CreditGrantRequest>(converters);
        AddStrict<CreditTransaction>(converters);
        AddStrict<CurrentUsage>(converters);
        AddStrict<Customer>(converters);
        AddStrict<CustomerDetails>(converters);
        AddStrict<DailyUsage>(converters);
        AddStrict<DayUsage>(converters);
        AddStrict<Feature>(converters);
        AddStrict<FeatureAccess>(converters);
        AddStrict<GroupUsage>(converters);
        AddStrict<Invoice>(converters);
        AddStrict<InvoiceRegeneration>(converters);
        AddStrict<InvoiceEventPayload>(converters);
        AddStrict<InvoiceLine>(converters);
        AddStrict<InvoiceLineSummary>(converters);
        AddStrict<MeterDailyUsage>(converters);
        AddStrict<Page<CreditNote>>(converters);
        AddStrict<Page<CreditTransaction>>(converters);
        AddStrict<Page<Invoice>>(converters);
        AddStrict<Page<PeriodUsage>>(converters);
        AddStrict<PeriodUsage>(converters);
        AddStrict<PlanChangeResult>(converters);
        AddStrict<PriceTier>(converters);
        AddStrict<ReconciliationDifference>(converters);
        AddStrict<ReconciliationReport>(converters);
        AddStrict<SeatChange>(converters);
        AddStrict<SubscribeRequest>(converters);
        AddStrict<Subscription>(converters);
        AddStrict<SubscriptionUsageAlert>(converters);
        AddStrict<SubscriptionEventPayload>(converters);
        AddStrict<TierPrice>(converters);
        AddStrict<UsageRecord>(converters);
        AddStrict<UsageSummary>(converters);
        AddStrict<UsageThresholdEventPayload>(converters);

        AddEnum<AggregateKeyKind>(converters);
        AddEnum<EventSignatureFailure>(converters);
        AddEnum<Metering.Storage.EventHandlerStart>(converters);
        AddEnum<UsageAlertKind>(converters);
        AddEnum<FeeTiming>(converters);
        AddEnum<Aggregation>(converters);
        AddEnum<BillingEventType>(converters);
        AddEnum<CreditCategory>(converters);
        AddEnum<CreditNoteOutcome>(converters);
        AddEnum<CreditNoteReason>(converters);
        AddEnum<CreditOverflow>(converters);
        AddEnum<CreditTransactionType>(converters);
        AddEnum<FeatureAccessStatus>(converters);
        AddEnum<IntervalUnit>(converters);
        AddEnum<InvoiceApproval>(converters);
        AddEnum<InvoiceLineKind>(converters);
        AddEnum<InvoiceReason>(converters);
        AddEnum<InvoiceStatus>(converters);
        AddEnum<MeteringErrorCode>(converters);
        AddEnum<PackageRounding>(converters);
        AddEnum<PeriodCloseStatus>(converters);
        AddEnum<PlanChangeAnchor>(converters);
        AddEnum<SubscriptionStatus>(converters);
        AddEnum<UsageAction>(converters);
        AddEnum<UsageOutcomeKind>(converters);
        AddEnum<UsageRejectionReason>(converters);
        AddEnum<UsageSummaryStatus>(converters);

        options.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);
        return options;
    }

    private static void AddStrict<T>(IList<JsonConverter> converters) => converters.Add(new StrictRecordJsonConverter<T>());

    // Per enum, not a catch-all JsonStringEnumConverter: the host's own enums keep whatever the host chose, and the
    // generic converter needs no runtime code generation (trimming and NativeAOT safe).
    private static void AddEnum<TEnum>(IList<JsonConverter> converters)
        where TEnum : struct, Enum =>
        converters.Add(new JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false));
}
