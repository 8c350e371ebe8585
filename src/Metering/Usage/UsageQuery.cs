using Metering.Storage;

namespace Metering;

/// <summary>Implements <see cref="IUsageQuery"/>.</summary>
internal sealed class UsageQuery(IMeteringStore store, MeteringCatalog catalog, BillingEngine engine, IClock clock) : IUsageQuery
{
    public async ValueTask<CurrentUsage> GetCurrentAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(subscriptionId, "subscription id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var state = await store.ReadCurrentUsageStateAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        var subscription = RequireActive(state?.Subscription, subscriptionId);
        var plan = await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var period = OpenPeriodAt(subscription, now);

        // A period past its end whose close has not run yet: the open period is a later one than the stored current.
        var aggregates = period.Start == subscription.CurrentPeriod.Start
            ? state!.Aggregates
            : await store.GetAggregatesAsync(subscriptionId, period.Start, cancellationToken).ConfigureAwait(false);
        var ledger = state!.Ledger;
        var estimate = engine.Calculate(subscription, plan, period, period.End, aggregates, BillingEngine.CreditsAvailable(ledger, plan.Currency, now));
        return new CurrentUsage(subscriptionId, period, Summaries(subscriptionId, plan, period, aggregates, UsageSummaryStatus.Current), estimate)
        {
            Groups = plan.HasGroupedCharges ? Groups(plan, aggregates) : [],
        };
    }

    public async ValueTask<Page<PeriodUsage>> GetHistoryAsync(string subscriptionId, string? cursor = null, int limit = 12, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(subscriptionId, "subscription id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var subscription = await store.FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");
        var page = await store.ListUsagePeriodsAsync(subscriptionId, cursor, limit, cancellationToken).ConfigureAwait(false);
        var starts = page.Items.ToList();
        if (cursor is null && subscription.EndedAt is null && !starts.Contains(subscription.CurrentPeriod.Start))
        {
            // The open period is always listed, even before its first record.
            starts.Insert(0, subscription.CurrentPeriod.Start);
        }

        var items = new List<PeriodUsage>(starts.Count);
        foreach (var start in starts.OrderByDescending(s => s))
        {
            var aggregates = await store.GetAggregatesAsync(subscriptionId, start, cancellationToken).ConfigureAwait(false);
            var invoice = await LiveInvoices.FindAsync(store, subscriptionId, start, cancellationToken).ConfigureAwait(false);
            if (invoice is not null)
            {
                var plan = await catalog.GetPlanAsync(invoice.PlanKey, invoice.PlanVersion, cancellationToken).ConfigureAwait(false);
                var status = subscription.EndedAt is not null && invoice.Period.End >= subscription.EndedAt ? UsageSummaryStatus.Final : UsageSummaryStatus.Recorded;
                items.Add(new PeriodUsage(subscriptionId, invoice.Period, status, Summaries(subscriptionId, plan, invoice.Period, aggregates, status), invoice.InvoiceId)
                {
                    Groups = plan.HasGroupedCharges ? Groups(plan, aggregates) : [],
                });
            }
            else
            {
                var plan = await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
                // The open period may be the partial one a plan change started, or the transition after a new time zone.
                var period = start >= subscription.CurrentPeriod.Start ? subscription.OpenPeriodContaining(start) : subscription.Schedule.PeriodContaining(start);
                // A credit wallet's periods close without an invoice: a closed one is Recorded (Final once the wallet ended).
                var status = !plan.IsCreditRateCard ? UsageSummaryStatus.Current
                    : subscription.EndedAt is not null && start >= subscription.CurrentPeriod.Start ? UsageSummaryStatus.Final
                    : start < subscription.CurrentPeriod.Start ? UsageSummaryStatus.Recorded
                    : UsageSummaryStatus.Current;
                items.Add(new PeriodUsage(subscriptionId, period, status, Summaries(subscriptionId, plan, period, aggregates, status), null)
                {
                    Groups = plan.HasGroupedCharges ? Groups(plan, aggregates) : [],
                });
            }
        }

        return new Page<PeriodUsage>(items, page.NextCursor);
    }

