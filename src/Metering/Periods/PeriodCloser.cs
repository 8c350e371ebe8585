using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Metering.Diagnostics;
using Metering.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Implements <see cref="IPeriodCloser"/>: each subscription's close is isolated, failures back off.</summary>
internal sealed partial class PeriodCloser(
    IMeteringStore store,
    MeteringCatalog catalog,
    BillingEngine engine,
    SubscriptionCache cache,
    CreditService credits,
    IClock clock,
    IOptions<MeteringOptions> options,
    MeteringTelemetry telemetry,
    ILogger<PeriodCloser>? logger = null) : IPeriodCloser
{
    private readonly ILogger _logger = logger ?? NullLogger<PeriodCloser>.Instance;
    // How often one run tries a subscription that others keep closing before leaving it to them (bounds the run).
    private const int MaxClosedElsewherePerRun = 3;

    /// <summary>How old a backfill's pending marker must be before a run settles it (a younger one may be mid-backfill).</summary>
    internal static readonly Duration PendingBackfillAge = Duration.FromMinutes(1);


    private readonly RetryBackoff _backoff = new(() => (options.Value.CloseRetryDelay, options.Value.CloseRetryMaxDelay));

    public ValueTask<PeriodCloseReport> CloseDueAsync(CancellationToken cancellationToken = default) =>
        CloseDueAsync(CancellationToken.None, cancellationToken);

    /// <summary>
    /// Closes everything due; once <paramref name="stopClaiming"/> fires (host shutdown) no further subscription is
    /// started, closes in flight finish, and the report covers what was done.
    /// </summary>
    public async ValueTask<PeriodCloseReport> CloseDueAsync(CancellationToken stopClaiming, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using var activity = telemetry.ActivitySource.StartActivity("metering.period_close.run");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var dueBy = now - options.Value.GracePeriod;
        var invoices = new List<Invoice>();
        var failures = new List<PeriodCloseFailure>();
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        var closedElsewhere = new Dictionary<string, int>(StringComparer.Ordinal);
        int alreadyClosed = 0;
        int deferred = 0;

        // Credits that expired before a period's end must not be applied to its invoice.
        var (expired, expiryFailures) = await credits.ExpireDueCoreAsync(now, cancellationToken).ConfigureAwait(false);
        while (!stopClaiming.IsCancellationRequested)
        {
            // Subscriptions that failed or wait for a retry stay due; ask for that many more so they never hide the healthy ones.
            int limit = options.Value.CloseBatchSize + skipped.Count;
            var due = await store.FindSubscriptionsDueAsync(dueBy, limit, cancellationToken).ConfigureAwait(false);
            var work = new List<string>(due.Count);
            foreach (var subscriptionId in due)
            {
                if (skipped.Contains(subscriptionId))
                {
                    continue;
                }

                if (_backoff.IsDeferred(subscriptionId, now))
                {
                    skipped.Add(subscriptionId);
                    deferred++;
                    PeriodCloseLog.CloseDeferred(_logger, subscriptionId);
                    continue;
                }

                work.Add(subscriptionId);
            }

            // Every pass closes a period or sets subscriptions aside for this run, so the loop ends; a full page
            // of deferred ones means there may be more due behind them.
            if (work.Count == 0)
            {
                if (due.Count < limit)
                {
                    break;
                }

                continue;
            }

            // Closes go to the store in chunks (a store may write a chunk in one transaction with one block of invoice
            // numbers); several chunks are in flight at once so a store can also share commits among them. Each close
            // stays its own exactly-once decision, so the result is the same as closing one by one.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.CloseConcurrency, CancellationToken = cancellationToken };
            int chunkSize = ChunkSize(work.Count, options.Value.CloseConcurrency, store.MaxClosesPerCall);
            await Parallel.ForEachAsync(work.Chunk(chunkSize), parallel, async (chunk, ct) =>
            {
                if (stopClaiming.IsCancellationRequested)
                {
                    return;
                }

                var outcomes = await CloseChunkAsync(chunk, dueBy, now, ct).ConfigureAwait(false);
                lock (invoices)
                {
                    foreach (var (subscriptionId, outcome) in outcomes)
                    {
                        switch (outcome)
                        {
                            case { Invoice: { } invoice }:
                                // Not skipped: a subscription several periods behind shows up again until it is current.
                                invoices.Add(invoice);
                                break;
                            case { ClosedWithoutInvoice: true }:
                                // A wallet's period: closed here, nothing to report; a later period of it may be due too.
                                break;
                            case { Failure: { } failure }:
                                failures.Add(failure);
                                skipped.Add(subscriptionId);
                                break;
                            default:
                                // Closed by another caller or instance meanwhile: a later period of it may be due too, so it
                                // stays in the run; after a few such answers the other instance is left to finish it.
                                alreadyClosed++;
                                if (closedElsewhere.TryGetValue(subscriptionId, out var times) && times + 1 >= MaxClosedElsewherePerRun)
                                {
                                    skipped.Add(subscriptionId);
                                }

                                closedElsewhere[subscriptionId] = times + 1;
                                break;
                        }
                    }
                }
            }).ConfigureAwait(false);
        }

        var backfills = stopClaiming.IsCancellationRequested ? [] : await SettlePendingBackfillsAsync(now, cancellationToken).ConfigureAwait(false);
        invoices.Sort((a, b) => a.Number.CompareTo(b.Number));
        failures.Sort((a, b) => string.CompareOrdinal(a.SubscriptionId, b.SubscriptionId));
        var elapsed = Stopwatch.GetElapsedTime(started);
        PeriodCloseLog.RunCompleted(_logger, elapsed.TotalMilliseconds, invoices.Count, failures.Count, deferred, alreadyClosed, expired);
        if (telemetry.CloseDuration.Enabled)
        {
            telemetry.CloseDuration.Record(elapsed.TotalSeconds);
        }

        if (activity is not null)
        {
            activity.SetTag("metering.invoices", invoices.Count);
            activity.SetTag("metering.failed", failures.Count);
            activity.SetTag("metering.deferred", deferred);
            if (failures.Count > 0)
            {
                activity.SetStatus(ActivityStatusCode.Error, $"{failures.Count} subscription closes failed");
            }
        }

        return new PeriodCloseReport(invoices, alreadyClosed, expired)
        {
            Failed = failures,
            CreditExpiryFailed = expiryFailures,
            Deferred = deferred,
            SettledBackfills = backfills,
        };
    }

    /// <summary>
    /// Settles the backfilled periods whose adjustment did not commit: the pending markers older than
    /// <see cref="PendingBackfillAge"/> (younger ones may belong to a backfill still running, which settles them itself;
    /// settling twice is harmless anyway, the adjustment bills what is not billed yet). One failing period is logged and
    /// left for a later run.
    /// </summary>
    private async ValueTask<IReadOnlyList<BackfillPeriod>> SettlePendingBackfillsAsync(Instant now, CancellationToken cancellationToken)
    {
        var markers = await store.ListPendingAdjustmentsAsync(now - PendingBackfillAge, options.Value.CloseBatchSize, cancellationToken).ConfigureAwait(false);
        if (markers.Count == 0)
        {
            return [];
        }

        var settlement = new BackfillSettlement(store, catalog, engine, clock);
        var settled = new List<BackfillPeriod>(markers.Count);
        foreach (var marker in markers)
        {
            try
            {
                if (await settlement.SettleAsync(marker, cancellationToken).ConfigureAwait(false) is { } period)
                {
                    settled.Add(period);
                }

                PeriodCloseLog.BackfillSettled(_logger, marker.SubscriptionId, marker.PeriodStart);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                PeriodCloseLog.BackfillSettleFailed(_logger, exception, marker.SubscriptionId, marker.PeriodStart);
            }
        }

        return settled;
    }

    private async ValueTask<CloseOutcome> CloseOneAsync(string subscriptionId, Instant dueBy, Instant now, CancellationToken cancellationToken)
    {
        Instant periodStart = default;
        using var activity = StartCloseActivity(subscriptionId);
        try
        {
            var subscription = await store.FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            if (!IsDue(subscription, dueBy))
            {
                return default;
            }

            periodStart = subscription!.CurrentPeriod.Start;
            var plan = await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
            var customer = await store.FindCustomerAsync(subscription.CustomerId, cancellationToken).ConfigureAwait(false);
            var close = CloseItem(subscription, plan, customer, now);
            var result = await store.ClosePeriodAsync(subscriptionId, close.ExpectedPeriodStart, plan, close.Decide, cancellationToken).ConfigureAwait(false);
            return Completed(subscription, result, activity);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Failed(subscriptionId, periodStart, exception, now, activity);
        }
    }

    /// <summary>
    /// Closes per store call: 1 for a store that closes one period per transaction; for a batching store the claimed
    /// work spread over the calls in flight, but at least half the store's maximum (a batch shares one commit and one
    /// block of invoice numbers, so fewer, fuller batches beat many small ones) and at most its maximum.
    /// </summary>
    internal static int ChunkSize(int work, int concurrency, int maxPerCall)
    {
        if (maxPerCall <= 1 || work <= 1)
        {
            return 1;
        }

        int spread = (work + concurrency - 1) / concurrency;
        return Math.Clamp(spread, Math.Min(maxPerCall / 2, work), maxPerCall);
    }

    private static bool IsDue([NotNullWhen(true)] Subscription? subscription, Instant dueBy) =>
        subscription is not null && subscription.EndedAt is null && subscription.CurrentPeriod.End <= dueBy;

    private PeriodCloseItem CloseItem(Subscription subscription, Plan plan, Customer? customer, Instant now)
    {
        var period = subscription.CurrentPeriod;
        var request = new CloseRequest(CloseKind.PeriodEnd, period.End) { CustomerApproval = customer?.InvoiceApproval };
        return new PeriodCloseItem(subscription.SubscriptionId, period.Start, plan, ctx => engine.DecideClose(ctx, request, now));
    }

    private Activity? StartCloseActivity(string subscriptionId)
    {
        var activity = telemetry.ActivitySource.StartActivity("metering.period_close.close");
        activity?.SetTag("metering.subscription_id", subscriptionId);
        return activity;
    }

    /// <summary>What a close the store answered came to: its invoice reported, the customer's cached state dropped.</summary>
    private CloseOutcome Completed(Subscription subscription, PeriodCloseResult result, Activity? activity)
    {
        activity?.SetTag("metering.close.status", result.Status == PeriodCloseStatus.Closed ? "closed" : "already_closed");
        if (result.Status != PeriodCloseStatus.Closed)
        {
            return default;
        }

        if (result.Invoice is { } invoice)
        {
            telemetry.InvoiceCreated(invoice);
        }

        cache.Invalidate(subscription.CustomerId);
        if (_backoff.Clear(subscription.SubscriptionId) is > 0 and var attempts)
        {
            PeriodCloseLog.CloseRecovered(_logger, subscription.SubscriptionId, attempts);
        }

        // A credit rate card's period (a wallet) closes without an invoice.
        return new CloseOutcome(result.Invoice, null, ClosedWithoutInvoice: result.Invoice is null);
    }

    /// <summary>One subscription's failure (a corrupt row, a missing time zone, a store fault) is its own: report it and go on.</summary>
    private CloseOutcome Failed(string subscriptionId, Instant periodStart, Exception exception, Instant now, Activity? activity)
    {
        var retry = _backoff.RecordFailure(subscriptionId, now);
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        if (telemetry.CloseFailures.Enabled)
        {
            telemetry.CloseFailures.Add(1);
        }

        PeriodCloseLog.CloseFailed(_logger, exception, subscriptionId, periodStart, retry.Attempts, retry.RetryAfter);
        return new CloseOutcome(null, new PeriodCloseFailure(subscriptionId, periodStart, exception.Message, exception, retry.Attempts, retry.RetryAfter));
    }

    private readonly record struct CloseOutcome(Invoice? Invoice, PeriodCloseFailure? Failure, bool ClosedWithoutInvoice = false);
}
