using System.Collections.Immutable;

namespace Metering;

/// <summary>
/// One priced meter in a <see cref="Plan"/>: which usage it counts (the meter, optionally filtered by
/// record properties) and how the period's quantity is priced. Added with <see cref="PlanBuilder.WithCharge(string, PricingModel, Action{ChargeOptions})"/>.
/// Compared by value, filter included.
/// </summary>
public sealed record Charge
{
    private readonly KeyValuePair<string, string>[] _filterPairs;

    internal Charge(string key, string meterKey, PricingModel pricing, string? displayName, ImmutableSortedDictionary<string, string> filter, bool burnsCreditsInRealTime, decimal? limitPerPeriod = null, ImmutableArray<UsageAlert> alerts = default, ImmutableArray<string> groupBy = default)
    {
        GroupBy = groupBy.IsDefault ? [] : groupBy;
        Key = key;
        MeterKey = meterKey;
        Pricing = pricing;
        DisplayName = displayName;
        Filter = filter;
        BurnsCreditsInRealTime = burnsCreditsInRealTime;
        LimitPerPeriod = limitPerPeriod;
        Alerts = alerts.IsDefault ? [] : alerts;
        _filterPairs = [.. filter];
    }

    /// <summary>The charge key, unique in the plan; the meter key unless set otherwise.</summary>
    public string Key { get; }

    /// <summary>The meter whose usage this charge prices.</summary>
    public string MeterKey { get; }

    /// <summary>How the period's quantity is priced.</summary>
    public PricingModel Pricing { get; }

    /// <summary>Name shown on invoices; null to show <see cref="Key"/>.</summary>
    public string? DisplayName { get; }

    /// <summary>
    /// Usage-record properties a record must carry (property = value, ordinal) to count for this charge;
    /// empty to count every record of the meter.
    /// </summary>
    public IReadOnlyDictionary<string, string> Filter { get; }

    /// <summary>
    /// The record properties this charge splits its usage by (empty: not grouped). A grouped charge aggregates each
    /// combination of values separately (records without a property form the "no value" group), prices each group
    /// with <see cref="Pricing"/> on its own (tiers and included units apply per group) and bills one invoice line per
    /// group. Its <see cref="LimitPerPeriod"/> and <see cref="Alerts"/> also apply per group. Every property is one of
    /// the meter's <see cref="Meter.GroupBy"/> properties.
    /// </summary>
    public IReadOnlyList<string> GroupBy { get; }

    /// <summary>True when the priced cost of each usage record is consumed from credits as it is recorded.</summary>
    public bool BurnsCreditsInRealTime { get; }

    /// <summary>
    /// The hard limit on this charge's quantity per period, or null for none: a record that would take the quantity
    /// above it is rejected with <see cref="UsageRejectionReason.UsageLimitReached"/> and changes nothing.
    /// </summary>
    public decimal? LimitPerPeriod { get; }

    /// <summary>Usage alerts on this charge, in threshold order per kind (empty when none).</summary>
    public IReadOnlyList<UsageAlert> Alerts { get; }

    /// <summary>The same charge priced with <paramref name="pricing"/> (a contract's override, see <see cref="ContractTerms"/>).</summary>
    internal Charge WithPricing(PricingModel pricing) =>
        ReferenceEquals(pricing, Pricing)
            ? this
            : new Charge(Key, MeterKey, pricing, DisplayName, (ImmutableSortedDictionary<string, string>)Filter, BurnsCreditsInRealTime, LimitPerPeriod, [.. Alerts], [.. GroupBy]);

    /// <summary>The name for invoices: <see cref="DisplayName"/> or else <see cref="Key"/>.</summary>
    public string Label => DisplayName ?? Key;

