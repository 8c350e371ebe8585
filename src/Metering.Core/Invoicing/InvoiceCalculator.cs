using System.Collections.Immutable;
using System.Globalization;

namespace Metering;

/// <summary>
/// Computes an invoice from a plan version, a period, aggregated usage and credits. A pure function:
/// the same <see cref="InvoiceInput"/> gives the same <see cref="CalculatedInvoice"/>, to the cent.
/// </summary>
/// <remarks>
/// Amounts stay exact through pricing and proration and are rounded once per line with
/// <see cref="InvoiceCalculatorOptions.Rounding"/>; subtotal and total are sums of rounded lines, so the
/// lines always add up to the total. Only the base fee is prorated; usage is billed as recorded and tier
/// bounds and included units are not prorated. Every charge of the plan gets a line, also without usage: a
/// tiered charge's line then bills its first tier's flat fee in full (see <see cref="PricingModel"/>), on each
/// invoice of the charge, a trial's or a mid-period plan change's included. Credits never take the total below
/// zero, and invoice-time credits are applied in whole minor units, truncated, so never more than is available.
/// Credits burned in real time are subtracted per charge, capped at the charge's line; the first tier's flat fee
/// is never burned in real time, so it is left for invoice-time credits or the total.
/// </remarks>
public sealed class InvoiceCalculator
{
    private readonly RoundingPolicy _rounding;

    /// <summary>Creates a calculator.</summary>
    /// <param name="options">Rounding options; null for the defaults (half-up).</param>
    public InvoiceCalculator(InvoiceCalculatorOptions? options = null)
    {
        _rounding = Preconditions.CheckNotNull((options ?? new InvoiceCalculatorOptions()).Rounding);
    }

    /// <summary>Calculates the invoice for <paramref name="input"/>.</summary>
    /// <exception cref="MeteringException">Usage or prepaid amounts name a charge the plan does not have.</exception>
    /// <exception cref="CurrencyMismatchException">The available credits are not in the plan's currency.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A quantity, prepaid amount, seat count or credit amount is negative, or the covered range is not inside the period.
    /// </exception>
    public CalculatedInvoice Calculate(InvoiceInput input)
    {
        Preconditions.CheckNotNull(input);
        var terms = input.Contract;
        var plan = Preconditions.CheckNotNull(input.Plan);
        terms?.CheckAgainst(plan);
        plan = terms?.PriceOf(plan) ?? plan;
        var usage = Preconditions.CheckNotNull(input.UsageByCharge);
        var currency = plan.Currency;
        if (input.Seats < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(input), input.Seats, "Seats is negative; pass the number of seats, zero or more.");
        }

        CheckKnownCharges(plan, usage, "Usage");
        if (input.PrepaidByCharge is { } prepaid)
        {
            CheckKnownCharges(plan, prepaid, "Prepaid amount");
        }

        var lines = ImmutableArray.CreateBuilder<InvoiceLine>(plan.Charges.Count + 3);
        if (plan.BaseFee > 0m || plan.BaseFeePerSeat)
        {
            lines.Add(BaseFeeLine(input, plan));
        }

        if (input.UsageByGroup is { } byGroup)
        {
            CheckGroupedCharges(plan, byGroup);
        }

        // Per charge, the sum of its rounded usage lines (one per group for a grouped charge).
        var chargeAmounts = new decimal[plan.Charges.Count];
        for (int i = 0; i < plan.Charges.Count; i++)
        {
            var charge = plan.Charges[i];
            if (charge.GroupBy.Count > 0 && input.UsageByGroup?.GetValueOrDefault(charge.Key) is { Count: > 0 } groups)
            {
                foreach (var group in SortedGroups(charge, groups))
                {
                    var line = UsageLine(charge, group.Quantity, currency, group.GroupValues);
                    chargeAmounts[i] += line.Amount.Amount;
                    lines.Add(line);
                }
            }
            else
            {
                var line = UsageLine(charge, usage.GetValueOrDefault(charge.Key), currency, null);
                chargeAmounts[i] = line.Amount.Amount;
                lines.Add(line);
            }
        }

