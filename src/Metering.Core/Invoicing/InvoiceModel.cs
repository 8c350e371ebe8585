namespace Metering;

/// <summary>What an <see cref="InvoiceLine"/> is for.</summary>
public enum InvoiceLineKind
{
    /// <summary>The plan's base fee (per seat, prorated or waived in trial).</summary>
    BaseFee,

    /// <summary>A charge's priced usage.</summary>
    Usage,

    /// <summary>Credits applied (a negative amount).</summary>
    Credit,

    /// <summary>A contract's fixed fee for one fee cycle (<see cref="ContractFee"/>).</summary>
    ContractFee,

    /// <summary>A contract's discount on the usage lines (a negative amount, <see cref="ContractTerms.DiscountPercent"/>).</summary>
    Discount,

    /// <summary>The true-up to a contract's minimum commitment (<see cref="ContractTerms.MinimumCommitment"/>).</summary>
    MinimumCommitment,
}

/// <summary>Options of an <see cref="InvoiceCalculator"/>.</summary>
public sealed record InvoiceCalculatorOptions
{
    /// <summary>How each line's exact amount is rounded to minor units (default <see cref="RoundingPolicy.HalfUp"/>).</summary>
    public RoundingPolicy Rounding { get; init; } = RoundingPolicy.HalfUp;
}

/// <summary>Everything an invoice is computed from. The same input always gives the same invoice.</summary>
/// <param name="Plan">The plan version the period is billed on.</param>
/// <param name="Period">The service period being invoiced.</param>
/// <param name="UsageByCharge">Billable quantity per <see cref="Charge.Key"/> (aggregated for the period); a missing key means 0.</param>
public sealed record InvoiceInput(Plan Plan, BillingPeriod Period, IReadOnlyDictionary<string, decimal> UsageByCharge)
{
    /// <summary>Start of the covered part of the period (e.g. subscription started mid-period); null for the period start.</summary>
    public Instant? CoveredFrom { get; init; }

    /// <summary>End (exclusive) of the covered part of the period (e.g. plan changed); null for the period end.</summary>
    public Instant? CoveredTo { get; init; }

    /// <summary>Seats the base fee is multiplied by when the plan's base fee is per seat (zero or more, default 1).</summary>
    public int Seats { get; init; } = 1;

    /// <summary>
    /// Seat count changes, oldest first, when the count changed during the period (<see cref="Subscription.SeatChanges"/>);
    /// null or empty when <see cref="Seats"/> held all along. A per-seat base fee is then the time-weighted sum over the
    /// covered range: each span's seats × fee × span length / period length, rounded once for the line. Before the first
    /// change the count is its <see cref="SeatChange.PreviousSeats"/>; changes outside the covered range only set the
    /// count at its bounds, and <see cref="Seats"/> is not used.
    /// </summary>
    public IReadOnlyList<SeatChange>? SeatChanges { get; init; }

    /// <summary>True when the period is in trial: the base fee is waived (its line shows 0). Usage is still priced.</summary>
    public bool InTrial { get; init; }

    /// <summary>Credits available at invoice time, in the plan's currency; applied up to the amount due.</summary>
    public Money? CreditsAvailable { get; init; }

    /// <summary>Amount already paid per <see cref="Charge.Key"/> by real-time credit burn; shown as credit lines.</summary>
    public IReadOnlyDictionary<string, decimal>? PrepaidByCharge { get; init; }

    /// <summary>
    /// Billable quantity per group of each grouped charge (<see cref="Charge.GroupBy"/>), by <see cref="Charge.Key"/>.
    /// Each group is priced on its own and billed as its own line. A grouped charge missing here (or with no groups)
    /// gets one line without a group, priced from <see cref="UsageByCharge"/>.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ChargeGroupUsage>>? UsageByGroup { get; init; }

    /// <summary>
    /// Contract terms that apply to this period (the caller decides with <see cref="ContractTerms.AppliesTo"/>), or null:
    /// overridden charges are priced at the contract price, the usage lines discounted and the minimum commitment trued up.
    /// </summary>
    public ContractTerms? Contract { get; init; }

    /// <summary>The contract fee cycles due on this invoice (<see cref="ContractTerms.FeesDue"/>), one line each; null for none.</summary>
    public IReadOnlyList<ContractFeeCycle>? ContractFees { get; init; }
}

/// <summary>The aggregated quantity of one group of a grouped charge, an input of <see cref="InvoiceCalculator"/>.</summary>
/// <param name="GroupValues">The group's value of each of the charge's <see cref="Charge.GroupBy"/> properties, in that order; null for "no value" (records without the property).</param>
/// <param name="Quantity">The group's billable quantity for the period (zero or more).</param>
public sealed record ChargeGroupUsage(IReadOnlyList<string?> GroupValues, decimal Quantity)
{
    /// <summary>
    /// The order of group lines on an invoice: value by value in <see cref="Charge.GroupBy"/> order, ordinal, with
    /// "no value" (null) after every value.
    /// </summary>
    public static IComparer<IReadOnlyList<string?>> Order { get; } = Comparer<IReadOnlyList<string?>>.Create(CompareGroups);

    /// <summary>Equal values (ordinal, element by element) and quantity.</summary>
    public bool Equals(ChargeGroupUsage? other) =>
        other is not null && Quantity == other.Quantity && CompareGroups(GroupValues, other.GroupValues) == 0;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(GroupValues.Count, Quantity);

