using System.Globalization;
using Metering.Diagnostics;
using Metering.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Implements <see cref="ICreditService"/>.</summary>
internal sealed class CreditService(
    IMeteringStore store,
    MeteringCatalog catalog,
    IClock clock,
    IOptions<MeteringOptions> options,
    MeteringTelemetry telemetry,
    ISubscriptionService subscriptions,
    ILogger<CreditService>? logger = null) : ICreditService
{
    private const int ExpiryBatchSize = 500;
    private readonly ILogger _logger = logger ?? NullLogger<CreditService>.Instance;
    private readonly IReadOnlyDictionary<string, decimal> _thresholds = options.Value.LowCreditThresholdsSnapshot();
    private readonly RetryBackoff _backoff = new(() => (options.Value.CloseRetryDelay, options.Value.CloseRetryMaxDelay));

    public async ValueTask<IReadOnlyList<CreditBalanceAlert>> GetBalanceAlertsAsync(string customerId, Instant? at = null, CancellationToken cancellationToken = default)
    {
        var thresholds = options.Value.LowCreditBalanceThresholds;
        var balances = await GetBalancesAsync(customerId, at, cancellationToken).ConfigureAwait(false);
        return balances
            .Select(b => new CreditBalanceAlert(b, thresholds.TryGetValue(b.Unit.Code, out var threshold) ? threshold : null))
            .ToArray();
    }

    public ValueTask<Subscription> AttachRateCardAsync(string customerId, string rateCardKey, CancellationToken cancellationToken = default) =>
        AttachRateCardAsync(customerId, rateCardKey, null, cancellationToken);

    /// <summary>
    /// <see cref="AttachRateCardAsync(string, string, CancellationToken)"/> with the wallet starting at
    /// <paramref name="startAt"/> (null: now) when this call creates it; an existing wallet is returned as it is.
    /// </summary>
    internal async ValueTask<Subscription> AttachRateCardAsync(string customerId, string rateCardKey, Instant? startAt, CancellationToken cancellationToken)
    {
        InputChecks.Required(customerId, "customer id");
        InputChecks.Required(rateCardKey, "rate card key");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var plan = await catalog.FindPlanAsync(rateCardKey, null, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Rate card '{rateCardKey}' is not published; declare it with AddPlan(...AsCreditRateCard()...) or publish it first.");
        if (!plan.IsCreditRateCard)
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Plan '{rateCardKey}' is not a credit rate card; build it with PlanBuilder.AsCreditRateCard(), or subscribe the customer to it with ISubscriptionService.SubscribeAsync.");
        }

        var walletId = CreditWallets.IdFor(customerId, plan.Key);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (await subscriptions.GetAsync(walletId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return existing.EndedAt is null
                    ? existing
                    : throw new MeteringException(MeteringErrorCode.InvalidState, $"The wallet '{walletId}' of customer '{customerId}' on rate card '{plan.Key}' ended at {existing.EndedAt}; a wallet is attached once. Publish the rate card under another key to attach it again.");
            }

            try
            {
                return await subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customerId, PlanKey = plan.Key, SubscriptionId = walletId, StartAt = startAt }, cancellationToken).ConfigureAwait(false);
            }
            catch (MeteringException e) when (e.ErrorCode == MeteringErrorCode.AlreadyExists)
            {
                // Attached concurrently by another caller: read it back.
            }
        }

        throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"The wallet '{walletId}' kept changing while it was attached; try again.");
    }

    public async ValueTask<CreditGrant> GrantAsync(CreditGrantRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        InputChecks.Required(request.CustomerId, "customer id");
        InputChecks.Optional(request.GrantId, "credit grant id");
        InputChecks.Storable(request.EffectiveAt, "effective instant of the credit grant");
        InputChecks.Storable(request.ExpiresAt, "expiry of the credit grant");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (await store.FindCustomerAsync(request.CustomerId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new MeteringException(MeteringErrorCode.NotFound, $"Customer '{request.CustomerId}' does not exist; create it before granting credits.");
        }

        var now = clock.GetCurrentInstant();
        var grantId = request.GrantId ?? "cg_" + Guid.NewGuid().ToString("N");
        var grant = new CreditGrant(
            grantId,
            request.CustomerId,
            request.Amount,
            request.Category,
            request.EffectiveAt ?? now,
            request.ExpiresAt,
            request.Priority,
            request.Name,
            request.Metadata);
        CreditGrant? stored = null;
        await store.UpdateLedgerAsync(request.CustomerId, ledger =>
        {
            if (ledger.TryGetGrant(grantId, out var existing))
            {
                stored = existing;
                return new LedgerChange(ledger, []);
            }

            var updated = ledger.Grant(grant);
            stored = updated.GetGrant(grantId);
            return new LedgerChange(updated, [BillingEvent.Create(BillingEventType.CreditsGranted, request.CustomerId, grantId, now, new CreditGrantEventPayload(grantId, request.Amount))]);
        }, cancellationToken).ConfigureAwait(false);
        return stored!;
    }

    public async ValueTask<CreditBalance> VoidAsync(string customerId, string grantId, string? reason = null, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        InputChecks.Required(grantId, "credit grant id");
        InputChecks.Optional(reason, "void reason");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var ledger = await store.UpdateLedgerAsync(customerId, l => WithAlerts(l, l.Void(grantId, now, reason), [], now), cancellationToken).ConfigureAwait(false);
        return ledger.BalanceAt(ledger.GetGrant(grantId).Amount.Currency, now);
    }

    public async ValueTask<CreditBalance> AdjustAsync(string customerId, string grantId, decimal signedAmount, string reason, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        InputChecks.Required(grantId, "credit grant id");
        InputChecks.Required(reason, "adjustment reason");
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var ledger = await store.UpdateLedgerAsync(customerId, l => WithAlerts(l, l.Adjust(grantId, signedAmount, now, reason), [], now), cancellationToken).ConfigureAwait(false);
        return ledger.BalanceAt(ledger.GetGrant(grantId).Amount.Currency, now);
    }

    public async ValueTask<IReadOnlyList<CreditBalance>> GetBalancesAsync(string customerId, Instant? at = null, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var ledger = await store.LoadLedgerAsync(customerId, cancellationToken).ConfigureAwait(false);
        return ledger.BalancesAt(at ?? clock.GetCurrentInstant());
    }

    public ValueTask<Page<CreditTransaction>> ListTransactionsAsync(string customerId, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default) =>
        ListTransactionsAsync(customerId, new PageRequest { Cursor = cursor, Limit = limit }, cancellationToken);

    public async ValueTask<Page<CreditTransaction>> ListTransactionsAsync(string customerId, PageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (cursor, limit) = (request.Cursor, request.Limit ?? 50);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(customerId, "customer id");
        long after = PageCursor.Decode(cursor, 0);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var ledger = await store.LoadLedgerAsync(customerId, cancellationToken).ConfigureAwait(false);
        var items = ledger.Transactions.Where(t => t.Sequence > after).Take(limit + 1).ToList();
        var page = items.Count > limit
            ? new Page<CreditTransaction>(items.Take(limit).ToArray(), items[limit - 1].Sequence.ToString(CultureInfo.InvariantCulture))
            : new Page<CreditTransaction>(items.ToArray(), null);
        return request.IncludeTotalCount ? page with { TotalCount = ledger.Transactions.Count } : page;
    }

    public async ValueTask<int> ExpireDueAsync(CancellationToken cancellationToken = default) =>
        (await ExpireDueCoreAsync(clock.GetCurrentInstant(), cancellationToken).ConfigureAwait(false)).Expired;

    /// <summary>
    /// Expires every due grant as of <paramref name="now"/>, one ledger at a time: a ledger that fails is logged,
    /// reported and retried by later runs after backoff, never stopping the others.
    /// </summary>
    internal async ValueTask<(int Expired, IReadOnlyList<CreditExpiryFailure> Failures)> ExpireDueCoreAsync(Instant now, CancellationToken cancellationToken)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        int expired = 0;
        var failures = new List<CreditExpiryFailure>();
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            // Ledgers that failed or wait for a retry stay due; ask for that many more so they never hide the healthy ones.
            int limit = ExpiryBatchSize + skipped.Count;
            var customers = await store.FindCustomersWithExpiringCreditsAsync(now, limit, cancellationToken).ConfigureAwait(false);
            int attempted = 0;
            foreach (var customerId in customers)
            {
                if (!skipped.Add(customerId) || _backoff.IsDeferred(customerId, now))
                {
                    continue;
                }

                attempted++;
                try
                {
                    int expiredHere = 0;
                    await store.UpdateLedgerAsync(customerId, ledger =>
                    {
                        var (updated, expirations) = ledger.ExpireDue(now);
                        expiredHere = expirations.Count;
                        return WithAlerts(ledger, updated, expirations
                            .Select(e => BillingEvent.Create(BillingEventType.CreditsExpired, customerId, e.GrantId, e.At, new CreditGrantEventPayload(e.GrantId, e.Amount)))
                            .ToArray(), now);
                    }, cancellationToken).ConfigureAwait(false);
                    expired += expiredHere;
                    if (expiredHere > 0 && telemetry.CreditsExpired.Enabled)
                    {
                        telemetry.CreditsExpired.Add(expiredHere);
                    }

                    _backoff.Clear(customerId);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var retry = _backoff.RecordFailure(customerId, now);
                    PeriodCloseLog.CreditExpiryFailed(_logger, exception, customerId, retry.Attempts, retry.RetryAfter);
                    failures.Add(new CreditExpiryFailure(customerId, exception.Message, exception, retry.Attempts, retry.RetryAfter));
                }
            }

            // Each ledger is tried at most once per run, so the loop ends; a full page may hide more behind deferred ones.
            if (attempted == 0 && customers.Count < limit)
            {
                return (expired, failures);
            }
        }
    }

    // A change that lowers a balance past its low threshold or to zero also raises CreditsLow / CreditsExhausted.
    private LedgerChange WithAlerts(CreditLedger before, CreditLedger after, BillingEvent[] events, Instant at)
    {
        var alerts = CreditAlerts.Crossings(before, after, _thresholds, at);
        return new LedgerChange(after, alerts.Count == 0 ? events : [.. events, .. alerts]);
    }
}
