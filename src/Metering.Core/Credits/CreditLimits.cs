using System.Globalization;

namespace Metering;

/// <summary>Checks credit amounts against <see cref="MeteringLimits.MaxCreditAmount"/>.</summary>
internal static class CreditLimits
{
    public static void CheckAmount(decimal amount, string what)
    {
        if (amount > MeteringLimits.MaxCreditAmount)
        {
            throw new AmountOutOfRangeException(what, amount, MeteringLimits.MaxCreditAmount, string.Create(
                CultureInfo.InvariantCulture,
                $"The amount {amount} of {what} is above the limit of {MeteringLimits.MaxCreditAmount}; grant a smaller amount (or use a larger credit unit)."));
        }
    }

    public static void CheckTotal(decimal grantedSoFar, decimal adding, string customerId)
    {
        if (grantedSoFar > MeteringLimits.MaxCreditAmount - adding)
        {
            throw new AmountOutOfRangeException($"credits of customer '{customerId}'", grantedSoFar + adding, MeteringLimits.MaxCreditAmount, string.Create(
                CultureInfo.InvariantCulture,
                $"Customer '{customerId}' has been granted {grantedSoFar} in this unit; adding {adding} would pass the limit of {MeteringLimits.MaxCreditAmount} granted per customer and unit. Grant less, or use a larger credit unit."));
        }
    }
}
