using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Metering.Storage;

namespace Metering;

/// <summary>
/// Per-customer snapshots of subscriptions for attributing usage without a store read per record.
/// A stale entry is safe: the store re-checks every record against the stored subscription, and the
/// recorder refreshes the entry and retries once when the store says the subscription moved on.
/// </summary>
internal sealed class SubscriptionCache(IMeteringStore store)
{
    private readonly ConcurrentDictionary<string, Subscription[]> _byCustomer = new(StringComparer.Ordinal);

    /// <summary>The customer's subscriptions, or null when the customer does not exist.</summary>
    public async ValueTask<Subscription[]?> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        if (_byCustomer.TryGetValue(customerId, out var cached))
        {
            return cached;
        }

        return await RefreshAsync(customerId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The customer's subscriptions when they are cached; false when they must be read with <see cref="GetAsync"/>.</summary>
    public bool TryGetCached(string customerId, [NotNullWhen(true)] out Subscription[]? subscriptions) =>
        _byCustomer.TryGetValue(customerId, out subscriptions);

    public async ValueTask<Subscription[]?> RefreshAsync(string customerId, CancellationToken cancellationToken)
    {
        var subscriptions = await store.ListSubscriptionsAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (subscriptions.Count == 0 && await store.FindCustomerAsync(customerId, cancellationToken).ConfigureAwait(false) is null)
        {
            _byCustomer.TryRemove(customerId, out _);
            return null;
        }

        var snapshot = subscriptions.ToArray();
        _byCustomer[customerId] = snapshot;
        return snapshot;
    }

    public void Invalidate(string customerId) => _byCustomer.TryRemove(customerId, out _);
}
