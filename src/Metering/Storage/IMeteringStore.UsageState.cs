namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>
    /// What a current-usage read (<see cref="IUsageQuery.GetCurrentAsync"/>, <see cref="IInvoiceService.PreviewAsync"/>)
    /// needs, read together: the subscription, the aggregates of its stored current period and its customer's credit
    /// ledger. Plain reads, no locks; a store may answer in one round trip. The default makes the three calls
    /// <see cref="FindSubscriptionAsync"/>, <see cref="GetAggregatesAsync"/> and <see cref="LoadLedgerAsync"/>.
    /// </summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The state, or null when the subscription is not stored.</returns>
    async ValueTask<CurrentUsageState?> ReadCurrentUsageStateAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        if (await FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false) is not { } subscription)
        {
            return null;
        }

        var aggregates = await GetAggregatesAsync(subscriptionId, subscription.CurrentPeriod.Start, cancellationToken).ConfigureAwait(false);
        var ledger = await LoadLedgerAsync(subscription.CustomerId, cancellationToken).ConfigureAwait(false);
        return new CurrentUsageState(subscription, aggregates, ledger);
    }
}

/// <summary>What <see cref="IMeteringStore.ReadCurrentUsageStateAsync"/> read.</summary>
/// <param name="Subscription">The subscription as stored.</param>
/// <param name="Aggregates">The aggregates of the subscription's stored current period (<see cref="Subscription.CurrentPeriod"/>).</param>
/// <param name="Ledger">The customer's credit ledger.</param>
public sealed record CurrentUsageState(Subscription Subscription, IReadOnlyList<StoredAggregate> Aggregates, CreditLedger Ledger);
