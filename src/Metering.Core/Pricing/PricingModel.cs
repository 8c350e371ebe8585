using System.Collections.Immutable;
using System.Globalization;

namespace Metering;

/// <summary>
/// How a charge turns a period's billable quantity into an amount. Immutable, compared by value.
/// Create models with <see cref="PerUnit"/>, <see cref="Package"/>, <see cref="Graduated"/> or <see cref="Volume"/>.
/// </summary>
/// <remarks>
/// Every model first subtracts <see cref="IncludedUnits"/> (free units) from the quantity, then prices
/// what is left. Amounts are exact <see cref="decimal"/>s, never rounded here: an invoice rounds once per line.
/// <para>
/// Tiered models (<see cref="Graduated"/>, <see cref="Volume"/>) always reach their first tier: its flat fee is billed
/// whenever the charge is billed for a period, also at quantity 0 and when included units cover all usage (as Lago,
/// OpenMeter and Kong do). Later tiers' flat fees are billed only when the quantity reaches them. A plan that wants
/// 0.00 at zero usage gives the first tier a flat fee of 0, e.g. <c>new PriceTier(10m, 10.00m, FlatFee: 0m)</c>.
/// </para>
/// </remarks>
public abstract class PricingModel : IEquatable<PricingModel>
{
    internal static readonly IReadOnlyList<TierPrice> NoTiers = ImmutableArray<TierPrice>.Empty;

    private protected PricingModel(decimal includedUnits)
    {
        IncludedUnits = Preconditions.CheckNotNegative(includedUnits);
    }

    /// <summary>
    /// Free units subtracted from the quantity before pricing (zero or more). When they cover all usage the charged
    /// quantity is 0, and a tiered model still bills its first tier's flat fee.
    /// </summary>
    public decimal IncludedUnits { get; }

    /// <summary><c>q × unitPrice</c>. Unit prices finer than the currency's minor unit (0.002) are kept exactly.</summary>
    /// <param name="unitPrice">Price per unit, zero or more.</param>
    /// <param name="includedUnits">Free units subtracted first, zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">A price or the included units is negative.</exception>
    public static PerUnitPricing PerUnit(decimal unitPrice, decimal includedUnits = 0m) => new(unitPrice, includedUnits);

    /// <summary><c>ceil(q / packageSize) × packagePrice</c> (or <c>floor</c> with <see cref="PackageRounding.Down"/>).</summary>
    /// <param name="packageSize">Units per package, greater than zero.</param>
    /// <param name="packagePrice">Price of one package, zero or more.</param>
    /// <param name="includedUnits">Free units subtracted first, zero or more.</param>
    /// <param name="rounding">Whether a started package is charged (<see cref="PackageRounding.Up"/>, the default) or not.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is not positive, or the price or included units is negative.</exception>
    public static PackagePricing Package(decimal packageSize, decimal packagePrice, decimal includedUnits = 0m, PackageRounding rounding = PackageRounding.Up) =>
        new(packageSize, packagePrice, includedUnits, rounding);

    /// <summary>
    /// Each tier prices only the units that fall inside it, plus the tier's flat fee once when the tier is reached.
    /// 1,500 units over <c>[UpTo 100 @ 1, UpTo 1000 @ 0.8, ∞ @ 0.5]</c> cost <c>100 × 1 + 900 × 0.8 + 500 × 0.5</c>.
    /// The first tier is always reached, so its flat fee is billed even at quantity 0 (after included units):
    /// <c>[UpTo 10 @ 10 + flat 2, ∞ @ 5]</c> costs 2 for 0 units. Give the first tier a flat fee of 0 to bill 0 at zero usage.
    /// </summary>
    /// <param name="tiers">The tier table: ascending UpTo, the last unbounded (see <see cref="PriceTier"/>).</param>
    /// <param name="includedUnits">Free units subtracted first, zero or more.</param>
    /// <exception cref="InvalidTierTableException">The table is empty, unsorted, has negative values or a misplaced unbounded tier.</exception>
    public static GraduatedPricing Graduated(IEnumerable<PriceTier> tiers, decimal includedUnits = 0m) =>
        new(ValidateTiers(tiers), includedUnits);

