using System.Text.Json.Serialization;

namespace Metering.Storage;

// Explicit, versionable shapes of what the store keeps as JSON. Money, decimals and instants are strings so that
// nothing passes through a double; domain types are never serialized directly.
internal sealed record CurrencyDoc(string Code, int MinorDigits, bool IsCustom);

internal sealed record MoneyDoc(string Amount, CurrencyDoc Currency);

// Contract was added later: documents written before have none (null: no customer terms).
internal sealed record CustomerDetailsDoc(string? Email, Dictionary<string, string>? Metadata, string? UpdatedAt, InvoiceApproval? InvoiceApproval = null, ContractDoc? Contract = null);

internal sealed record MeterDoc(string Key, Aggregation Aggregation, string? UniqueProperty, string[] GroupBy, string? DisplayName, string? Unit);

internal sealed record TierDoc(string? UpTo, string UnitPrice, string FlatFee);

internal sealed record PricingDoc(string Model, string IncludedUnits, string? UnitPrice, string? PackageSize, string? PackagePrice, PackageRounding? Rounding, TierDoc[]? Tiers);

// LimitPerPeriod and Alerts were added later: documents written before have neither and read back as no limit and no alerts.
internal sealed record ChargeDoc(string Key, string MeterKey, PricingDoc Pricing, string? DisplayName, Dictionary<string, string> Filter, bool BurnsCreditsInRealTime, string? LimitPerPeriod = null, UsageAlertDoc[]? Alerts = null, string[]? GroupBy = null);

internal sealed record UsageAlertDoc(UsageAlertKind Kind, string Threshold);

internal sealed record FeatureDoc(string Key, bool Enabled, string? Limit);

internal sealed record PlanDoc(
    string Key,
    int Version,
    CurrencyDoc Currency,
    string Interval,
    string BaseFee,
    bool BaseFeePerSeat,
    int TrialDays,
    ChargeDoc[] Charges,
    FeatureDoc[] Features,
    CreditOverflow WhenCreditsRunOut,
    string? DisplayName,
    bool IsCreditRateCard = false);

internal sealed record PeriodDoc(int Index, string Start, string End);

internal sealed record ScheduleDoc(string Anchor, string Zone, string Interval);

internal sealed record SubscriptionDoc(
    string SubscriptionId,
    string CustomerId,
    string PlanKey,
    int PlanVersion,
    ScheduleDoc Schedule,
    string StartedAt,
    PeriodDoc CurrentPeriod,
    string? TrialEndsAt,
    int Seats,
    string[] SeatAssignments,
    string? CancelAt,
    string? EndedAt,
    long Revision,
    SubscriptionUsageAlertDoc[]? UsageAlerts = null,
    SeatChangeDoc[]? SeatChanges = null,
    Dictionary<string, string>? Metadata = null,
    string? PaymentFailedAt = null,
    string? PaymentFailedInvoiceId = null,
    ContractDoc? Contract = null,
    bool ContractInherited = false);

/// <summary>A subscription's <see cref="ContractTerms"/>; documents written before contracts have none (null: no contract).</summary>
internal sealed record ContractDoc(
    string ContractId,
    string StartsAt,
    string? EndsAt,
    ChargeOverrideDoc[] ChargeOverrides,
    string DiscountPercent,
    ContractFeeDoc[] Fees,
    MoneyDoc? MinimumCommitment);

internal sealed record ChargeOverrideDoc(string ChargeKey, PricingDoc Pricing);

internal sealed record ContractFeeDoc(string Name, MoneyDoc Amount, string Interval, FeeTiming Timing);

/// <summary>One <see cref="SeatChange"/>; documents written before seat history have none (null: no changes).</summary>
internal sealed record SeatChangeDoc(string At, int PreviousSeats, int Seats);

internal sealed record SubscriptionUsageAlertDoc(string ChargeKey, UsageAlertKind Kind, string Threshold);

internal sealed record TierPriceDoc(int Tier, string From, string? UpTo, string Quantity, string UnitPrice, string FlatFee, string Amount);

internal sealed record InvoiceLineDoc(
    InvoiceLineKind Kind,
    string Description,
    string? ChargeKey,
    string? MeterKey,
    string Quantity,
    string? UnitPrice,
    TierPriceDoc[] Tiers,
    string ExactAmount,
    MoneyDoc Amount,
    string? ProrationFraction,
    Dictionary<string, string?>? Group = null);

internal sealed record CalculatedInvoiceDoc(
    string PlanKey,
    int PlanVersion,
    CurrencyDoc Currency,
    PeriodDoc Period,
    InvoiceLineDoc[] Lines,
    MoneyDoc Subtotal,
    MoneyDoc CreditsApplied,
    MoneyDoc Total,
    string? ContractId = null);

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
    CalculatedInvoiceDoc Content,
    string CreatedAt,
    string? FinalizedAt,
    string? SettledAt,
    int PaymentFailures,
    string? CreditedAmount = null,
    int Revision = 0,
    string? ReplacesInvoiceId = null,
    string? ReplacedByInvoiceId = null,
    string? AdjustsInvoiceId = null,
    string? AdjustmentReason = null);

