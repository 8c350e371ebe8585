using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Implements <see cref="IPeriodCloser"/>.</summary>
internal sealed class PeriodCloser(
    IMeteringStore store,
    MeteringCatalog catalog,
    BillingEngine engine,
    SubscriptionCache cache,
    ICreditService credits,
    IClock clock,
    IOptions<MeteringOptions> options) : IPeriodCloser
{
    public async ValueTask<PeriodCloseReport> CloseDueAsync(CancellationToken cancellationToken = default)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var dueBy = now - options.Value.GracePeriod;
        var invoices = new List<Invoice>();
        int alreadyClosed = 0;

        // Credits that expired before a period's end must not be applied to its invoice.
        int expired = await credits.ExpireDueAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var due = await store.FindSubscriptionsDueAsync(dueBy, options.Value.CloseBatchSize, cancellationToken).ConfigureAwait(false);
            int closedThisPass = 0;

            // Several closes in flight let a store share one commit among them (SQLite's writer group-commits);
            // each close is still its own atomic operation, so the result is the same as closing one by one.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.CloseConcurrency, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(due, parallel, async (subscriptionId, ct) =>
            {
                var subscription = await store.FindSubscriptionAsync(subscriptionId, ct).ConfigureAwait(false);
                if (subscription is null || subscription.EndedAt is not null || subscription.CurrentPeriod.End > dueBy)
                {
                    Interlocked.Increment(ref alreadyClosed);
                    return;
                }

                var period = subscription.CurrentPeriod;
                var request = new CloseRequest(CloseKind.PeriodEnd, period.End);
                var result = await store.ClosePeriodAsync(subscriptionId, period.Start, ctx => engine.Decide(ctx, request, now), ct).ConfigureAwait(false);
                if (result.Status == PeriodCloseStatus.Closed)
                {
                    lock (invoices)
                    {
                        invoices.Add(result.Invoice!);
                    }

                    cache.Invalidate(subscription.CustomerId);
                    Interlocked.Increment(ref closedThisPass);
                }
                else
                {
                    Interlocked.Increment(ref alreadyClosed);
                }
            }).ConfigureAwait(false);

            // A subscription several periods behind shows up again until it is current.
            if (due.Count == 0 || closedThisPass == 0)
            {
                break;
            }
        }

        invoices.Sort((a, b) => a.Number.CompareTo(b.Number));
        return new PeriodCloseReport(invoices, alreadyClosed, expired);
    }
}
