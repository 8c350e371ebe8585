namespace Metering;

/// <summary>
/// The exact price of a quantity under a <see cref="PricingModel"/>: the unrounded amount and, for tiered
/// models, how it splits over the tiers. Rounding to the currency happens once, on the invoice line.
/// </summary>
/// <remarks>A value type, so pricing a per-unit or package charge does not allocate.</remarks>
public readonly record struct ChargePrice
{
    private readonly IReadOnlyList<TierPrice>? _tiers;

    /// <summary>Creates a price.</summary>
    public ChargePrice(decimal quantity, decimal includedUnits, decimal amount, IReadOnlyList<TierPrice> tiers)
    {
        Quantity = quantity;
        IncludedUnits = includedUnits;
        Amount = amount;
        _tiers = Preconditions.CheckNotNull(tiers);
    }

    /// <summary>The quantity that was priced, before included units were subtracted.</summary>
    public decimal Quantity { get; }

    /// <summary>The included (free) units actually used: <c>min(model's IncludedUnits, Quantity)</c>.</summary>
    public decimal IncludedUnits { get; }

    /// <summary>Quantity that was charged: <see cref="Quantity"/> minus <see cref="IncludedUnits"/>.</summary>
    public decimal ChargedQuantity => Quantity - IncludedUnits;

    /// <summary>The exact, unrounded amount in the plan's currency.</summary>
    public decimal Amount { get; }

    /// <summary>
    /// Per-tier breakdown of tiers reached; empty for per-unit and package pricing. A tiered model always reaches
    /// its first tier, so at zero usage the breakdown holds tier 1 with quantity 0 and its flat fee.
    /// </summary>
    public IReadOnlyList<TierPrice> Tiers => _tiers ?? PricingModel.NoTiers;

    /// <summary>Equal quantities, included units, amounts and tier breakdowns (element by element).</summary>
    public bool Equals(ChargePrice other) =>
        Quantity == other.Quantity && IncludedUnits == other.IncludedUnits && Amount == other.Amount && Tiers.SequenceEqual(other.Tiers);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Quantity, IncludedUnits, Amount, Tiers.Count);
}