// CreditedAmount came with credit notes: invoices written before have none and read back as 0 credited. Revision,
// ReplacesInvoiceId and ReplacedByInvoiceId came with void-and-regenerate: older invoices read back as revision 0, no links.
// AdjustsInvoiceId came with backfill (adjustment invoices): older invoices adjust nothing.
internal sealed record CreditNoteLineDoc(int InvoiceLineIndex, string Description, MoneyDoc Amount);

internal sealed record CreditNoteDoc(
    string CreditNoteId,
    long Number,
    string InvoiceId,
    long InvoiceNumber,
    string CustomerId,
    string SubscriptionId,
    MoneyDoc Amount,
    CreditNoteLineDoc[] Lines,
    CreditNoteReason Reason,
    string? Memo,
    CreditNoteOutcome Outcome,
    string? GrantId,
    string CreatedAt);

internal sealed record GrantDoc(
    string GrantId,
    string CustomerId,
    MoneyDoc Amount,
    CreditCategory Category,
    string EffectiveAt,
    string? ExpiresAt,
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
    string At,
    string? UsageIdempotencyKey,
    string? InvoiceId,
    string? Description);

// SchemaVersion and Payload came with typed payloads (schema 1). Documents written before have neither, only Data (text
// details), and read back as schema 0 with a LegacyEventPayload; documents written since have Data null.
internal sealed record EventDoc(
    string EventId,
    BillingEventType Type,
    string CustomerId,
    string SubjectId,
    string OccurredAt,
    Dictionary<string, string>? Data = null,
    int SchemaVersion = 0,
    EventPayloadDoc? Payload = null);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "$payload")]
[JsonDerivedType(typeof(SubscriptionPayloadDoc), "Subscription")]
[JsonDerivedType(typeof(InvoicePayloadDoc), "Invoice")]
[JsonDerivedType(typeof(GrantPayloadDoc), "CreditGrant")]
[JsonDerivedType(typeof(BalancePayloadDoc), "CreditBalance")]
[JsonDerivedType(typeof(UsageThresholdPayloadDoc), "UsageThreshold")]
[JsonDerivedType(typeof(CreditNotePayloadDoc), "CreditNote")]
internal abstract record EventPayloadDoc;

internal sealed record SubscriptionPayloadDoc(string SubscriptionId, string PlanKey, int PlanVersion, PeriodDoc CurrentPeriod, int Seats, string? CancelAt, string? EndedAt) : EventPayloadDoc;

internal sealed record InvoiceLineSummaryDoc(InvoiceLineKind Kind, string? ChargeKey, MoneyDoc Amount);

internal sealed record InvoicePayloadDoc(
    string InvoiceId,
    long? Number,
    string SubscriptionId,
    PeriodDoc Period,
    InvoiceReason Reason,
    InvoiceStatus Status,
    MoneyDoc Total,
    int PaymentFailures,
    InvoiceLineSummaryDoc[] Lines) : EventPayloadDoc;

internal sealed record GrantPayloadDoc(string GrantId, MoneyDoc Amount) : EventPayloadDoc;

internal sealed record BalancePayloadDoc(CurrencyDoc Unit, MoneyDoc Remaining, MoneyDoc? Threshold) : EventPayloadDoc;

internal sealed record UsageThresholdPayloadDoc(string SubscriptionId, string ChargeKey, UsageAlertKind Kind, string Threshold, string Value, string PeriodStart) : EventPayloadDoc;

internal sealed record CreditNotePayloadDoc(
    string CreditNoteId,
    long Number,
    string InvoiceId,
    long InvoiceNumber,
    MoneyDoc Amount,
    CreditNoteReason Reason,
    CreditNoteOutcome Outcome,
    string? GrantId,
    MoneyDoc InvoiceCredited,
    MoneyDoc InvoiceCreditable) : EventPayloadDoc;

// PostgreSQL keeps documents as jsonb, which reorders members: the payload's "$payload" discriminator may come back last.
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never, AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(MeterDoc))]
[JsonSerializable(typeof(PlanDoc))]
[JsonSerializable(typeof(SubscriptionDoc))]
[JsonSerializable(typeof(InvoiceDoc))]
[JsonSerializable(typeof(CreditNoteDoc))]
[JsonSerializable(typeof(GrantDoc))]
[JsonSerializable(typeof(TransactionDoc))]
[JsonSerializable(typeof(EventDoc))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(CustomerDetailsDoc))]
internal sealed partial class DocumentContext : JsonSerializerContext;
