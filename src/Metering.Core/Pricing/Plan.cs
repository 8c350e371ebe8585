using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Metering;

/// <summary>
/// One published version of a plan: currency, billing interval, base fee, trial, priced charges and
/// features. Immutable: a published version never changes; an edited definition is a new version
/// (see <see cref="DefinitionEquals(Plan)"/>). Create with <see cref="Create"/>.
/// </summary>
public sealed class Plan
{
    private readonly FrozenDictionary<string, Charge> _chargesByKey;
    private readonly FrozenDictionary<string, ImmutableArray<Charge>> _chargesByMeter;
    private readonly ImmutableArray<Charge> _charges;
    private readonly ImmutableArray<Feature> _features;

    internal Plan(
        string key,
        int version,
        Currency currency,
        BillingInterval interval,
        decimal baseFee,
        bool baseFeePerSeat,
        int trialDays,
        ImmutableArray<Charge> charges,
        ImmutableArray<Feature> features,
        CreditOverflow whenCreditsRunOut,
        string? displayName,
        bool isCreditRateCard = false)
    {
        Key = key;
        Version = CheckVersion(version);
        Currency = currency;
        Interval = interval;
        BaseFee = baseFee;
        BaseFeePerSeat = baseFeePerSeat;
        TrialDays = trialDays;
        _charges = charges;
        _features = features;
        Charges = charges;
        Features = features;
        WhenCreditsRunOut = whenCreditsRunOut;
        DisplayName = displayName;
        IsCreditRateCard = isCreditRateCard;
        HasGroupedCharges = charges.Any(c => c.GroupBy.Count > 0);
        _chargesByKey = charges.ToFrozenDictionary(c => c.Key, StringComparer.Ordinal);
        _chargesByMeter = charges
            .GroupBy(c => c.MeterKey, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Checks every grouped charge against its meter in <paramref name="meters"/>: each property a charge groups by
    /// (<see cref="Charge.GroupBy"/>) must be one of the meter's <see cref="Meter.GroupBy"/> properties. Charges whose
    /// meter is not in <paramref name="meters"/> are not checked. The runtime calls this when it publishes a plan.
    /// </summary>
    /// <exception cref="InvalidPlanException">A charge groups by a property its meter does not declare; the message names it.</exception>
    public void CheckGroupByAgainst(IEnumerable<Meter> meters)
    {
        Preconditions.CheckNotNull(meters);
        var byKey = new Dictionary<string, Meter>(StringComparer.Ordinal);
        foreach (var meter in meters)
        {
            byKey[meter.Key] = meter;
        }

        var problems = new List<string>();
        for (int i = 0; i < _charges.Length; i++)
        {
            var charge = _charges[i];
            if (charge.GroupBy.Count > 0 && byKey.TryGetValue(charge.MeterKey, out var meter))
            {
                PlanBuilder.CheckGroupBy(problems, $"Charge {i + 1} '{charge.Key}' (meter '{charge.MeterKey}')", charge.GroupBy, meter);
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidPlanException(Key, problems);
        }
    }

    /// <summary>The plan key (1 to 64 of <c>a-z 0-9 _ . -</c>); shared by all versions.</summary>
    public string Key { get; }

    /// <summary>The version, 1 or more.</summary>
    public int Version { get; }

    /// <summary>The currency every amount of the plan is in.</summary>
    public Currency Currency { get; }

    /// <summary>The length of a billing period.</summary>
    public BillingInterval Interval { get; }

    /// <summary>Fee charged every period (per seat when <see cref="BaseFeePerSeat"/>); 0 for none.</summary>
    public decimal BaseFee { get; }

    /// <summary>True when the base fee is multiplied by the subscription's seats.</summary>
    public bool BaseFeePerSeat { get; }

    /// <summary>Days of free trial at the start of a subscription (base fee waived); 0 for none.</summary>
    public int TrialDays { get; }

    /// <summary>The priced charges, in invoice order; keys are unique.</summary>
    public IReadOnlyList<Charge> Charges { get; }

    /// <summary>True when at least one charge groups its usage by record properties (<see cref="Charge.GroupBy"/>).</summary>
    public bool HasGroupedCharges { get; }

    /// <summary>The entitlements; keys are unique.</summary>
    public IReadOnlyList<Feature> Features { get; }

    /// <summary>What happens when real-time credits run out (default <see cref="CreditOverflow.Overage"/>).</summary>
    public CreditOverflow WhenCreditsRunOut { get; }

    /// <summary>Name shown to customers; null to show <see cref="Key"/>.</summary>
    public string? DisplayName { get; }

    /// <summary>
    /// True for a credit rate card (<see cref="PlanBuilder.AsCreditRateCard"/>): usage priced in a custom credit unit and
    /// burned from the customer's credit grants in real time, blocked at zero. A customer gets it without a billing
    /// subscription (<c>ICreditService.AttachRateCardAsync</c>), and its periods close without an invoice.
    /// </summary>
    public bool IsCreditRateCard { get; }

    /// <summary>Starts a plan definition.</summary>
    /// <param name="key">The plan key (checked by <see cref="PlanBuilder.Build(int)"/>).</param>
    /// <param name="currency">The currency of every amount in the plan.</param>
    /// <param name="interval">The billing interval.</param>
    public static PlanBuilder Create(string key, Currency currency, BillingInterval interval) => new(key, currency, interval);

    /// <summary>The charge with <paramref name="key"/> (ordinal), or null.</summary>
    public Charge? FindCharge(string key) => _chargesByKey.GetValueOrDefault(Preconditions.CheckNotNull(key));

    /// <summary>The charges that price <paramref name="meterKey"/> (ordinal), in plan order; empty when none. Does not allocate.</summary>
    public IReadOnlyList<Charge> ChargesForMeter(string meterKey) =>
        _chargesByMeter.TryGetValue(Preconditions.CheckNotNull(meterKey), out var charges) ? charges : ImmutableArray<Charge>.Empty;

    /// <summary>The feature with <paramref name="key"/> (ordinal), or null.</summary>
    public Feature? FindFeature(string key)
    {
        Preconditions.CheckNotNull(key);
        foreach (var feature in _features)
        {
            if (string.Equals(feature.Key, key, StringComparison.Ordinal))
            {
                return feature;
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="other"/> has the same definition, ignoring <see cref="Version"/>: used at
    /// startup to decide that a declared plan is the same again (no-op) or changed (a new version).
    /// Charges compare in order (it is the invoice order); features compare by key, in any order.
    /// </summary>
    public bool DefinitionEquals(Plan other)
    {
        Preconditions.CheckNotNull(other);
        return ReferenceEquals(this, other)
            || (string.Equals(Key, other.Key, StringComparison.Ordinal)
                && Currency == other.Currency
                && Interval.Equals(other.Interval)
                && BaseFee == other.BaseFee
                && BaseFeePerSeat == other.BaseFeePerSeat
                && TrialDays == other.TrialDays
                && WhenCreditsRunOut == other.WhenCreditsRunOut
                && IsCreditRateCard == other.IsCreditRateCard
                && string.Equals(DisplayName, other.DisplayName, StringComparison.Ordinal)
                && _charges.SequenceEqual(other._charges)
                && _features.Length == other._features.Length
                && _features.All(f => f.Equals(other.FindFeature(f.Key))));
    }

    /// <summary>The same definition as version <paramref name="version"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is below 1.</exception>
    public Plan WithVersion(int version) =>
        version == Version
            ? this
            : new Plan(Key, version, Currency, Interval, BaseFee, BaseFeePerSeat, TrialDays, _charges, _features, WhenCreditsRunOut, DisplayName, IsCreditRateCard);

    /// <summary>The same plan version with its charges replaced (same keys, in the same order): a contract's effective pricing.</summary>
    internal Plan WithCharges(ImmutableArray<Charge> charges) =>
        new(Key, Version, Currency, Interval, BaseFee, BaseFeePerSeat, TrialDays, charges, _features, WhenCreditsRunOut, DisplayName);

    /// <summary>E.g. <c>starter v2</c>.</summary>
    public override string ToString() => $"{Key} v{Version}";

    internal static int CheckVersion(int version) => Preconditions.CheckRange(version, 1, int.MaxValue);
}
