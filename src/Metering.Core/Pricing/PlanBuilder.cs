using System.Collections.Immutable;
using System.Globalization;

namespace Metering;

/// <summary>
/// Collects a plan definition; <see cref="Build(int)"/> validates it and returns an immutable
/// <see cref="Plan"/>. Start with <see cref="Plan.Create"/>. Not thread-safe; a builder can build several versions.
/// </summary>
public sealed class PlanBuilder
{
    private const int MaxKeyLength = 64;

    private readonly string _key;
    private readonly Currency _currency;
    private readonly BillingInterval _interval;
    private readonly List<(string MeterKey, PricingModel Pricing, ChargeOptions Options, Meter? Meter)> _charges = [];
    private readonly List<Feature> _features = [];
    private string? _displayName;
    private decimal _baseFee;
    private bool _baseFeePerSeat;
    private int _trialDays;
    private CreditOverflow _whenCreditsRunOut = CreditOverflow.Overage;
    private bool _creditRateCard;

    internal PlanBuilder(string key, Currency currency, BillingInterval interval)
    {
        _key = Preconditions.CheckNotNull(key);
        _currency = Preconditions.CheckNotNull(currency);
        _interval = interval;
    }

    /// <summary>Sets the name shown to customers.</summary>
    public PlanBuilder WithDisplayName(string? displayName)
    {
        _displayName = displayName;
        return this;
    }

    /// <summary>Sets the fee charged every period (zero or more), optionally per seat.</summary>
    public PlanBuilder WithBaseFee(decimal amount, bool perSeat = false)
    {
        _baseFee = amount;
        _baseFeePerSeat = perSeat;
        return this;
    }

    /// <summary>Sets the free trial length in days (0 for none).</summary>
    public PlanBuilder WithTrialDays(int days)
    {
        _trialDays = days;
        return this;
    }

    /// <summary>Adds a charge that prices <paramref name="meterKey"/>; charges appear on invoices in the order added.</summary>
    /// <param name="meterKey">The meter whose usage is priced.</param>
    /// <param name="pricing">The pricing model.</param>
    /// <param name="configure">Sets the key (required with a filter), display name, filter and real-time credit burn.</param>
    public PlanBuilder WithCharge(string meterKey, PricingModel pricing, Action<ChargeOptions>? configure = null)
    {
        Preconditions.CheckNotNull(meterKey);
        Preconditions.CheckNotNull(pricing);
        var options = new ChargeOptions();
        configure?.Invoke(options);
        _charges.Add((meterKey, pricing, options, null));
        return this;
    }

    /// <summary>
    /// Adds a charge that prices <paramref name="meter"/>; charges appear on invoices in the order added. Unlike the
    /// overload taking a meter key, <see cref="Build(int)"/> also checks the charge against the meter: every property it
    /// groups by (<see cref="ChargeOptions.GroupBy"/>) must be one of the meter's <see cref="Meter.GroupBy"/> properties.
    /// (Publishing a plan checks the same against the declared meter.)
    /// </summary>
    /// <param name="meter">The meter whose usage is priced.</param>
    /// <param name="pricing">The pricing model.</param>
    /// <param name="configure">Sets the key (required with a filter), display name, filter, grouping and real-time credit burn.</param>
    public PlanBuilder WithCharge(Meter meter, PricingModel pricing, Action<ChargeOptions>? configure = null)
    {
        Preconditions.CheckNotNull(meter);
        Preconditions.CheckNotNull(pricing);
        var options = new ChargeOptions();
        configure?.Invoke(options);
        _charges.Add((meter.Key, pricing, options, meter));
        return this;
    }

    /// <summary>Adds an entitlement.</summary>
    public PlanBuilder WithFeature(Feature feature)
    {
        _features.Add(Preconditions.CheckNotNull(feature));
        return this;
    }

