using System.Diagnostics.CodeAnalysis;
using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>
/// Per-customer snapshots of subscriptions for attributing usage without a store read per record.
/// A stale entry is safe: the store re-checks every record against the stored subscription, and the
/// recorder refreshes the entry and retries once when the store says the subscription moved on. At most
/// <see cref="MeteringOptions.SubscriptionCacheCapacity"/> customers are kept, the least recently used dropped first.
/// </summary>
internal sealed class SubscriptionCache(IMeteringStore store, IOptions<MeteringOptions> options)
{
    private readonly BoundedCache<string, Subscription[]> _byCustomer = new(options.Value.SubscriptionCacheCapacity, StringComparer.Ordinal);

    /// <summary>How many customers are kept now (tests).</summary>
    public int Count => _byCustomer.Count;

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
            _byCustomer.Remove(customerId);
            return null;
        }

        var snapshot = subscriptions.ToArray();
        _byCustomer.Set(customerId, snapshot);
        return snapshot;
    }

    public void Invalidate(string customerId) => _byCustomer.Remove(customerId);
}