    public async ValueTask<DailyUsage> GetDailyUsageAsync(string subscriptionId, Instant? periodStart = null, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(subscriptionId, "subscription id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var subscription = await store.FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");
        var now = clock.GetCurrentInstant();
        BillingPeriod period;
        string planKey = subscription.PlanKey;
        int planVersion = subscription.PlanVersion;
        if (periodStart is not { } start || (subscription.EndedAt is null && start >= subscription.CurrentPeriod.Start))
        {
            period = periodStart is { } open ? subscription.OpenPeriodContaining(open) : OpenPeriodAt(subscription, now);
        }
        else if (await LiveInvoices.FindAsync(store, subscriptionId, start, cancellationToken).ConfigureAwait(false) is { } invoice)
        {
            // A closed period: its bounds and plan are the invoice's (a plan change may have made it partial).
            (period, planKey, planVersion) = (invoice.Period, invoice.PlanKey, invoice.PlanVersion);
        }
        else
        {
            period = subscription.Schedule.PeriodContaining(start);
        }

        if (periodStart is { } asked && asked != period.Start)
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"{asked} is not the start of a period of subscription '{subscriptionId}'; pass a period start from GetHistoryAsync, or null for the open period.");
        }

        var plan = await catalog.GetPlanAsync(planKey, planVersion, cancellationToken).ConfigureAwait(false);
        var meters = new List<Meter>();
        foreach (var meterKey in plan.Charges.Select(c => c.MeterKey).Distinct(StringComparer.Ordinal))
        {
            if (await catalog.FindMeterAsync(meterKey, cancellationToken).ConfigureAwait(false) is { } meter)
            {
                meters.Add(meter);
            }
        }

        var records = new List<UsageRecord>();
        await foreach (var record in store.ReadUsageRecordsAsync(subscriptionId, period.Start, cancellationToken).ConfigureAwait(false))
        {
            records.Add(record);
        }

        var zone = subscription.Schedule.Zone;
        return new DailyUsage(subscriptionId, period, zone.Id, DailyUsageFold.Fold(meters, period, now, zone, records));
    }

    internal static BillingPeriod OpenPeriodAt(Subscription subscription, Instant now) =>
        now >= subscription.CurrentPeriod.End ? subscription.OpenPeriodContaining(now) : subscription.CurrentPeriod;

    internal static async ValueTask<Subscription> RequireActiveAsync(IMeteringStore store, string subscriptionId, CancellationToken cancellationToken)
    {
        var subscription = await store.FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        return RequireActive(subscription, subscriptionId);
    }

    private static Subscription RequireActive(Subscription? subscription, string subscriptionId)
    {
        if (subscription is null)
        {
            throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");
        }

        if (subscription.EndedAt is not null)
        {
            throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{subscriptionId}' ended at {subscription.EndedAt}; read its final usage with GetHistoryAsync and its invoices with IInvoiceService.");
        }

        return subscription;
    }

    private static List<GroupUsage> Groups(Plan plan, IReadOnlyList<StoredAggregate> aggregates)
    {
        var groups = new List<GroupUsage>();
        foreach (var charge in plan.Charges)
        {
            if (charge.GroupBy.Count == 0)
            {
                continue;
            }

            var ofCharge = aggregates
                .Where(a => BillingEngine.IsGroupOf(a.Key, charge))
                .OrderBy(a => a.Key.GroupValues, ChargeGroupUsage.Order);
            foreach (var aggregate in ofCharge)
            {
                var group = new Dictionary<string, string?>(charge.GroupBy.Count, StringComparer.Ordinal);
                for (int g = 0; g < charge.GroupBy.Count; g++)
                {
                    group[charge.GroupBy[g]] = aggregate.Key.GroupValues[g];
                }

                groups.Add(new GroupUsage(charge.Key, charge.MeterKey, group, aggregate.Aggregate.Quantity, aggregate.Aggregate.RecordCount));
            }
        }

        return groups;
    }

    private static List<UsageSummary> Summaries(string subscriptionId, Plan plan, BillingPeriod period, IReadOnlyList<StoredAggregate> aggregates, UsageSummaryStatus status)
    {
        // One summary per meter the plan prices, in the order of its first charge (a plan has a handful of charges, so
        // the checks below are loops, not lookups: this runs on every current-usage read).
        var summaries = new List<UsageSummary>(plan.Charges.Count);
        for (int c = 0; c < plan.Charges.Count; c++)
        {
            var charge = plan.Charges[c];
            if (!Summarized(summaries, charge.MeterKey))
            {
                var (quantity, count) = MeterTotals(aggregates, AggregateKey.ForMeter(charge.MeterKey));
                summaries.Add(new UsageSummary(subscriptionId, charge.MeterKey, period, quantity, count, status));
            }
        }

        return summaries;
    }

    private static bool Summarized(List<UsageSummary> summaries, string meterKey)
    {
        for (int i = 0; i < summaries.Count; i++)
        {
            if (string.Equals(summaries[i].MeterKey, meterKey, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static (decimal Quantity, long Count) MeterTotals(IReadOnlyList<StoredAggregate> aggregates, AggregateKey meterKey)
    {
        for (int i = 0; i < aggregates.Count; i++)
        {
            if (aggregates[i].Key == meterKey)
            {
                return (aggregates[i].Aggregate.Quantity, aggregates[i].Aggregate.RecordCount);
            }
        }

        return (0m, 0L);
    }
}
