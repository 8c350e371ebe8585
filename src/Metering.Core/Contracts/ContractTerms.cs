using System.Collections.Immutable;

namespace Metering;

/// <summary>When a contract's fixed fee is billed.</summary>
public enum FeeTiming
{
    /// <summary>At the start of each fee cycle: on the invoice of the billing period in which the cycle starts.</summary>
    InAdvance,

    /// <summary>At the end of each fee cycle: on the invoice of the billing period in which the cycle ends.</summary>
    InArrears,
}

/// <summary>A contract's replacement pricing for one charge of the plan.</summary>
/// <param name="ChargeKey">The plan's <see cref="Charge.Key"/> whose pricing is replaced.</param>
/// <param name="Pricing">The contract price (any <see cref="PricingModel"/>, its included units included).</param>
public sealed record ChargeOverride(string ChargeKey, PricingModel Pricing);

/// <summary>A fixed fee of a contract with its own cadence (e.g. an annual platform fee on a monthly plan).</summary>
/// <param name="Name">Shown on the invoice line.</param>
/// <param name="Amount">The fee per cycle, in the plan's currency (0 to <see cref="MeteringLimits.MaxPrice"/>).</param>
/// <param name="Interval">The fee cycle; cycles start at <see cref="ContractTerms.StartsAt"/> + n × interval in the customer's time zone.</param>
/// <param name="Timing">Billed at the start (in advance) or the end (in arrears) of each cycle.</param>
public sealed record ContractFee(string Name, Money Amount, BillingInterval Interval, FeeTiming Timing);

/// <summary>One cycle of a <see cref="ContractFee"/> due on an invoice (see <see cref="ContractTerms.FeesDue"/>).</summary>
/// <param name="Fee">The fee.</param>
/// <param name="CycleStart">Start of the fee cycle.</param>
/// <param name="CycleEnd">End (exclusive) of the fee cycle.</param>
public sealed record ContractFeeCycle(ContractFee Fee, Instant CycleStart, Instant CycleEnd);

/// <summary>
/// Per-subscription contract terms on top of a plan: replacement pricing per charge, a usage discount, fixed fees
/// with their own cadence and a minimum commitment per billing period. Immutable; attach with
/// <c>SubscribeRequest.Contract</c> or <c>ISubscriptionService.SetContractAsync</c>.
/// </summary>
/// <remarks>
/// Terms apply to a billing period when they are in effect at the end of its invoiced range: they started before it
/// (<see cref="StartsAt"/> &lt; end) and have not ended before it (<see cref="EndsAt"/> null or ≥ end). So terms that
/// start mid-period price that whole period, and terms that end mid-period no longer price it. The invoice of a
/// period the terms apply to: overridden charges at the contract price; the fee cycles due
/// (<see cref="FeesDue"/>); a discount line of <see cref="DiscountPercent"/> of the usage lines; and a minimum
/// commitment true-up line. The true-up is the (prorated) <see cref="MinimumCommitment"/> minus everything above it on
/// the invoice (base fee, usage, contract fees, discount), when positive.
/// </remarks>
public sealed record ContractTerms
{
    /// <summary>The most fixed fees a contract has.</summary>
    public const int MaxFees = 100;

    /// <summary>The contract's id, shown on invoices (1 to 64 characters).</summary>
    public required string ContractId { get; init; }

    /// <summary>When the terms take effect.</summary>
    public required Instant StartsAt { get; init; }

    /// <summary>When the terms end (exclusive), or null for open-ended terms.</summary>
    public Instant? EndsAt { get; init; }

    /// <summary>Replacement pricing per charge (at most one per charge key); charges not listed keep the plan's pricing.</summary>
    public IReadOnlyList<ChargeOverride> ChargeOverrides { get; init; } = [];

    /// <summary>Percentage (0 to 100) taken off the usage lines (the sum of the rounded usage lines), as one negative line.</summary>
    public decimal DiscountPercent { get; init; }

    /// <summary>Fixed fees, each with its own cadence and timing (at most <see cref="MaxFees"/>).</summary>
    public IReadOnlyList<ContractFee> Fees { get; init; } = [];

    /// <summary>
    /// The least a billing period is invoiced, in the plan's currency, prorated like the base fee for a partial period;
    /// null for none. A shortfall is billed as a true-up line.
    /// </summary>
    public Money? MinimumCommitment { get; init; }

