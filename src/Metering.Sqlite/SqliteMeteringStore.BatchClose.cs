using Metering.Sqlite.Storage;
using Metering.Storage;

namespace Metering.Sqlite;

// Chunks of period closes: the reads on one read connection, the closes queued to the writer together (each its own
// savepoint, so one close's failure is its own), which commits them in as few transactions as its queue allows.
public sealed partial class SqliteMeteringStore
{
    /// <inheritdoc/>
    /// <remarks>100: a chunk's closes are queued to the writer at once and share its commits.</remarks>
    public int MaxClosesPerCall => 100;

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Subscription>> FindSubscriptionsAsync(IReadOnlyList<string> subscriptionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionIds);
        return ReadAsync<IReadOnlyList<Subscription>>(
            c =>
            {
                var found = new List<Subscription>(subscriptionIds.Count);
                foreach (var id in subscriptionIds)
                {
                    if (ReadSubscriptionCached(c, id) is { } subscription)
                    {
                        found.Add(subscription);
                    }
                }

                return found;
            },
            cancellationToken,
            snapshot: true);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Customer>> FindCustomersAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        return ReadAsync<IReadOnlyList<Customer>>(
            c =>
            {
                var found = new List<Customer>(customerIds.Count);
                foreach (var id in customerIds)
                {
                    if (StoreQueries.LoadCustomer(c, id) is { } customer)
                    {
                        found.Add(customer);
                    }
                }

                return found;
            },
            cancellationToken,
            snapshot: true);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Every close is queued to the writer before the first is awaited, in list order (the writer takes them in that
    /// order, so invoice numbers follow the list); each runs in its own savepoint, as a single close does.
    /// </remarks>
    public async ValueTask<IReadOnlyList<PeriodCloseAttempt>> ClosePeriodsAsync(IReadOnlyList<PeriodCloseItem> closes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(closes);
        var pending = new Task<PeriodCloseAttempt>[closes.Count];
        for (int i = 0; i < closes.Count; i++)
        {
            pending[i] = PeriodCloseAttempt.RunAsync(this, closes[i], cancellationToken).AsTask();
        }

        return await Task.WhenAll(pending).ConfigureAwait(false);
    }
}