    /// <summary>Sets what happens when real-time credits run out.</summary>
    public PlanBuilder WhenCreditsRunOut(CreditOverflow overflow)
    {
        Preconditions.CheckArgument(Enum.IsDefined(overflow), nameof(overflow), $"Unknown CreditOverflow value {(int)overflow}; use Overage or Block.");
        _whenCreditsRunOut = overflow;
        return this;
    }

    /// <summary>
    /// Makes this plan a credit rate card: usage priced in credits and burned from the customer's grants in real time,
    /// blocked at zero (sets <see cref="WhenCreditsRunOut"/> to <see cref="CreditOverflow.Block"/>). A customer gets a
    /// rate card without a billing subscription, and its periods close without an invoice. <see cref="Build(int)"/>
    /// then also checks that the currency is a custom credit unit (<see cref="Currency.Custom"/>), that there is no
    /// base fee, no trial and no feature, that there is at least one charge, that every charge burns credits in real
    /// time (<see cref="ChargeOptions.BurnsCreditsInRealTime"/>), and that running out blocks.
    /// </summary>
    public PlanBuilder AsCreditRateCard()
    {
        _creditRateCard = true;
        _whenCreditsRunOut = CreditOverflow.Block;
        return this;
    }

    /// <summary>Validates the definition and returns it as plan version <paramref name="version"/>.</summary>
    /// <exception cref="InvalidPlanException">
    /// A key breaks the key rules, charge or feature keys repeat, a filtered charge has no key, the base
    /// fee or trial is negative, a feature limit is negative, or a credit rate card breaks the rate card rules
    /// (<see cref="AsCreditRateCard"/>). The message lists every problem.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is below 1.</exception>
    public Plan Build(int version = 1)
    {
        Plan.CheckVersion(version);
        var problems = new List<string>();
        CheckKey(problems, "The plan key", _key);
        if (_baseFee < 0m)
        {
            problems.Add(Invariant($"Base fee {_baseFee} is negative; use 0 for no base fee or a positive amount."));
        }

        CheckPrice(problems, "The base fee", _baseFee);
        CheckText(problems, "plan display name", _displayName);
        if (_charges.Count > MeteringLimits.MaxChargesPerPlan)
        {
            problems.Add(Invariant($"The plan has {_charges.Count} charges; the limit is {MeteringLimits.MaxChargesPerPlan}. Split it into several plans."));
        }

        if (_trialDays < 0)
        {
            problems.Add(Invariant($"Trial of {_trialDays} days is negative; use 0 for no trial."));
        }

        var charges = ImmutableArray.CreateBuilder<Charge>(_charges.Count);
        var chargeKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < _charges.Count; i++)
        {
            var (meterKey, pricing, options, meter) = _charges[i];
            var where = $"Charge {i + 1} (meter '{meterKey}')";
            CheckKey(problems, $"{where}: the meter key", meterKey);
            var filter = options.Filter.ToImmutableSortedDictionary(StringComparer.Ordinal);
            if (filter.Count > 0 && options.Key is null)
            {
                problems.Add($"{where} has a filter but no key; set options.Key to a name unique in the plan (e.g. '{meterKey}_{filter.Values.First()}').");
            }

            CheckPricing(problems, where, pricing);
            CheckText(problems, $"display name of charge {i + 1}", options.DisplayName);
            foreach (var (property, value) in filter)
            {
                CheckText(problems, $"filter property name of charge {i + 1}", property);
                CheckText(problems, $"filter value of property '{property}' of charge {i + 1}", value);
            }

            var chargeKey = options.Key ?? meterKey;
            if (options.Key is not null)
            {
                CheckKey(problems, $"{where}: the charge key", options.Key);
            }

            if (!chargeKeys.Add(chargeKey))
            {
                problems.Add($"{where}: charge key '{chargeKey}' is already used in this plan; give each charge on the same meter its own options.Key (keys compare ignoring case).");
            }

            if (options.LimitPerPeriod is { } limit && (limit <= 0m || limit > MeteringLimits.MaxQuantity))
            {
                problems.Add(Invariant($"{where} has LimitPerPeriod {limit}; use a limit above 0 and at most {MeteringLimits.MaxQuantity}, or null for no limit."));
            }

            if (options.Alerts.Count > MeteringLimits.MaxTiersPerCharge)
            {
                problems.Add(Invariant($"{where} has {options.Alerts.Count} alerts; the limit is {MeteringLimits.MaxTiersPerCharge}."));
            }

            foreach (var alert in options.Alerts)
            {
                if (alert.Threshold <= 0m || alert.Threshold > MeteringLimits.MaxQuantity || !Enum.IsDefined(alert.Kind))
                {
                    problems.Add(Invariant($"{where} has a {alert.Kind} alert at {alert.Threshold}; use a threshold above 0 and at most {MeteringLimits.MaxQuantity}."));
                }
            }

            var groupBy = options.GroupBy.ToImmutableArray();
            CheckGroupBy(problems, where, groupBy, meter);
            var alerts = options.Alerts.Distinct().OrderBy(a => a.Kind).ThenBy(a => a.Threshold).ToImmutableArray();
            charges.Add(new Charge(chargeKey, meterKey, pricing, options.DisplayName, filter, options.BurnsCreditsInRealTime, options.LimitPerPeriod, alerts, groupBy));
        }

