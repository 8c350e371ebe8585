namespace Metering;

/// <summary>Credit wallets: the subscriptions that hold a customer's credit rate card (see <see cref="ICreditService.AttachRateCardAsync"/>).</summary>
internal static class CreditWallets
{
    /// <summary>The deterministic subscription id of <paramref name="customerId"/>'s wallet on rate card <paramref name="rateCardKey"/>.</summary>
    public static string IdFor(string customerId, string rateCardKey) => customerId + "~" + rateCardKey;
}
