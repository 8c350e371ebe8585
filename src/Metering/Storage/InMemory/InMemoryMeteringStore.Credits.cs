namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    /// <inheritdoc/>
    public ValueTask<CreditLedger> LoadLedgerAsync(string customerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(LedgerOf(customerId));
        }
    }

    /// <inheritdoc/>
    public ValueTask<CreditLedger> UpdateLedgerAsync(string customerId, Func<CreditLedger, LedgerChange> change, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var result = StoreChangeRules.DecideLedgerChange(LedgerOf(customerId), change);

            _ledgers[customerId] = result.Updated;
            AppendEvents(result.Events);
            return new(result.Updated);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> FindCustomersWithExpiringCreditsAsync(Instant at, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new(_ledgers
                .Where(pair => pair.Value.Grants.Any(g => g.ExpiresAt is { } expiry && expiry <= at && pair.Value.RemainingOf(g.GrantId, expiry - Duration.Epsilon) > 0m
                    && !pair.Value.Transactions.Any(t => t.GrantId == g.GrantId && t.Type == CreditTransactionType.Expiration)))
                .Select(pair => pair.Key)
                .Order(StringComparer.Ordinal)
                .Take(limit)
                .ToArray());
        }
    }
}
