using Metering.Storage;

namespace Metering;

/// <summary>Implements <see cref="IUsageReconciler"/>.</summary>
internal sealed class UsageReconciler(IMeteringStore store, MeteringCatalog catalog) : IUsageReconciler
{
    public async ValueTask<ReconciliationReport> ReconcileAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(subscriptionId, "subscription id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var subscription = await store.FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");
        var invoice = await LiveInvoices.FindAsync(store, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
        var plan = invoice is not null
            ? await catalog.GetPlanAsync(invoice.PlanKey, invoice.PlanVersion, cancellationToken).ConfigureAwait(false)
            : await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);

        var recomputed = new Dictionary<AggregateKey, UsageAggregate>();
        long count = 0;
        await foreach (var record in store.ReadUsageRecordsAsync(subscriptionId, periodStart, cancellationToken).ConfigureAwait(false))
        {
            count++;
            var meter = await catalog.FindMeterAsync(record.MeterKey, cancellationToken).ConfigureAwait(false);
            if (meter is null || catalog.TargetsFor(plan, meter, record.Properties) is not { } targets)
            {
                continue;
            }

            foreach (var target in targets)
            {
                var current = recomputed.TryGetValue(target.Key, out var a) ? a : UsageAggregate.Empty(target.Aggregation);
                recomputed[target.Key] = UsageAppendRules.Apply(current, target, record);
            }
        }

        var stored = await store.GetAggregatesAsync(subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
        var differences = new List<ReconciliationDifference>();
        foreach (var aggregate in stored)
        {
            if (aggregate.Key.Kind == AggregateKeyKind.Prepaid)
            {
                continue;
            }

            var expected = recomputed.TryGetValue(aggregate.Key, out var r) ? r.Quantity : 0m;
            if (expected != aggregate.Aggregate.Quantity)
            {
                differences.Add(new ReconciliationDifference(aggregate.Key.Value, aggregate.Aggregate.Quantity, expected));
            }

            recomputed.Remove(aggregate.Key);
        }

        foreach (var (key, missing) in recomputed)
        {
            differences.Add(new ReconciliationDifference(key.Value, 0m, missing.Quantity));
        }

        return new ReconciliationReport(subscriptionId, periodStart, count, differences);
    }
}
