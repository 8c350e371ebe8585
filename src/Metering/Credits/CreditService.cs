using System.Globalization;
using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Implements <see cref="ICreditService"/>.</summary>
internal sealed class CreditService(IMeteringStore store, MeteringCatalog catalog, IClock clock, IOptions<MeteringOptions> options) : ICreditService
{
    public async ValueTask<IReadOnlyList<CreditBalanceAlert>> GetBalanceAlertsAsync(string customerId, Instant? at = null, CancellationToken cancellationToken = default)
    {
        var thresholds = options.Value.LowCreditBalanceThresholds;
        var balances = await GetBalancesAsync(customerId, at, cancellationToken).ConfigureAwait(false);
        return balances
            .Select(b => new CreditBalanceAlert(b, thresholds.TryGetValue(b.Unit.Code, out var threshold) ? threshold : null))
            .ToArray();
    }

    public async ValueTask<CreditGrant> GrantAsync(CreditGrantRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        InputChecks.Required(request.CustomerId, "customer id");
        InputChecks.Optional(request.GrantId, "credit grant id");
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
            return new LedgerChange(updated, [BillingEngine.Event(BillingEventType.CreditsGranted, request.CustomerId, grantId, now, ("amount", request.Amount.ToString()))]);
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
        var ledger = await store.UpdateLedgerAsync(customerId, l => new LedgerChange(l.Void(grantId, now, reason), []), cancellationToken).ConfigureAwait(false);
        return ledger.BalanceAt(ledger.GetGrant(grantId).Amount.Currency, now);
    }

    public async ValueTask<IReadOnlyList<CreditBalance>> GetBalancesAsync(string customerId, Instant? at = null, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var ledger = await store.LoadLedgerAsync(customerId, cancellationToken).ConfigureAwait(false);
        return ledger.BalancesAt(at ?? clock.GetCurrentInstant());
    }

    public async ValueTask<Page<CreditTransaction>> ListTransactionsAsync(string customerId, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        InputChecks.Required(customerId, "customer id");
        long after = PageCursor.Decode(cursor, 0);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var ledger = await store.LoadLedgerAsync(customerId, cancellationToken).ConfigureAwait(false);
        var items = ledger.Transactions.Where(t => t.Sequence > after).Take(limit + 1).ToList();
        return items.Count > limit
            ? new Page<CreditTransaction>(items.Take(limit).ToArray(), items[limit - 1].Sequence.ToString(CultureInfo.InvariantCulture))
            : new Page<CreditTransaction>(items.ToArray(), null);
    }

    public async ValueTask<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        int expired = 0;
        while (true)
        {
            var customers = await store.FindCustomersWithExpiringCreditsAsync(now, 500, cancellationToken).ConfigureAwait(false);
            if (customers.Count == 0)
            {
                return expired;
            }

            int before = expired;
            foreach (var customerId in customers)
            {
                await store.UpdateLedgerAsync(customerId, ledger =>
                {
                    var (updated, expirations) = ledger.ExpireDue(now);
                    expired += expirations.Count;
                    return new LedgerChange(updated, expirations
                        .Select(e => BillingEngine.Event(BillingEventType.CreditsExpired, customerId, e.GrantId, e.At, ("amount", e.Amount.ToString())))
                        .ToArray());
                }, cancellationToken).ConfigureAwait(false);
            }

            if (expired == before)
            {
                return expired;
            }
        }
    }
}
