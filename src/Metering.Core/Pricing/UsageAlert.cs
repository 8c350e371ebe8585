namespace Metering;

/// <summary>What a usage alert watches.</summary>
public enum UsageAlertKind
{
    /// <summary>The charge's quantity in the period (e.g. 80 of 100 included calls).</summary>
    Quantity,

    /// <summary>The charge's running amount in the period, in the plan currency, before rounding and credits.</summary>
    Amount,
}

/// <summary>
/// A threshold on a charge's usage in a period: when a record takes the charge's quantity or running amount from
/// below the threshold to at or above it, a <see cref="BillingEventType.UsageThresholdReached"/> event is stored in
/// the same transaction as the record (so once per period for usage that only grows).
/// </summary>
/// <param name="Kind">What it watches.</param>
/// <param name="Threshold">The threshold (above zero).</param>
public readonly record struct UsageAlert(UsageAlertKind Kind, decimal Threshold)
{
    /// <summary>An alert when the charge's quantity in the period reaches <paramref name="quantity"/>.</summary>
    public static UsageAlert AtQuantity(decimal quantity) => new(UsageAlertKind.Quantity, quantity);

    /// <summary>An alert when the charge's running amount in the period reaches <paramref name="amount"/>.</summary>
    public static UsageAlert AtAmount(decimal amount) => new(UsageAlertKind.Amount, amount);
}