    private static int CompareGroups(IReadOnlyList<string?>? left, IReadOnlyList<string?>? right)
    {
        if (left is null || right is null)
        {
            return left is null ? (right is null ? 0 : -1) : 1;
        }

        for (int i = 0; i < Math.Min(left.Count, right.Count); i++)
        {
            int order = (left[i], right[i]) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                var (a, b) => string.CompareOrdinal(a, b),
            };
            if (order != 0)
            {
                return order;
            }
        }

        return left.Count.CompareTo(right.Count);
    }
}

/// <summary>One line of a calculated invoice.</summary>
/// <param name="Kind">Base fee, usage or credit.</param>
/// <param name="Description">Text for the customer (invariant culture).</param>
/// <param name="ChargeKey">The charge the line is for; null for the base fee and invoice-time credits.</param>
/// <param name="MeterKey">The meter of the charge; null when <paramref name="ChargeKey"/> is null.</param>
/// <param name="Quantity">Usage quantity (before included units), seats for a per-seat base fee (the time-weighted
/// average over the covered range when the count changed), else 1.</param>
/// <param name="UnitPrice">Price per unit when one applies (per-unit, volume, base fee); null for package and graduated.</param>
/// <param name="Tiers">Tier breakdown for tiered charges; empty otherwise.</param>
/// <param name="ExactAmount">The unrounded amount.</param>
/// <param name="Amount">The amount rounded once to the currency's minor units; credit lines are negative.</param>
/// <param name="ProrationFraction">Part of the period the base fee covers, when less than all of it; else null.</param>
public sealed record InvoiceLine(
    InvoiceLineKind Kind,
    string Description,
    string? ChargeKey,
    string? MeterKey,
    decimal Quantity,
    decimal? UnitPrice,
    IReadOnlyList<TierPrice> Tiers,
    decimal ExactAmount,
    Money Amount,
    decimal? ProrationFraction)
{
    /// <summary>
    /// For a line of a grouped charge (<see cref="Charge.GroupBy"/>): the group it bills, property name to value, in the
    /// charge's group-by order, a null value for "no value" (records without the property). Null on other lines.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? Group { get; init; }

    /// <summary>Equal in every field; tiers compare element by element, groups pair by pair.</summary>
    public bool Equals(InvoiceLine? other) =>
        other is not null
        && Kind == other.Kind
        && string.Equals(Description, other.Description, StringComparison.Ordinal)
        && string.Equals(ChargeKey, other.ChargeKey, StringComparison.Ordinal)
        && string.Equals(MeterKey, other.MeterKey, StringComparison.Ordinal)
        && Quantity == other.Quantity
        && UnitPrice == other.UnitPrice
        && ExactAmount == other.ExactAmount
        && Amount == other.Amount
        && ProrationFraction == other.ProrationFraction
        && Tiers.SequenceEqual(other.Tiers)
        && GroupEquals(Group, other.Group);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, ChargeKey, Quantity, ExactAmount, Amount);

    private static bool GroupEquals(IReadOnlyDictionary<string, string?>? left, IReadOnlyDictionary<string, string?>? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }

        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var (property, value) in left)
        {
            if (!right.TryGetValue(property, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The result of <see cref="InvoiceCalculator.Calculate"/>. Invariant: the rounded line amounts sum to
/// <see cref="Total"/>; <see cref="Total"/> = <see cref="Subtotal"/> - <see cref="CreditsApplied"/> and is never negative.
/// </summary>
/// <param name="PlanKey">The plan key.</param>
/// <param name="PlanVersion">The plan version.</param>
/// <param name="Currency">The plan's currency.</param>
/// <param name="Period">The service period.</param>
/// <param name="Lines">Base fee line (if any), one usage line per charge in plan order (one per group, in <see cref="ChargeGroupUsage.Order"/>, for a grouped charge), then under a contract its fee, discount and minimum-commitment lines, then credit lines.</param>
/// <param name="Subtotal">Sum of the rounded lines other than credits.</param>
/// <param name="CreditsApplied">Credits applied (prepaid plus invoice-time), as a positive amount.</param>
/// <param name="Total">Amount due: <c>Subtotal - CreditsApplied</c>.</param>
public sealed record CalculatedInvoice(
    string PlanKey,
    int PlanVersion,
    Currency Currency,
    BillingPeriod Period,
    IReadOnlyList<InvoiceLine> Lines,
    Money Subtotal,
    Money CreditsApplied,
    Money Total)
{
    /// <summary>The <see cref="ContractTerms.ContractId"/> of the contract terms that priced this invoice, or null.</summary>
    public string? ContractId { get; init; }

    /// <summary>Equal in every field; lines compare element by element.</summary>
    public bool Equals(CalculatedInvoice? other) =>
        other is not null
        && string.Equals(PlanKey, other.PlanKey, StringComparison.Ordinal)
        && string.Equals(ContractId, other.ContractId, StringComparison.Ordinal)
        && PlanVersion == other.PlanVersion
        && Currency == other.Currency
        && Period == other.Period
        && Subtotal == other.Subtotal
        && CreditsApplied == other.CreditsApplied
        && Total == other.Total
        && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(PlanKey, PlanVersion, Period, Total, Lines.Count);
}
