namespace Metering;

/// <summary>
/// A customer's credits in one currency or unit at one instant, summed over all grants.
/// <c>Granted − Consumed − Expired − Voided + Adjusted = Remaining</c>.
/// </summary>
/// <param name="Unit">The currency or credit unit.</param>
/// <param name="Granted">Sum of grants effective by the instant.</param>
/// <param name="Consumed">Sum of consumptions up to the instant.</param>
/// <param name="Expired">Sum of expirations up to the instant, plus the remainder of every grant that had expired by the
/// instant but whose Expiration transaction has not been written yet (a balance never counts an expired grant as usable).</param>
/// <param name="Voided">Sum of voids up to the instant.</param>
/// <param name="Adjusted">Net sum of signed adjustments up to the instant.</param>
/// <param name="Remaining">What can still be used at the instant.</param>
public sealed record CreditBalance(Currency Unit, decimal Granted, decimal Consumed, decimal Expired, decimal Voided, decimal Adjusted, decimal Remaining)
{
    /// <summary><see cref="Remaining"/> as <see cref="Money"/>.</summary>
    public Money RemainingMoney => new(Remaining, Unit);
}
