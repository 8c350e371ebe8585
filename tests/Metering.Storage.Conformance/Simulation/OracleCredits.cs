namespace Metering.Storage.Conformance.Simulation;

/// <summary>
/// The oracle's own credit ledger of one customer, written from DESIGN §2 (Credits) without the library's ledger:
/// grants burn lowest priority first, then earliest expiry (none last), then oldest; a grant is usable at t when
/// it is effective and not expired at t; expirations are written when the closer runs.
/// </summary>
public sealed class OracleCredits
{
    private readonly List<OracleGrant> _grants = [];

    /// <summary>Every grant, oldest first.</summary>
    public IReadOnlyList<OracleGrant> Grants => _grants;

    /// <summary>Adds a grant.</summary>
    public void Grant(string grantId, decimal amount, int priority, Instant effectiveAt, Instant? expiresAt) =>
        _grants.Add(new OracleGrant(grantId, amount, priority, effectiveAt, expiresAt, _grants.Count));

    /// <summary>True when the grants usable at <paramref name="at"/> hold at least <paramref name="cost"/>.</summary>
    public bool CanCover(decimal cost, Instant at) => Usable(at).Sum(g => g.Remaining) >= cost;

    /// <summary>Burns <paramref name="cost"/> in burn order from the grants usable at <paramref name="at"/> (check <see cref="CanCover"/> first).</summary>
    public void Consume(decimal cost, Instant at)
    {
        foreach (var grant in Usable(at).OrderBy(g => g.Priority).ThenBy(g => g.ExpiresAt ?? Instant.MaxValue).ThenBy(g => g.Order))
        {
            var take = Math.Min(cost, grant.Remaining);
            grant.Consumed += take;
            cost -= take;
            if (cost == 0m)
            {
                return;
            }
        }
    }

    /// <summary>Writes the expiration of every remainder whose expiry is at or before <paramref name="now"/>.</summary>
    public void ExpireDue(Instant now)
    {
        foreach (var grant in _grants.Where(g => g.ExpiresAt <= now && !g.IsExpired))
        {
            grant.Expired = grant.Remaining;
            grant.IsExpired = true;
        }
    }

    /// <summary>Voids the remainder of a grant.</summary>
    public void Void(string grantId)
    {
        var grant = _grants.Single(g => g.GrantId == grantId);
        grant.Voided += grant.Remaining;
    }

    /// <summary>What a balance read at <paramref name="now"/> must show: granted, consumed, voided, and remaining (never counting a grant expired by then).</summary>
    public (decimal Granted, decimal Consumed, decimal Voided, decimal Remaining) BalanceAt(Instant now) =>
        (_grants.Sum(g => g.Amount), _grants.Sum(g => g.Consumed), _grants.Sum(g => g.Voided),
         _grants.Where(g => g.EffectiveAt <= now && !(g.ExpiresAt <= now)).Sum(g => g.Remaining));

    private IEnumerable<OracleGrant> Usable(Instant at) =>
        _grants.Where(g => g.EffectiveAt <= at && !(g.ExpiresAt <= at) && g.Remaining > 0m);
}

/// <summary>One grant in the oracle's ledger.</summary>
public sealed class OracleGrant(string grantId, decimal amount, int priority, Instant effectiveAt, Instant? expiresAt, int order)
{
    /// <summary>The grant id.</summary>
    public string GrantId { get; } = grantId;

    /// <summary>Granted amount.</summary>
    public decimal Amount { get; } = amount;

    /// <summary>Burn priority (lower first).</summary>
    public int Priority { get; } = priority;

    /// <summary>When it becomes usable.</summary>
    public Instant EffectiveAt { get; } = effectiveAt;

    /// <summary>When its remainder expires (exclusive), or null.</summary>
    public Instant? ExpiresAt { get; } = expiresAt;

    /// <summary>Position in grant order (older first).</summary>
    public int Order { get; } = order;

    /// <summary>Burned by usage.</summary>
    public decimal Consumed { get; set; }

    /// <summary>Voided.</summary>
    public decimal Voided { get; set; }

    /// <summary>Expired (written by the closer).</summary>
    public decimal Expired { get; set; }

    /// <summary>True once its expiration is written.</summary>
    public bool IsExpired { get; set; }

    /// <summary>What is left.</summary>
    public decimal Remaining => Amount - Consumed - Voided - Expired;
}