    /// <summary>
    /// True when a usage record with <paramref name="properties"/> counts for this charge: every filter
    /// property is present with the same value (names and values compared ordinally, whatever the dictionary's
    /// comparer). Does not allocate.
    /// </summary>
    public bool Matches(IReadOnlyDictionary<string, string>? properties)
    {
        if (_filterPairs.Length == 0)
        {
            return true;
        }

        if (properties is null)
        {
            return false;
        }

        foreach (var (property, value) in _filterPairs)
        {
            if (!OrdinalProperties.TryGet(properties, property, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Same key, meter, pricing, display name, filter (by content), grouping, limit, alerts and real-time flag.</summary>
    public bool Equals(Charge? other) =>
        other is not null
        && string.Equals(Key, other.Key, StringComparison.Ordinal)
        && string.Equals(MeterKey, other.MeterKey, StringComparison.Ordinal)
        && Pricing.Equals(other.Pricing)
        && string.Equals(DisplayName, other.DisplayName, StringComparison.Ordinal)
        && BurnsCreditsInRealTime == other.BurnsCreditsInRealTime
        && LimitPerPeriod == other.LimitPerPeriod
        && Alerts.SequenceEqual(other.Alerts)
        && GroupBy.SequenceEqual(other.GroupBy, StringComparer.Ordinal)
        && _filterPairs.SequenceEqual(other._filterPairs);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Key, MeterKey, Pricing, _filterPairs.Length);
}

/// <summary>Options for one charge, set in the callback of <see cref="PlanBuilder.WithCharge(string, PricingModel, Action{ChargeOptions})"/>.</summary>
public sealed class ChargeOptions
{
    /// <summary>The charge key; defaults to the meter key. Required when <see cref="Filter"/> is not empty.</summary>
    public string? Key { get; set; }

    /// <summary>Name shown on invoices.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Property = value pairs a usage record must carry to count for this charge (ordinal).</summary>
    public IDictionary<string, string> Filter { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Consume the priced cost of each record from credits as it is recorded.</summary>
    public bool BurnsCreditsInRealTime { get; set; }

    /// <summary>
    /// Record properties to split the charge's usage by, one invoice line per group (see <see cref="Charge.GroupBy"/>);
    /// each must be one of the meter's <see cref="Meter.GroupBy"/> properties. Empty: not grouped.
    /// </summary>
    public IList<string> GroupBy { get; } = new List<string>();

    /// <summary>A hard limit on the charge's quantity per period (null: none); records past it are rejected with <c>UsageLimitReached</c>.</summary>
    public decimal? LimitPerPeriod { get; set; }

    /// <summary>Usage alerts: thresholds on the charge's quantity or running amount per period (see <see cref="UsageAlert"/>).</summary>
    public IList<UsageAlert> Alerts { get; } = new List<UsageAlert>();

    /// <summary>Adds an alert when the charge's quantity in a period reaches <paramref name="quantity"/>, and returns these options.</summary>
    public ChargeOptions AlertAtQuantity(decimal quantity)
    {
        Alerts.Add(UsageAlert.AtQuantity(quantity));
        return this;
    }

    /// <summary>Adds an alert when the charge's running amount in a period reaches <paramref name="amount"/>, and returns these options.</summary>
    public ChargeOptions AlertAtAmount(decimal amount)
    {
        Alerts.Add(UsageAlert.AtAmount(amount));
        return this;
    }

    /// <summary>
    /// Splits the charge by <paramref name="properties"/> (added to <see cref="GroupBy"/>, in order): one aggregate,
    /// price and invoice line per group of values. Returns these options.
    /// </summary>
    public ChargeOptions GroupedBy(params string[] properties)
    {
        foreach (var property in Preconditions.CheckNotNull(properties))
        {
            GroupBy.Add(Preconditions.CheckNotBlank(property));
        }

        return this;
    }

    /// <summary>Adds a filter pair (replacing one for the same property) and returns these options.</summary>
    public ChargeOptions Where(string property, string value)
    {
        Filter[Preconditions.CheckNotBlank(property)] = Preconditions.CheckNotNull(value);
        return this;
    }
}