        if (terms is not null)
        {
            AddContractLines(input, terms, chargeAmounts, lines);
        }

        var subtotal = Money.Zero(currency);
        foreach (var line in lines)
        {
            subtotal += line.Amount;
        }

        var credited = Money.Zero(currency);
        if (input.PrepaidByCharge is { } prepaidByCharge)
        {
            for (int i = 0; i < plan.Charges.Count; i++)
            {
                var charge = plan.Charges[i];
                var paid = prepaidByCharge.GetValueOrDefault(charge.Key);
                if (paid < 0m)
                {
                    throw new ArgumentOutOfRangeException(nameof(input), paid, $"Prepaid amount for charge '{charge.Key}' is negative; pass the credits consumed, zero or more.");
                }

                // Capped at the line, so real-time credits never turn a usage line into a refund, and at what is left of
                // the subtotal (a contract discount lowers it below the sum of the usage lines).
                var applied = Math.Min(Math.Min(_rounding.Round(paid, currency), chargeAmounts[i]), Math.Max(0m, subtotal.Amount - credited.Amount));
                if (applied > 0m)
                {
                    lines.Add(CreditLine($"{charge.Label}: paid with credits as used", charge, applied, currency));
                    credited += new Money(applied, currency);
                }
            }
        }

        if (input.CreditsAvailable is { } available)
        {
            if (available.Currency != currency)
            {
                throw new CurrencyMismatchException(currency, available.Currency);
            }

            if (available.Amount < 0m)
            {
                throw new ArgumentOutOfRangeException(nameof(input), available, "Credits available are negative; pass the remaining balance, zero or more.");
            }

            var usable = Math.Round(available.Amount, currency.MinorDigits, MidpointRounding.ToZero);
            var applied = Math.Min(usable, (subtotal - credited).Amount);
            if (applied > 0m)
            {
                lines.Add(CreditLine("Credits applied", null, applied, currency));
                credited += new Money(applied, currency);
            }
        }