    /// <summary>
    /// All units at the unit price of the tier the quantity lands in, plus that tier's flat fee. A quantity of
    /// zero (after included units) lands in the first tier, so it costs the first tier's flat fee:
    /// <c>[UpTo 100 @ 1 + flat 10, ∞ @ 0.5]</c> costs 10 for 0 units. Give the first tier a flat fee of 0 to bill 0 at zero usage.
    /// </summary>
    /// <param name="tiers">The tier table: ascending UpTo, the last unbounded (see <see cref="PriceTier"/>).</param>
    /// <param name="includedUnits">Free units subtracted first (the tier is chosen by what is left), zero or more.</param>
    /// <exception cref="InvalidTierTableException">The table is empty, unsorted, has negative values or a misplaced unbounded tier.</exception>
    public static VolumePricing Volume(IEnumerable<PriceTier> tiers, decimal includedUnits = 0m) =>
        new(ValidateTiers(tiers), includedUnits);

    /// <summary>
    /// Prices <paramref name="quantity"/>: the exact amount and, for tiered models, the tier breakdown (which always
    /// holds at least the first tier, with its flat fee, also at quantity 0).
    /// </summary>
    /// <param name="quantity">The period's billable quantity (before included units), zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantity"/> is negative.</exception>
    public ChargePrice Price(decimal quantity)
    {
        Preconditions.CheckNotNegative(quantity);
        var included = Math.Min(IncludedUnits, quantity);
        var charged = quantity - included;
        var amount = AmountOfCharged(charged);
        return new ChargePrice(quantity, included, amount, Breakdown(charged));
    }

    /// <summary>The exact amount for <paramref name="quantity"/>, without the breakdown. Does not allocate.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantity"/> is negative.</exception>
    public decimal AmountFor(decimal quantity)
    {
        Preconditions.CheckNotNegative(quantity);
        return AmountOfCharged(quantity > IncludedUnits ? quantity - IncludedUnits : 0m);
    }

    /// <summary>
    /// What going from <paramref name="quantityBefore"/> to <paramref name="quantityAfter"/> costs, exactly:
    /// <c>Price(after).Amount - Price(before).Amount</c> (negative if the quantity went down). Used to burn
    /// credits in real time as usage is recorded. Does not allocate.
    /// </summary>
    /// <remarks>
    /// The first tier's flat fee of a tiered model is a per-period charge, not a cost of usage: it is already in
    /// <c>Price(0)</c>, so no record burns it (the first record of a period burns only its units). It is billed on the
    /// period's invoice, where invoice-time credits can pay it; the credits burned in real time are subtracted from
    /// the charge's line there, so the fee is neither billed twice nor lost.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A quantity is negative.</exception>
    public decimal MarginalCost(decimal quantityBefore, decimal quantityAfter) => AmountFor(quantityAfter) - AmountFor(quantityBefore);

    /// <summary>True when <paramref name="other"/> is the same kind of model with the same figures.</summary>
    public abstract bool Equals(PricingModel? other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PricingModel);

    /// <inheritdoc/>
    public abstract override int GetHashCode();

    /// <summary>Amount for the quantity left after included units.</summary>
    private protected abstract decimal AmountOfCharged(decimal charged);

    /// <summary>Tier breakdown for a charged quantity (zero or more); empty for untiered models.</summary>
    private protected virtual IReadOnlyList<TierPrice> Breakdown(decimal charged) => NoTiers;

    private protected string IncludedSuffix() =>
        IncludedUnits == 0m ? string.Empty : string.Create(CultureInfo.InvariantCulture, $", {IncludedUnits} included");

    private static ImmutableArray<PriceTier> ValidateTiers(IEnumerable<PriceTier> tiers)
    {
        var table = Preconditions.CheckNotNull(tiers).ToImmutableArray();
        if (table.Length == 0)
        {
            throw new InvalidTierTableException(1, "The tier table is empty: tier 1 is missing. Add at least one tier; the last must have UpTo = null (unbounded).");
        }

        decimal? previousUpTo = null;
        for (int i = 0; i < table.Length; i++)
        {
            int number = i + 1;
            var tier = table[i] ?? throw new InvalidTierTableException(number, $"Tier {number} is null; give every tier a PriceTier value.");
            bool isLast = i == table.Length - 1;
            if (tier.UnitPrice < 0m)
            {
                throw Invalid(number, $"unit price {tier.UnitPrice} is negative; use a price of zero or more.");
            }

            if (tier.FlatFee < 0m)
            {
                throw Invalid(number, $"flat fee {tier.FlatFee} is negative; use a fee of zero or more.");
            }

            if (tier.UpTo is not { } upTo)
            {
                if (!isLast)
                {
                    throw Invalid(number, $"UpTo is null (unbounded) but only the last tier may be unbounded; give tier {number} an UpTo or move it to the end.");
                }

                continue;
            }

            if (upTo < 0m)
            {
                throw Invalid(number, $"UpTo {upTo} is negative; tier bounds are quantities of zero or more, in ascending order.");
            }

            if (upTo == 0m)
            {
                throw Invalid(number, "UpTo 0 leaves the tier empty (tiers start after 0); use an UpTo above 0.");
            }

            if (previousUpTo is { } previous && upTo <= previous)
            {
                throw upTo == previous
                    ? Invalid(number, $"UpTo {upTo} repeats tier {number - 1}'s UpTo; remove the duplicate or raise this bound (each tier starts where the previous one ends).")
                    : Invalid(number, $"UpTo {upTo} is not above tier {number - 1}'s UpTo {previous}; sort tiers by ascending UpTo.");
            }

            if (isLast)
            {
                throw Invalid(number, $"the last tier has UpTo {upTo}, so larger quantities have no price; add a final tier with UpTo = null (unbounded).");
            }

            previousUpTo = upTo;
        }

        return table;

        static InvalidTierTableException Invalid(int number, string problem) =>
            new(number, string.Create(CultureInfo.InvariantCulture, $"Tier {number}: {problem}"));
    }
}