    /// <summary>
    /// True when the terms apply to a period whose invoiced range ends at <paramref name="end"/>: in effect at its end
    /// (started before it and not ended before it).
    /// </summary>
    public bool AppliesTo(Instant end) => StartsAt < end && (EndsAt is null || EndsAt >= end);

    /// <summary>The pricing of <paramref name="charge"/> under these terms: its override, or the plan's pricing.</summary>
    public PricingModel PricingFor(Charge charge)
    {
        Preconditions.CheckNotNull(charge);
        foreach (var o in ChargeOverrides)
        {
            if (string.Equals(o.ChargeKey, charge.Key, StringComparison.Ordinal))
            {
                return o.Pricing;
            }
        }

        return charge.Pricing;
    }

    /// <summary>The effective plan: <paramref name="plan"/> with the overridden charges at the contract price (same key and version).</summary>
    public Plan PriceOf(Plan plan)
    {
        Preconditions.CheckNotNull(plan);
        if (ChargeOverrides.Count == 0)
        {
            return plan;
        }

        var charges = ImmutableArray.CreateBuilder<Charge>(plan.Charges.Count);
        foreach (var charge in plan.Charges)
        {
            charges.Add(charge.WithPricing(PricingFor(charge)));
        }

        return plan.WithCharges(charges.MoveToImmutable());
    }

    /// <summary>
    /// The fee cycles due on the invoice of the service range [<paramref name="from"/>, <paramref name="to"/>): in
    /// advance, the cycles that start in it; in arrears, the cycles that end in (<paramref name="from"/>,
    /// <paramref name="to"/>]. Cycles run from <see cref="StartsAt"/> in <paramref name="zone"/>; only cycles starting
    /// before <see cref="EndsAt"/> are billed, and an in-arrears cycle cut short by <see cref="EndsAt"/> ends there.
    /// Ordered by fee, then cycle.
    /// </summary>
    public IReadOnlyList<ContractFeeCycle> FeesDue(DateTimeZone zone, Instant from, Instant to)
    {
        Preconditions.CheckNotNull(zone);
        if (Fees.Count == 0 || to <= from)
        {
            return [];
        }

        var due = new List<ContractFeeCycle>();
        foreach (var fee in Fees)
        {
            var schedule = BillingSchedule.FromStart(StartsAt, zone, fee.Interval);
            // The first cycle that could be due: the one containing from (or the first one).
            int index = from > StartsAt ? schedule.PeriodContaining(from).Index : 0;
            if (index > 0)
            {
                index--; // an in-arrears cycle ending exactly at from's side is checked too
            }

            for (; ; index++)
            {
                var cycle = schedule.PeriodAt(index);
                if (cycle.Start >= to || (EndsAt is { } ends && cycle.Start >= ends))
                {
                    break;
                }

                var end = EndsAt is { } cut && cut < cycle.End ? cut : cycle.End;
                bool isDue = fee.Timing == FeeTiming.InAdvance
                    ? cycle.Start >= from && cycle.Start < to
                    : end > from && end <= to;
                if (isDue)
                {
                    due.Add(new ContractFeeCycle(fee, cycle.Start, end));
                }
            }
        }

        return due;
    }

