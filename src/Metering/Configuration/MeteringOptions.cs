namespace Metering;

/// <summary>How new invoices are finalized.</summary>
public enum InvoiceApproval
{
    /// <summary>Invoices are finalized as soon as their period closes.</summary>
    Automatic,

    /// <summary>Invoices are held as drafts until approved (or voided) through the invoice service.</summary>
    Manual,
}

/// <summary>
/// Settings of <c>AddMetering(...)</c>, validated once at startup: a bad value fails with a message
/// that names the setting. Meters and plans declared here are applied to the store idempotently.
/// </summary>
public sealed class MeteringOptions
{
    /// <summary>Largest grace window accepted (Stripe allows 1 to 72 hours).</summary>
    public static readonly Duration MaxGracePeriod = Duration.FromHours(72);

    /// <summary>How long a period stays open for late records after its end (default 1 hour, at most 72 hours).</summary>
    public Duration GracePeriod { get; set; } = Duration.FromHours(1);

    /// <summary>How far ahead of the clock a record's timestamp may be (default 5 minutes, at most 1 hour).</summary>
    public Duration FutureTolerance { get; set; } = Duration.FromMinutes(5);

    /// <summary>
    /// How far before now a subscription may start (<see cref="SubscribeRequest.StartAt"/>; default 366 days, at most
    /// 10 years). A backdated start is closed period by period up to now, so this bounds the catch-up work.
    /// </summary>
    public Duration MaxBackdatedStart { get; set; } = Duration.FromDays(366);

    /// <summary>The furthest a subscription may start ahead of now, and an anchor before its start: 10 years.</summary>
    public static readonly Duration MaxScheduleSpan = Duration.FromDays(3653);

    /// <summary>Largest entitlement grace period accepted: 90 days.</summary>
    public static readonly Duration MaxEntitlementGracePeriod = Duration.FromDays(90);

    /// <summary>
    /// How long features stay enabled (<see cref="FeatureAccessStatus.InGrace"/>) after a subscription ended or was
    /// canceled, or after a payment of one of its invoices failed (default zero: access ends at once; at most 90 days).
    /// Access after a failed payment returns when that invoice is paid (or voided).
    /// </summary>
    public Duration EntitlementGracePeriod { get; set; } = Duration.Zero;

    /// <summary>Whether invoices are finalized at close or held as drafts (default <see cref="InvoiceApproval.Automatic"/>).</summary>
    public InvoiceApproval InvoiceApproval { get; set; } = InvoiceApproval.Automatic;

    /// <summary>
    /// How each invoice line is rounded to the currency's minor units (default <see cref="RoundingPolicy.HalfUp"/>, half
    /// away from zero); the same type the <see cref="InvoiceCalculator"/> takes. In configuration, a
    /// <see cref="MidpointRounding"/> name: <c>"Rounding": "ToEven"</c>.
    /// </summary>
    public RoundingPolicy Rounding { get; set; } = RoundingPolicy.HalfUp;

    /// <summary>IANA time zone used for customers created without one (default <c>UTC</c>).</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    /// <summary>
    /// How many subscriptions the period closer claims at a time (default 500). It hands them to the store in chunks of
    /// up to 100 closes per call (<c>IMeteringStore.ClosePeriodsAsync</c>; PostgreSQL writes a chunk in one transaction),
    /// spread over <see cref="CloseConcurrency"/> calls in flight. On a graceful stop, chunks in flight finish whole.
    /// </summary>
    public int CloseBatchSize { get; set; } = 500;

    /// <summary>
    /// How many customers' subscriptions the usage recorder keeps in memory to attribute records without a store read
    /// (default 250,000; 0 keeps none and reads them for every record). The least recently used are dropped first, so
    /// memory stays bounded however many customers record usage (a customer with one plain subscription takes about
    /// 650 bytes: ~160 MB at the default); a kept entry that went stale is refreshed when the store rejects it.
    /// </summary>
    public int SubscriptionCacheCapacity { get; set; } = 250_000;

    /// <summary>
    /// Low-balance thresholds per currency or credit unit code (e.g. <c>["credits"] = 100</c>): a remaining
    /// balance at or below the threshold is reported as low by <see cref="ICreditService.GetBalanceAlertsAsync"/>.
    /// </summary>
    public IDictionary<string, decimal> LowCreditBalanceThresholds { get; } = new Dictionary<string, decimal>(StringComparer.Ordinal);

    /// <summary>A read-only copy of <see cref="LowCreditBalanceThresholds"/> for the services that raise credit alerts.</summary>
    internal IReadOnlyDictionary<string, decimal> LowCreditThresholdsSnapshot() => LowCreditBalanceThresholds.ToDictionary(StringComparer.Ordinal);

    /// <summary>
    /// How many store calls of period closes the closer keeps in flight at once (default 32, 1 to 1024), each a chunk of
    /// up to 100 closes (see <see cref="CloseBatchSize"/>). More lets a store share commits among closes; each close stays
    /// atomic and exactly-once whatever the value.
    /// </summary>
    public int CloseConcurrency { get; set; } = 32;

    /// <summary>
    /// How long the closer waits before retrying a subscription (or credit ledger) whose close failed (default 1 minute,
    /// 1 second to 1 day); the wait doubles with each consecutive failure up to <see cref="CloseRetryMaxDelay"/>.
    /// Other subscriptions are never held up by a failing one.
    /// </summary>
    public Duration CloseRetryDelay { get; set; } = Duration.FromMinutes(1);

    /// <summary>Longest wait between retries of a failing close (default 1 hour, at least <see cref="CloseRetryDelay"/>, at most 1 day).</summary>
    public Duration CloseRetryMaxDelay { get; set; } = Duration.FromHours(1);

    /// <summary>
    /// Key of a published credit rate card (<see cref="PlanBuilder.AsCreditRateCard"/>) that prices the usage of customers
    /// with no subscription covering a record, or null (the default: such a record is <c>NoActiveSubscription</c>). When
    /// set, the first such record of a customer attaches the customer's credit wallet on it
    /// (<see cref="ICreditService.AttachRateCardAsync"/>, once, also under concurrent first records) and is priced and
    /// burned from the customer's credits like any wallet record (<c>InsufficientCredits</c> at zero). A customer with a
    /// subscription covering the record is unaffected. Checked at startup: the key must name a published rate card.
    /// </summary>
    public string? DefaultCreditRateCard { get; set; }

    /// <summary>Meters declared in code, applied at startup.</summary>
    public IList<Meter> Meters { get; } = [];

    /// <summary>Plans declared in code, published at startup (same definition again: no-op; changed: a new version).</summary>
    public IList<Plan> Plans { get; } = [];

    /// <summary>Declares a meter.</summary>
    public MeteringOptions AddMeter(Meter meter)
    {
        Meters.Add(meter ?? throw new ArgumentNullException(nameof(meter)));
        return this;
    }

    /// <summary>Declares a plan.</summary>
    public MeteringOptions AddPlan(Plan plan)
    {
        Plans.Add(plan ?? throw new ArgumentNullException(nameof(plan)));
        return this;
    }

    /// <summary>Configuration values that could not be bound (reported by startup validation with their paths).</summary>
    internal List<string> BindingErrors { get; } = [];
}