/// <summary>Per-unit pricing: <c>(q - included) × UnitPrice</c>. Create with <see cref="PricingModel.PerUnit"/>.</summary>
public sealed class PerUnitPricing : PricingModel
{
    internal PerUnitPricing(decimal unitPrice, decimal includedUnits)
        : base(includedUnits)
    {
        UnitPrice = Preconditions.CheckNotNegative(unitPrice);
    }

    /// <summary>Price per unit (may be finer than the currency's minor unit).</summary>
    public decimal UnitPrice { get; }

    /// <inheritdoc/>
    public override bool Equals(PricingModel? other) =>
        other is PerUnitPricing p && p.UnitPrice == UnitPrice && p.IncludedUnits == IncludedUnits;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(1, UnitPrice, IncludedUnits);

    /// <summary>E.g. <c>0.002 per unit</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{UnitPrice} per unit{IncludedSuffix()}");

    private protected override decimal AmountOfCharged(decimal charged) => charged * UnitPrice;
}

/// <summary>Package pricing: whole packages of <see cref="PackageSize"/> units. Create with <see cref="PricingModel.Package"/>.</summary>
public sealed class PackagePricing : PricingModel
{
    internal PackagePricing(decimal packageSize, decimal packagePrice, decimal includedUnits, PackageRounding rounding)
        : base(includedUnits)
    {
        PackageSize = Preconditions.CheckPositive(packageSize);
        PackagePrice = Preconditions.CheckNotNegative(packagePrice);
        Preconditions.CheckArgument(Enum.IsDefined(rounding), nameof(rounding), $"Unknown PackageRounding value {(int)rounding}; use Up or Down.");
        Rounding = rounding;
    }

    /// <summary>Units in one package.</summary>
    public decimal PackageSize { get; }

    /// <summary>Price of one package.</summary>
    public decimal PackagePrice { get; }

    /// <summary>Whether a started package is charged.</summary>
    public PackageRounding Rounding { get; }

    /// <summary>Packages charged for <paramref name="quantity"/> (before included units are subtracted).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantity"/> is negative.</exception>
    public decimal PackagesFor(decimal quantity)
    {
        Preconditions.CheckNotNegative(quantity);
        return Packages(quantity > IncludedUnits ? quantity - IncludedUnits : 0m);
    }

    /// <inheritdoc/>
    public override bool Equals(PricingModel? other) =>
        other is PackagePricing p && p.PackageSize == PackageSize && p.PackagePrice == PackagePrice && p.Rounding == Rounding && p.IncludedUnits == IncludedUnits;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(2, PackageSize, PackagePrice, Rounding, IncludedUnits);

    /// <summary>E.g. <c>5 per 100 units</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{PackagePrice} per {PackageSize} units{(Rounding == PackageRounding.Down ? " (complete packages only)" : string.Empty)}{IncludedSuffix()}");

    private protected override decimal AmountOfCharged(decimal charged) => Packages(charged) * PackagePrice;

    private decimal Packages(decimal charged)
    {
        // Remainder keeps the count exact where q / size could round in the 28th digit.
        var remainder = charged % PackageSize;
        var whole = (charged - remainder) / PackageSize;
        return Rounding == PackageRounding.Up && remainder != 0m ? whole + 1m : whole;
    }
}

