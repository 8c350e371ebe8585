namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>
    /// How many period closes the period closer hands to <see cref="ClosePeriodsAsync"/> at once, at most: 1 (the
    /// default) for a store that writes one close per transaction (the closer then keeps several single closes in flight,
    /// which a store may group into one commit); more for a store whose <see cref="ClosePeriodsAsync"/> writes a whole
    /// batch in one transaction (PostgreSQL: 100).
    /// </summary>
    int MaxClosesPerCall => 1;

    /// <summary>
    /// The stored subscriptions among <paramref name="subscriptionIds"/> (missing ids are left out), in no particular order:
    /// what the period closer reads before a batch of closes. The default calls <see cref="FindSubscriptionAsync"/> for each.
    /// </summary>
    /// <param name="subscriptionIds">The ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscriptions found.</returns>
    ValueTask<IReadOnlyList<Subscription>> FindSubscriptionsAsync(IReadOnlyList<string> subscriptionIds, CancellationToken cancellationToken) =>
        FindEachAsync(subscriptionIds, FindSubscriptionAsync, cancellationToken);

    /// <summary>
    /// The stored customers among <paramref name="customerIds"/> (missing ids are left out), in no particular order. The
    /// default calls <see cref="FindCustomerAsync"/> for each.
    /// </summary>
    /// <param name="customerIds">The ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The customers found.</returns>
    ValueTask<IReadOnlyList<Customer>> FindCustomersAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken) =>
        FindEachAsync(customerIds, FindCustomerAsync, cancellationToken);

    private static async ValueTask<IReadOnlyList<T>> FindEachAsync<T>(IReadOnlyList<string> ids, Func<string, CancellationToken, ValueTask<T?>> find, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new List<T>(ids.Count);
        foreach (var id in ids)
        {
            if (await find(id, cancellationToken).ConfigureAwait(false) is { } item)
            {
                found.Add(item);
            }
        }

        return found;
    }

    /// <summary>
    /// Closes several subscription periods, each with exactly the checks, decision and guarantees of
    /// <see cref="ClosePeriodAsync"/> (exactly once, gap-free numbers, in list order unless callers compete for the
    /// store). A store may write them in one transaction (one commit and one block of invoice numbers for all of them),
    /// with every close's decision seeing the credit ledger as the closes before it in the list left it. One close's failure (its
    /// decision throws, its row is corrupt) is that close's <see cref="PeriodCloseAttempt.Failure"/>: nothing of it is
    /// stored and it never stops the others. The default closes them one after another with
    /// <see cref="ClosePeriodAsync"/>.
    /// </summary>
    /// <param name="closes">The periods to close; a subscription appears at most once.</param>
    /// <param name="cancellationToken">Cancels the call; closes already committed stay committed.</param>
    /// <returns>One attempt per entry of <paramref name="closes"/>, in the same order.</returns>
    async ValueTask<IReadOnlyList<PeriodCloseAttempt>> ClosePeriodsAsync(IReadOnlyList<PeriodCloseItem> closes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(closes);
        var attempts = new PeriodCloseAttempt[closes.Count];
        for (int i = 0; i < closes.Count; i++)
        {
            attempts[i] = await PeriodCloseAttempt.RunAsync(this, closes[i], cancellationToken).ConfigureAwait(false);
        }

        return attempts;
    }
}

/// <summary>One period to close with <see cref="IMeteringStore.ClosePeriodsAsync"/>: the arguments of <see cref="IMeteringStore.ClosePeriodAsync"/>.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="ExpectedPeriodStart">The start of the period the caller read as current.</param>
/// <param name="Plan">The plan version the caller read the subscription on.</param>
/// <param name="Decide">The pure close decision.</param>
public sealed record PeriodCloseItem(string SubscriptionId, Instant ExpectedPeriodStart, Plan Plan, Func<PeriodCloseContext, PeriodCloseDecision> Decide);

/// <summary>What one close of <see cref="IMeteringStore.ClosePeriodsAsync"/> came to: a result, or the failure that left it unstored.</summary>
/// <param name="Result">The close's result (closed, already closed, not found), or null when it failed.</param>
/// <param name="Failure">Why the close failed (nothing of it was stored), or null.</param>
public sealed record PeriodCloseAttempt(PeriodCloseResult? Result, Exception? Failure)
{
    /// <summary>
    /// Runs one close with <see cref="IMeteringStore.ClosePeriodAsync"/> and captures its failure; a cancellation of
    /// <paramref name="cancellationToken"/> propagates. For stores whose batch falls back to single closes.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="close">The close.</param>
    /// <param name="cancellationToken">Cancels the close.</param>
    /// <returns>The attempt.</returns>
    public static async ValueTask<PeriodCloseAttempt> RunAsync(IMeteringStore store, PeriodCloseItem close, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(close);
        try
        {
            var result = await store.ClosePeriodAsync(close.SubscriptionId, close.ExpectedPeriodStart, close.Plan, close.Decide, cancellationToken).ConfigureAwait(false);
            return new PeriodCloseAttempt(result, null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new PeriodCloseAttempt(null, exception);
        }
    }
}