        return new CalculatedInvoice(plan.Key, plan.Version, currency, input.Period, lines.ToImmutable(), subtotal, credited, subtotal - credited)
        {
            ContractId = terms?.ContractId,
        };
    }

    /// <summary>
    /// A contract's lines after the usage lines: one per fee cycle due, the discount on the usage lines, and the true-up
    /// of the (prorated) minimum commitment against everything above it.
    /// </summary>
    private void AddContractLines(InvoiceInput input, ContractTerms terms, decimal[] chargeAmounts, ImmutableArray<InvoiceLine>.Builder lines)
    {
        var currency = input.Plan.Currency;
        foreach (var cycle in input.ContractFees ?? [])
        {
            var fee = Preconditions.CheckNotNull(cycle).Fee;
            if (fee.Amount.Currency != currency)
            {
                throw new CurrencyMismatchException(currency, fee.Amount.Currency);
            }

            var description = string.Create(CultureInfo.InvariantCulture, $"{fee.Name} ({(fee.Timing == FeeTiming.InAdvance ? "in advance" : "in arrears")}, {cycle.CycleStart} to {cycle.CycleEnd})");
            lines.Add(new InvoiceLine(InvoiceLineKind.ContractFee, description, null, null, 1m, fee.Amount.Amount, PricingModel.NoTiers, fee.Amount.Amount, Round(fee.Amount.Amount, currency), null));
        }

        decimal usage = 0m;
        foreach (var amount in chargeAmounts)
        {
            usage += amount;
        }

        if (terms.DiscountPercent > 0m && usage > 0m)
        {
            var exact = -usage * terms.DiscountPercent / 100m;
            lines.Add(new InvoiceLine(InvoiceLineKind.Discount, string.Create(CultureInfo.InvariantCulture, $"Contract {terms.ContractId}: {terms.DiscountPercent}% off usage"), null, null, 1m, null, PricingModel.NoTiers, exact, Round(exact, currency), null));
        }

        if (terms.MinimumCommitment is { } minimum && minimum.Amount > 0m)
        {
            var covered = Coverage(input);
            var committed = covered is { } c ? minimum.Amount * c.Covered / c.Period : minimum.Amount;
            var committedRounded = _rounding.Round(committed, currency);
            decimal billed = 0m;
            foreach (var line in lines)
            {
                billed += line.Amount.Amount;
            }

            var shortfall = committedRounded - billed;
            if (shortfall > 0m)
            {
                var description = string.Create(CultureInfo.InvariantCulture, $"Contract {terms.ContractId}: minimum commitment {committedRounded} {currency.Code}, true-up");
                lines.Add(new InvoiceLine(InvoiceLineKind.MinimumCommitment, description, null, null, 1m, null, PricingModel.NoTiers, shortfall, new Money(shortfall, currency), covered is { } f ? f.Covered / f.Period : null));
            }
        }
    }

    private InvoiceLine BaseFeeLine(InvoiceInput input, Plan plan)
    {
        var covered = Coverage(input);
        var spans = plan.BaseFeePerSeat ? SeatSpans(input) : null;
        if (spans is { Count: > 1 })
        {
            return WeightedSeatsLine(input, plan, spans, covered);
        }

        decimal quantity = plan.BaseFeePerSeat ? spans is [var only] ? only.Seats : input.Seats : 1m;
        var full = plan.BaseFee * quantity;

        // Multiply before dividing so that e.g. 30.00 × 10 days / 30 days is exactly 10.
        var exact = input.InTrial ? 0m : covered is { } c ? full * c.Covered / c.Period : full;
        decimal? fraction = covered is { } f ? f.Covered / f.Period : null;
        var description = $"{plan.DisplayName ?? plan.Key} base fee";
        if (plan.BaseFeePerSeat)
        {
            description += string.Create(CultureInfo.InvariantCulture, $", {quantity} seats");
        }

        if (fraction is { } share)
        {
            description += string.Create(CultureInfo.InvariantCulture, $", prorated for {Percent(share)}% of the period");
        }

        if (input.InTrial)
        {
            description += " (trial: waived)";
        }

        return new InvoiceLine(InvoiceLineKind.BaseFee, description, null, null, quantity, plan.BaseFee, PricingModel.NoTiers, exact, Round(exact, plan.Currency), fraction);
    }

    /// <summary>
    /// A per-seat base fee whose seat count changed inside the covered range: each span's seats × fee × span / period,
    /// summed exactly and rounded once. The quantity is the time-weighted average seat count over the covered range.
    /// </summary>
    private InvoiceLine WeightedSeatsLine(InvoiceInput input, Plan plan, List<(int Seats, long Nanoseconds)> spans, (decimal Covered, decimal Period)? covered)
    {
        decimal period = input.Period.Duration.ToInt64Nanoseconds();
        decimal seatNanoseconds = 0m;
        decimal coveredNanoseconds = 0m;
        var description = new System.Text.StringBuilder($"{plan.DisplayName ?? plan.Key} base fee");
        foreach (var (seats, nanoseconds) in spans)
        {
            seatNanoseconds += seats * (decimal)nanoseconds;
            coveredNanoseconds += nanoseconds;
            description.Append(string.Create(CultureInfo.InvariantCulture, $", {seats} seats for {Percent(nanoseconds / period)}% of the period"));
        }

        if (input.InTrial)
        {
            description.Append(" (trial: waived)");
        }

        // Multiply before dividing: 10.00 × (2 × 15 days + 5 × 15 days) / 30 days is exactly 35.
        var exact = input.InTrial ? 0m : plan.BaseFee * seatNanoseconds / period;
        decimal? fraction = covered is { } f ? f.Covered / f.Period : null;
        var quantity = seatNanoseconds / coveredNanoseconds;
        return new InvoiceLine(InvoiceLineKind.BaseFee, description.ToString(), null, null, quantity, plan.BaseFee, PricingModel.NoTiers, exact, Round(exact, plan.Currency), fraction);
    }

    /// <summary>
    /// The seat counts held over the covered range, in order, with their lengths (adjacent equal counts merged, empty
    /// spans dropped); null when <see cref="InvoiceInput.SeatChanges"/> is empty. One span when the count did not change
    /// inside the range.
    /// </summary>
    private static List<(int Seats, long Nanoseconds)>? SeatSpans(InvoiceInput input)
    {
        if (input.SeatChanges is not { Count: > 0 } changes)
        {
            return null;
        }

        foreach (var change in changes)
        {
            if (change.PreviousSeats < 0 || change.Seats < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(input), change, "A seat change has a negative seat count; pass seat counts of zero or more.");
            }
        }

        var from = input.CoveredFrom ?? input.Period.Start;
        var to = input.CoveredTo ?? input.Period.End;
        var spans = new List<(int Seats, long Nanoseconds)>();
        var ordered = changes.OrderBy(c => c.At).ToList();
        int seats = ordered[0].PreviousSeats;
        var cursor = from;
        foreach (var change in ordered)
        {
            if (change.At >= to)
            {
                break;
            }

            if (change.At > cursor)
            {
                AddSpan(spans, seats, (change.At - cursor).ToInt64Nanoseconds());
                cursor = change.At;
            }

            seats = change.Seats;
        }

        AddSpan(spans, seats, (to - cursor).ToInt64Nanoseconds());
        return spans;
    }

    private static void AddSpan(List<(int Seats, long Nanoseconds)> spans, int seats, long nanoseconds)
    {
        if (spans.Count > 0 && spans[^1].Seats == seats)
        {
            spans[^1] = (seats, spans[^1].Nanoseconds + nanoseconds);
        }
        else if (nanoseconds > 0 || spans.Count == 0)
        {
            spans.Add((seats, nanoseconds));
        }
    }

    /// <summary>A share as a percentage with up to 2 decimals and no trailing zeros (50, 33.33).</summary>
    private static string Percent(decimal share) => Math.Round(share * 100m, 2, MidpointRounding.AwayFromZero).ToString("0.##", CultureInfo.InvariantCulture);

    private InvoiceLine UsageLine(Charge charge, decimal quantity, Currency currency, IReadOnlyList<string?>? groupValues)
    {
        if (quantity < 0m)
        {
            throw new ArgumentOutOfRangeException(nameof(quantity), quantity, $"Usage for charge '{charge.Key}' is {quantity}; quantities must be zero or positive.");
        }

        var price = charge.Pricing.Price(quantity);
        decimal? unitPrice = charge.Pricing switch
        {
            PerUnitPricing perUnit => perUnit.UnitPrice,
            VolumePricing volume => volume.Tiers[volume.TierIndexFor(price.ChargedQuantity)].UnitPrice,
            _ => null,
        };
        var label = charge.Label;
        Dictionary<string, string?>? group = null;
        if (groupValues is not null)
        {
            group = new Dictionary<string, string?>(charge.GroupBy.Count, StringComparer.Ordinal);
            var parts = new string[charge.GroupBy.Count];
            for (int g = 0; g < charge.GroupBy.Count; g++)
            {
                group[charge.GroupBy[g]] = groupValues[g];
                parts[g] = $"{charge.GroupBy[g]}: {groupValues[g] ?? "(no value)"}";
            }

            label = $"{label} [{string.Join(", ", parts)}]";
        }

        var description = price.IncludedUnits > 0m ? string.Create(CultureInfo.InvariantCulture, $"{label} ({price.IncludedUnits} included)") : label;
        return new InvoiceLine(InvoiceLineKind.Usage, description, charge.Key, charge.MeterKey, quantity, unitPrice, price.Tiers, price.Amount, Round(price.Amount, currency), null)
        {
            Group = group,
        };
    }

    private static List<ChargeGroupUsage> SortedGroups(Charge charge, IReadOnlyList<ChargeGroupUsage> groups)
    {
        var sorted = new List<ChargeGroupUsage>(groups.Count);
        foreach (var group in groups)
        {
            Preconditions.CheckNotNull(group);
            if (group.GroupValues is null || group.GroupValues.Count != charge.GroupBy.Count)
            {
                throw new ArgumentException($"A group of charge '{charge.Key}' has {group.GroupValues?.Count ?? 0} values but the charge groups by {charge.GroupBy.Count} properties ({string.Join(", ", charge.GroupBy)}); pass one value (or null for no value) per property.", nameof(groups));
            }

            sorted.Add(group);
        }

        sorted.Sort((a, b) => ChargeGroupUsage.Order.Compare(a.GroupValues, b.GroupValues));
        for (int i = 1; i < sorted.Count; i++)
        {
            if (ChargeGroupUsage.Order.Compare(sorted[i - 1].GroupValues, sorted[i].GroupValues) == 0)
            {
                throw new ArgumentException($"Charge '{charge.Key}' has the group ({string.Join(", ", sorted[i].GroupValues.Select(v => v ?? "no value"))}) twice; pass each group once with its total quantity.", nameof(groups));
            }
        }

        return sorted;
    }

    private static void CheckGroupedCharges(Plan plan, IReadOnlyDictionary<string, IReadOnlyList<ChargeGroupUsage>> byGroup)
    {
        foreach (var key in byGroup.Keys)
        {
            if (plan.FindCharge(key) is not { } charge || charge.GroupBy.Count == 0)
            {
                var grouped = string.Join(", ", plan.Charges.Where(c => c.GroupBy.Count > 0).Select(c => $"'{c.Key}'"));
                throw new MeteringException($"Usage by group is given for charge '{key}', which is not a grouped charge of plan '{plan.Key}' v{plan.Version} (its grouped charges: {(grouped.Length == 0 ? "none" : grouped)}); pass ungrouped usage in UsageByCharge.");
            }
        }
    }

    private static InvoiceLine CreditLine(string description, Charge? charge, decimal applied, Currency currency) =>
        new(InvoiceLineKind.Credit, description, charge?.Key, charge?.MeterKey, 1m, null, PricingModel.NoTiers, -applied, new Money(-applied, currency), null);

    /// <summary>Covered and total nanoseconds of the period, or null when the whole period is covered.</summary>
    private static (decimal Covered, decimal Period)? Coverage(InvoiceInput input)
    {
        var period = input.Period;
        var from = input.CoveredFrom ?? period.Start;
        var to = input.CoveredTo ?? period.End;
        if (from < period.Start || to > period.End || from > to)
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"The covered range [{from}, {to}) is not inside the period {period}; pass CoveredFrom <= CoveredTo within [Start, End], or null for the period's bounds.");
        }

        if (from == period.Start && to == period.End)
        {
            return null;
        }

        return ((to - from).ToInt64Nanoseconds(), period.Duration.ToInt64Nanoseconds());
    }

    private static void CheckKnownCharges(Plan plan, IReadOnlyDictionary<string, decimal> amounts, string what)
    {
        foreach (var key in amounts.Keys)
        {
            if (plan.FindCharge(key) is null)
            {
                var known = plan.Charges.Count == 0 ? "none" : string.Join(", ", plan.Charges.Select(c => $"'{c.Key}'"));
                throw new MeteringException($"{what} is given for charge '{key}', which plan '{plan.Key}' v{plan.Version} does not have (its charges: {known}); key usage by Charge.Key.");
            }
        }
    }

    private Money Round(decimal exact, Currency currency) => new(_rounding.Round(exact, currency), currency);
}
