namespace Metering.Storage;

// A subscription's contract terms as stored inside its document (ContractDoc).
public static partial class StoreDocuments
{
    private static ContractDoc Of(ContractTerms t) => new(
        t.ContractId,
        Iso(t.StartsAt),
        Iso(t.EndsAt),
        [.. t.ChargeOverrides.Select(o => new ChargeOverrideDoc(o.ChargeKey, Of(o.Pricing)))],
        Text(t.DiscountPercent),
        [.. t.Fees.Select(f => new ContractFeeDoc(f.Name, Of(f.Amount), f.Interval.ToString(), f.Timing))],
        t.MinimumCommitment is { } m ? Of(m) : null);

    private static ContractTerms ToContract(ContractDoc d) => new()
    {
        ContractId = d.ContractId,
        StartsAt = ParseInstant(d.StartsAt),
        EndsAt = ParseNullableInstant(d.EndsAt),
        ChargeOverrides = [.. d.ChargeOverrides.Select(o => new ChargeOverride(o.ChargeKey, ToPricing(o.Pricing)))],
        DiscountPercent = Decimal(d.DiscountPercent),
        Fees = [.. d.Fees.Select(f => new ContractFee(f.Name, ToMoney(f.Amount), BillingInterval.Parse(f.Interval), f.Timing))],
        MinimumCommitment = d.MinimumCommitment is { } m ? ToMoney(m) : null,
    };
}
