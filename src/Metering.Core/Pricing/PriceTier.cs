namespace Metering;

/// <summary>
/// One row of a tier table. A tier starts just after the previous tier's <see cref="UpTo"/> (the first
/// starts after 0) and ends at its own <see cref="UpTo"/>, inclusive: tiers <c>[UpTo 100, UpTo 1000, ∞]</c>
/// cover <c>(0, 100]</c>, <c>(100, 1000]</c> and <c>(1000, ∞)</c>. Because tiers are given by their upper
/// bound only, a table can have no gaps or overlaps; it is validated when the pricing model is created.
/// </summary>
/// <param name="UpTo">Inclusive upper bound of the tier in units; null for the unbounded last tier.</param>
/// <param name="UnitPrice">Price of each unit in the tier (may be finer than the currency's minor unit).</param>
/// <param name="FlatFee">
/// Fee charged once per period when the quantity reaches this tier (0 for none). The first tier is always reached,
/// so its flat fee is billed even at zero usage; set it to 0 to bill nothing at zero usage.
/// </param>
public sealed record PriceTier(decimal? UpTo, decimal UnitPrice, decimal FlatFee = 0m);

/// <summary>One tier's share of a priced quantity, as shown on an invoice line.</summary>
/// <param name="Tier">1-based tier number in the table.</param>
/// <param name="From">Exclusive lower bound of the tier (the previous tier's UpTo, 0 for the first).</param>
/// <param name="UpTo">Inclusive upper bound; null for the unbounded last tier.</param>
/// <param name="Quantity">Units priced in this tier.</param>
/// <param name="UnitPrice">Price per unit in this tier.</param>
/// <param name="FlatFee">Flat fee charged for this tier (0 when none).</param>
/// <param name="Amount">Exact, unrounded amount: <c>Quantity × UnitPrice + FlatFee</c>.</param>
public sealed record TierPrice(int Tier, decimal From, decimal? UpTo, decimal Quantity, decimal UnitPrice, decimal FlatFee, decimal Amount);

/// <summary>How <see cref="PricingModel.Package"/> counts a partly used package.</summary>
public enum PackageRounding
{
    /// <summary>A started package is charged in full: <c>ceil(q / size)</c> packages.</summary>
    Up,

    /// <summary>Only complete packages are charged: <c>floor(q / size)</c> packages.</summary>
    Down,
}