    /// <summary>
    /// Checks what the terms must satisfy whatever plan they price (e.g. a customer's terms, <c>Customer.Contract</c>,
    /// before any subscription carries them): the id, the dates, one override per charge key, the discount, the number
    /// and names of fees, amounts within 0 to <see cref="MeteringLimits.MaxPrice"/> and one currency for every amount.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: the message names the problem.</exception>
    public void CheckShape()
    {
        if (string.IsNullOrWhiteSpace(ContractId) || ContractId.Length > 64 || !TextRules.IsValid(ContractId))
        {
            throw Invalid($"Contract id '{ContractId}' is not valid; use 1 to 64 characters of well-formed text.");
        }

        if (EndsAt is { } ends && ends <= StartsAt)
        {
            throw Invalid($"Contract '{ContractId}' ends at {ends}, not after it starts at {StartsAt}; set EndsAt after StartsAt or leave it null.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in Preconditions.CheckNotNull(ChargeOverrides))
        {
            if (o is null || o.Pricing is null || o.ChargeKey is null)
            {
                throw Invalid($"Contract '{ContractId}' has a charge override without a charge key or pricing; pass both.");
            }

            if (!seen.Add(o.ChargeKey))
            {
                throw Invalid($"Contract '{ContractId}' overrides charge '{o.ChargeKey}' twice; pass one override per charge.");
            }
        }

        if (DiscountPercent < 0m || DiscountPercent > 100m)
        {
            throw Invalid($"Contract '{ContractId}' has a discount of {DiscountPercent}%; use 0 to 100.");
        }

        if (Preconditions.CheckNotNull(Fees).Count > MaxFees)
        {
            throw Invalid($"Contract '{ContractId}' has {Fees.Count} fees; use at most {MaxFees}.");
        }

        Currency? currency = null;
        foreach (var fee in Fees)
        {
            if (fee is null || string.IsNullOrWhiteSpace(fee.Name) || fee.Name.Length > 255 || !TextRules.IsValid(fee.Name))
            {
                throw Invalid($"Contract '{ContractId}' has a fee without a valid name; name each fee (1 to 255 characters).");
            }

            currency = CheckAmount(currency, fee.Amount, $"fee '{fee.Name}'");
        }

        if (MinimumCommitment is { } minimum)
        {
            CheckAmount(currency, minimum, "minimum commitment");
        }
    }

    /// <summary>Checks the terms against the plan they are attached to (<see cref="CheckShape"/>, then the plan's charges and currency).</summary>
    /// <exception cref="MeteringException">
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: an unknown or repeated charge key, a currency other than the
    /// plan's, an amount or percentage out of bounds, or an end not after the start; the message names the problem.
    /// </exception>
    public void CheckAgainst(Plan plan)
    {
        Preconditions.CheckNotNull(plan);
        CheckShape();
        foreach (var o in ChargeOverrides)
        {
            if (plan.FindCharge(o.ChargeKey) is null)
            {
                var known = plan.Charges.Count == 0 ? "none" : string.Join(", ", plan.Charges.Select(c => $"'{c.Key}'"));
                throw Invalid($"Contract '{ContractId}' overrides charge '{o.ChargeKey}', which plan '{plan.Key}' v{plan.Version} does not have (its charges: {known}); override one of its charges.");
            }
        }

        foreach (var fee in Fees)
        {
            CheckCurrency(plan, fee.Amount, $"fee '{fee.Name}'");
        }

        if (MinimumCommitment is { } minimum)
        {
            CheckCurrency(plan, minimum, "minimum commitment");
        }
    }

    /// <summary>Equal in every field; lists compare element by element.</summary>
    public bool Equals(ContractTerms? other) =>
        other is not null
        && string.Equals(ContractId, other.ContractId, StringComparison.Ordinal)
        && StartsAt == other.StartsAt
        && EndsAt == other.EndsAt
        && DiscountPercent == other.DiscountPercent
        && MinimumCommitment == other.MinimumCommitment
        && ChargeOverrides.SequenceEqual(other.ChargeOverrides)
        && Fees.SequenceEqual(other.Fees);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(ContractId, StartsAt, EndsAt, DiscountPercent, ChargeOverrides.Count, Fees.Count);

    private void CheckCurrency(Plan plan, Money amount, string what)
    {
        if (amount.Currency != plan.Currency)
        {
            throw Invalid($"The {what} of contract '{ContractId}' is in {amount.Currency.Code}, but plan '{plan.Key}' bills in {plan.Currency.Code}; use the plan's currency.");
        }
    }

    private Currency CheckAmount(Currency? currency, Money amount, string what)
    {
        if (currency is { } expected && amount.Currency != expected)
        {
            throw Invalid($"The {what} of contract '{ContractId}' is in {amount.Currency.Code}, but its other amounts are in {expected.Code}; use one currency (the plan's).");
        }

        if (amount.Amount < 0m || amount.Amount > MeteringLimits.MaxPrice)
        {
            throw Invalid($"The {what} of contract '{ContractId}' is {amount.Amount}; use 0 to {MeteringLimits.MaxPrice}.");
        }

        return amount.Currency;
    }

    private static MeteringException Invalid(string message) => new(MeteringErrorCode.InvalidArgument, message);
}
