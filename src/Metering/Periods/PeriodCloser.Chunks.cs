using System.Diagnostics;
using Metering.Diagnostics;
using Metering.Storage;

namespace Metering;

// Closing a chunk of due subscriptions with a few store calls: one read of the subscriptions, one of their customers,
// one IMeteringStore.ClosePeriodsAsync. When a chunk-wide call fails, the chunk falls back to closing each subscription
// on its own, so one bad row can never fail the others.
internal sealed partial class PeriodCloser
{
    private async ValueTask<IReadOnlyList<(string SubscriptionId, CloseOutcome Outcome)>> CloseChunkAsync(string[] chunk, Instant dueBy, Instant now, CancellationToken cancellationToken)
    {
        if (chunk.Length == 1)
        {
            return [(chunk[0], await CloseOneAsync(chunk[0], dueBy, now, cancellationToken).ConfigureAwait(false))];
        }

        var outcomes = new List<(string, CloseOutcome)>(chunk.Length);
        var prepared = new List<(Subscription Subscription, PeriodCloseItem Item, Activity? Activity)>(chunk.Length);
        try
        {
            var found = (await store.FindSubscriptionsAsync(chunk, cancellationToken).ConfigureAwait(false))
                .ToDictionary(s => s.SubscriptionId, StringComparer.Ordinal);
            var due = new List<Subscription>(chunk.Length);
            foreach (var subscriptionId in chunk)
            {
                if (IsDue(found.GetValueOrDefault(subscriptionId), dueBy))
                {
                    due.Add(found[subscriptionId]);
                }
                else
                {
                    outcomes.Add((subscriptionId, default));
                }
            }

            var customerIds = due.Select(s => s.CustomerId).Distinct(StringComparer.Ordinal).ToArray();
            var customers = (await store.FindCustomersAsync(customerIds, cancellationToken).ConfigureAwait(false))
                .ToDictionary(c => c.CustomerId, StringComparer.Ordinal);
            var parent = Activity.Current;
            foreach (var subscription in due)
            {
                var activity = StartCloseActivity(subscription.SubscriptionId);
                Activity.Current = parent;
                try
                {
                    var plan = await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
                    prepared.Add((subscription, CloseItem(subscription, plan, customers.GetValueOrDefault(subscription.CustomerId), now), activity));
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    outcomes.Add((subscription.SubscriptionId, Failed(subscription.SubscriptionId, subscription.CurrentPeriod.Start, exception, now, activity)));
                    activity?.Dispose();
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A chunk-wide read failed (e.g. one corrupt row): close each subscription on its own.
            PeriodCloseLog.ChunkFallback(_logger, exception, chunk.Length);
            DisposeAll(prepared);
            return await CloseEachAsync(chunk, dueBy, now, cancellationToken).ConfigureAwait(false);
        }

        if (prepared.Count == 0)
        {
            return outcomes;
        }

        IReadOnlyList<PeriodCloseAttempt> attempts;
        try
        {
            attempts = await store.ClosePeriodsAsync([.. prepared.Select(p => p.Item)], cancellationToken).ConfigureAwait(false);
            if (attempts.Count != prepared.Count)
            {
                throw new InvalidOperationException($"The store answered {attempts.Count} of {prepared.Count} period closes.");
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The batch failed as a whole (nothing of it is stored): each of its closes runs again on its own.
            PeriodCloseLog.ChunkFallback(_logger, exception, prepared.Count);
            DisposeAll(prepared);
            outcomes.AddRange(await CloseEachAsync([.. prepared.Select(p => p.Subscription.SubscriptionId)], dueBy, now, cancellationToken).ConfigureAwait(false));
            return outcomes;
        }

        for (int i = 0; i < prepared.Count; i++)
        {
            var (subscription, item, activity) = prepared[i];
            using (activity)
            {
                var attempt = attempts[i];
                outcomes.Add((subscription.SubscriptionId, attempt.Result is { } result
                    ? Completed(subscription, result, activity)
                    : Failed(subscription.SubscriptionId, item.ExpectedPeriodStart, attempt.Failure ?? new InvalidOperationException("The store returned neither a result nor a failure."), now, activity)));
            }
        }

        return outcomes;
    }

    private async ValueTask<IReadOnlyList<(string SubscriptionId, CloseOutcome Outcome)>> CloseEachAsync(string[] subscriptionIds, Instant dueBy, Instant now, CancellationToken cancellationToken)
    {
        var outcomes = new List<(string, CloseOutcome)>(subscriptionIds.Length);
        foreach (var subscriptionId in subscriptionIds)
        {
            outcomes.Add((subscriptionId, await CloseOneAsync(subscriptionId, dueBy, now, cancellationToken).ConfigureAwait(false)));
        }

        return outcomes;
    }

    private static void DisposeAll(List<(Subscription Subscription, PeriodCloseItem Item, Activity? Activity)> prepared)
    {
        foreach (var (_, _, activity) in prepared)
        {
            activity?.Dispose();
        }
    }
}