/// <summary>Base of the tiered models (<see cref="GraduatedPricing"/>, <see cref="VolumePricing"/>).</summary>
public abstract class TieredPricing : PricingModel
{
    private protected TieredPricing(ImmutableArray<PriceTier> tiers, decimal includedUnits)
        : base(includedUnits)
    {
        Tiers = tiers;
    }

    /// <summary>The validated tier table, in ascending order; the last tier is unbounded.</summary>
    public IReadOnlyList<PriceTier> Tiers { get; }

    /// <inheritdoc/>
    public override bool Equals(PricingModel? other) =>
        other is TieredPricing t && t.GetType() == GetType() && t.IncludedUnits == IncludedUnits && t.Tiers.SequenceEqual(Tiers);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(GetType(), IncludedUnits, Tiers.Count, Tiers[0]);

    private protected decimal LowerBound(int index) => index == 0 ? 0m : Tiers[index - 1].UpTo!.Value;

    /// <summary>
    /// Whether <paramref name="charged"/> units reach tier <paramref name="index"/>: the first tier always (so its flat
    /// fee is billed at zero usage), a later tier once the quantity is above the previous tier's UpTo.
    /// </summary>
    private protected bool Reaches(decimal charged, int index) => index == 0 || charged > LowerBound(index);
}

/// <summary>Graduated tiers: each tier prices only its own units. Create with <see cref="PricingModel.Graduated"/>.</summary>
public sealed class GraduatedPricing : TieredPricing
{
    internal GraduatedPricing(ImmutableArray<PriceTier> tiers, decimal includedUnits)
        : base(tiers, includedUnits)
    {
    }

    /// <summary>E.g. <c>graduated, 3 tiers</c>.</summary>
    public override string ToString() => $"graduated, {Tiers.Count} tiers{IncludedSuffix()}";

    private protected override decimal AmountOfCharged(decimal charged)
    {
        decimal amount = 0m;
        for (int i = 0; i < Tiers.Count && Reaches(charged, i); i++)
        {
            var tier = Tiers[i];
            var inTier = QuantityInTier(charged, i);
            amount += (inTier * tier.UnitPrice) + tier.FlatFee;
        }

        return amount;
    }

    private protected override IReadOnlyList<TierPrice> Breakdown(decimal charged)
    {
        var builder = ImmutableArray.CreateBuilder<TierPrice>();
        for (int i = 0; i < Tiers.Count && Reaches(charged, i); i++)
        {
            var tier = Tiers[i];
            var inTier = QuantityInTier(charged, i);
            builder.Add(new TierPrice(i + 1, LowerBound(i), tier.UpTo, inTier, tier.UnitPrice, tier.FlatFee, (inTier * tier.UnitPrice) + tier.FlatFee));
        }

        return builder.ToImmutable();
    }

    private decimal QuantityInTier(decimal charged, int index)
    {
        var upTo = Tiers[index].UpTo;
        var top = upTo is { } bound && bound < charged ? bound : charged;
        return top - LowerBound(index);
    }
}

/// <summary>Volume tiers: all units at the price of the tier the quantity lands in. Create with <see cref="PricingModel.Volume"/>.</summary>
public sealed class VolumePricing : TieredPricing
{
    internal VolumePricing(ImmutableArray<PriceTier> tiers, decimal includedUnits)
        : base(tiers, includedUnits)
    {
    }

    /// <summary>The 0-based index of the tier <paramref name="charged"/> units land in (after included units); 0 for no units.</summary>
    internal int TierIndexFor(decimal charged)
    {
        for (int i = 0; i < Tiers.Count - 1; i++)
        {
            if (charged <= Tiers[i].UpTo!.Value)
            {
                return i;
            }
        }

        return Tiers.Count - 1;
    }

    /// <summary>E.g. <c>volume, 3 tiers</c>.</summary>
    public override string ToString() => $"volume, {Tiers.Count} tiers{IncludedSuffix()}";

    private protected override decimal AmountOfCharged(decimal charged)
    {
        var tier = Tiers[TierIndexFor(charged)];
        return (charged * tier.UnitPrice) + tier.FlatFee;
    }

    private protected override IReadOnlyList<TierPrice> Breakdown(decimal charged)
    {
        int index = TierIndexFor(charged);
        var tier = Tiers[index];
        return ImmutableArray.Create(new TierPrice(index + 1, LowerBound(index), tier.UpTo, charged, tier.UnitPrice, tier.FlatFee, (charged * tier.UnitPrice) + tier.FlatFee));
    }
}