        var featureKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var feature in _features)
        {
            CheckKey(problems, "A feature key", feature.Key);
            if (feature.Key is not null && !featureKeys.Add(feature.Key))
            {
                problems.Add($"Feature '{feature.Key}' is listed twice; keep one entry per feature key (keys compare ignoring case).");
            }

            if (feature.Limit is < 0m)
            {
                problems.Add(Invariant($"Feature '{feature.Key}' has limit {feature.Limit}; use a limit of zero or more, or null for unlimited."));
            }
        }

        if (_creditRateCard)
        {
            CheckCreditRateCard(problems, charges);
        }

        if (problems.Count > 0)
        {
            throw new InvalidPlanException(_key, problems);
        }

        return new Plan(_key, version, _currency, _interval, _baseFee, _baseFeePerSeat, _trialDays, charges.MoveToImmutable(), [.. _features], _whenCreditsRunOut, _displayName, _creditRateCard);
    }

    /// <summary>
    /// The problems of a charge's group-by properties: blank, ill-formed or repeated names, more than
    /// <see cref="MeteringLimits.MaxGroupByPerCharge"/>, or (when the meter is known) a property the meter does not declare.
    /// </summary>
    internal static void CheckGroupBy(List<string> problems, string where, IReadOnlyList<string> groupBy, Meter? meter)
    {
        if (groupBy.Count > MeteringLimits.MaxGroupByPerCharge)
        {
            problems.Add(Invariant($"{where} groups by {groupBy.Count} properties; the limit is {MeteringLimits.MaxGroupByPerCharge}. Group by fewer properties."));
        }

        for (int g = 0; g < groupBy.Count; g++)
        {
            var property = groupBy[g];
            if (string.IsNullOrWhiteSpace(property))
            {
                problems.Add(Invariant($"{where}: group-by property {g + 1} is blank; name a record property the meter groups by, such as 'region'."));
                continue;
            }

            CheckText(problems, Invariant($"group-by property {g + 1} of {where}"), property);
            if (groupBy.Take(g).Contains(property, StringComparer.Ordinal))
            {
                problems.Add($"{where} groups by '{property}' twice; list each property once.");
            }

            if (meter is not null && !meter.GroupBy.Contains(property, StringComparer.Ordinal))
            {
                var declared = meter.GroupBy.Count == 0 ? "none" : string.Join(", ", meter.GroupBy.Select(p => $"'{p}'"));
                problems.Add($"{where} groups by '{property}', which meter '{meter.Key}' does not declare (its group-by properties: {declared}); add it with Meter.WithGroupBy(\"{property}\") or group by a declared property.");
            }
        }
    }

    /// <summary>The problems of a credit rate card: everything <see cref="AsCreditRateCard"/> promises, each with its fix.</summary>
    private void CheckCreditRateCard(List<string> problems, IReadOnlyList<Charge> charges)
    {
        if (!_currency.IsCustom)
        {
            problems.Add($"A credit rate card is priced in a custom credit unit, not '{_currency.Code}'; create the plan with a unit such as Currency.Custom(\"credits\", 0).");
        }

        if (_baseFee != 0m || _baseFeePerSeat)
        {
            problems.Add(Invariant($"A credit rate card has no base fee (nor a per-seat fee), but has {_baseFee}; remove WithBaseFee(...) or use a plan that is not a rate card."));
        }

        if (_trialDays != 0)
        {
            problems.Add(Invariant($"A credit rate card has no trial, but has {_trialDays} days; remove WithTrialDays(...)."));
        }

        if (_whenCreditsRunOut != CreditOverflow.Block)
        {
            problems.Add("A credit rate card blocks usage when credits run out; remove WhenCreditsRunOut(CreditOverflow.Overage) (balances never go negative).");
        }

        if (_features.Count > 0)
        {
            problems.Add("A credit rate card grants no features; put the features on a billing plan and remove WithFeature(...) from the rate card.");
        }

        if (charges.Count == 0)
        {
            problems.Add("A credit rate card prices at least one meter; add a charge with WithCharge(..., c => c.BurnsCreditsInRealTime = true).");
        }

        foreach (var charge in charges)
        {
            if (!charge.BurnsCreditsInRealTime)
            {
                problems.Add($"Charge '{charge.Key}' of a credit rate card must burn credits in real time; set c.BurnsCreditsInRealTime = true in its WithCharge(...).");
            }
        }
    }

    private static void CheckPricing(List<string> problems, string where, PricingModel? pricing)
    {
        switch (pricing)
        {
            case PerUnitPricing perUnit:
                CheckPrice(problems, $"{where}: the unit price", perUnit.UnitPrice);
                break;
            case PackagePricing package:
                CheckPrice(problems, $"{where}: the package price", package.PackagePrice);
                if (package.PackageSize < MeteringLimits.MinPackageSize)
                {
                    problems.Add(Invariant($"{where}: the package size {package.PackageSize} is below the limit of {MeteringLimits.MinPackageSize}; meter in a smaller unit instead."));
                }
                else if (package.PackagePrice / package.PackageSize > MeteringLimits.MaxPrice)
                {
                    problems.Add(Invariant($"{where}: the package price {package.PackagePrice} for {package.PackageSize} units is above {MeteringLimits.MaxPrice} per unit; use larger packages or a lower price."));
                }

                break;
            case TieredPricing tiered:
                if (tiered.Tiers.Count > MeteringLimits.MaxTiersPerCharge)
                {
                    problems.Add(Invariant($"{where} has {tiered.Tiers.Count} tiers; the limit is {MeteringLimits.MaxTiersPerCharge}."));
                }

                for (int t = 0; t < tiered.Tiers.Count; t++)
                {
                    CheckPrice(problems, Invariant($"{where}, tier {t + 1}: the unit price"), tiered.Tiers[t].UnitPrice);
                    CheckPrice(problems, Invariant($"{where}, tier {t + 1}: the flat fee"), tiered.Tiers[t].FlatFee);
                }

                break;
        }
    }

    private static void CheckPrice(List<string> problems, string what, decimal price)
    {
        if (price > MeteringLimits.MaxPrice)
        {
            problems.Add(Invariant($"{what} {price} is above the limit of {MeteringLimits.MaxPrice}; a lower amount keeps every invoice computable (for a usage price, meter in a smaller unit)."));
        }
    }

    private static void CheckText(List<string> problems, string what, string? text)
    {
        if (TextRules.Describe(text, what) is { } problem)
        {
            problems.Add(problem);
        }
    }

    private static void CheckKey(List<string> problems, string what, string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || !key.All(IsKeyChar))
        {
            problems.Add($"{what} '{key}' is not valid; use 1 to {MaxKeyLength} letters, digits, '_', '.' or '-' (e.g. 'api_calls').");
        }
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
