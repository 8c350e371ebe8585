using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Metering;

/// <summary>
/// The credits of ONE customer: grants and the append-only transactions that change them. Immutable: every
/// operation returns a new ledger and leaves this one untouched. Invariant, for every grant and at every instant:
/// <c>granted − consumed − expired − voided ± adjustments = remaining ≥ 0</c>.
/// </summary>
/// <remarks>
/// <para><b>Sequences and ids.</b> Sequences are ledger-local: each appended transaction gets
/// <see cref="LastSequence"/> + 1 (the first is 1). A transaction id, unless given, is <c>"{grantId}:{sequence}"</c>;
/// <see cref="Consume"/> with a <c>transactionIdPrefix</c> uses <c>"{prefix}:{grantId}"</c> instead. Ids must be unique
/// in the ledger.</para>
/// <para><b>Time.</b> Reads at instant t count transactions with <c>At &lt;= t</c>. A grant is usable in
/// <c>[EffectiveAt, ExpiresAt)</c>; at t = ExpiresAt it is expired, and reads treat its remainder as expired even
/// before <see cref="ExpireDue"/> writes the Expiration transaction.</para>
/// <para><b>Cost.</b> The ledger keeps a running total per grant, so operations and reads at or after a grant's latest
/// transaction do not rescan transactions; only reads in the past of a grant scan that grant's own transactions.</para>
/// </remarks>
public sealed partial class CreditLedger
{
    private readonly ImmutableList<CreditGrant> _grants;
    private readonly ImmutableDictionary<string, GrantState> _states;
    private readonly ImmutableList<CreditTransaction> _transactions;
    private readonly ImmutableHashSet<string> _transactionIds;

    // The empty collections every empty ledger starts from (immutable, so shared; most reads are of customers without credits).
    private static readonly ImmutableDictionary<string, GrantState> NoStates = ImmutableDictionary.Create<string, GrantState>(StringComparer.Ordinal);
    private static readonly ImmutableHashSet<string> NoTransactionIds = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    private CreditLedger(
        string customerId,
        ImmutableList<CreditGrant> grants,
        ImmutableDictionary<string, GrantState> states,
        ImmutableList<CreditTransaction> transactions,
        ImmutableHashSet<string> transactionIds,
        long lastSequence)
    {
        CustomerId = customerId;
        _grants = grants;
        _states = states;
        _transactions = transactions;
        _transactionIds = transactionIds;
        LastSequence = lastSequence;
    }

    /// <summary>The customer whose credits this is.</summary>
    public string CustomerId { get; }

    /// <summary>Sequence of the latest transaction (0 for an empty ledger); the next one gets this + 1.</summary>
    public long LastSequence { get; }

    /// <summary>The grants, in the order they were granted.</summary>
    public IReadOnlyList<CreditGrant> Grants => _grants;

    /// <summary>Every transaction, in <see cref="CreditTransaction.Sequence"/> order.</summary>
    public IReadOnlyList<CreditTransaction> Transactions => _transactions;

    /// <summary>A ledger with no grants.</summary>
    /// <exception cref="ArgumentException"><paramref name="customerId"/> is blank.</exception>
    public static CreditLedger Empty(string customerId) =>
        new(Preconditions.CheckNotBlank(customerId), [], NoStates, [], NoTransactionIds, 0);

    /// <summary>The grant with this id.</summary>
    /// <exception cref="UnknownCreditGrantException">The ledger has no such grant.</exception>
    public CreditGrant GetGrant(string grantId) => GetState(grantId).Grant;

    /// <summary>Finds the grant with this id.</summary>
    public bool TryGetGrant(string grantId, [NotNullWhen(true)] out CreditGrant? grant)
    {
        if (grantId is not null && _states.TryGetValue(grantId, out var state))
        {
            grant = state.Grant;
            return true;
        }

        grant = null;
        return false;
    }

    /// <summary>
    /// Adds a grant and its Grant transaction (at the grant's <see cref="CreditGrant.EffectiveAt"/>). A grant whose
    /// <see cref="CreditGrant.Sequence"/> is 0 gets the sequence of its Grant transaction, so creation order is ledger order.
    /// </summary>
    /// <param name="grant">The grant; must belong to <see cref="CustomerId"/> and have a new id.</param>
    /// <param name="transactionId">Id of the Grant transaction; defaults to <c>"{grantId}:{sequence}"</c>.</param>
    /// <exception cref="InvalidCreditGrantException">The grant belongs to another customer or its id is already used.</exception>
    /// <exception cref="InvalidCreditOperationException">The transaction id is already used.</exception>
    public CreditLedger Grant(CreditGrant grant, string? transactionId = null)
    {
        Preconditions.CheckNotNull(grant);
        if (!string.Equals(grant.CustomerId, CustomerId, StringComparison.Ordinal))
        {
            throw new InvalidCreditGrantException(
                $"Credit grant '{grant.GrantId}' is for customer '{grant.CustomerId}' but this ledger is customer '{CustomerId}'s; add it to that customer's ledger.");
        }

        if (_states.ContainsKey(grant.GrantId))
        {
            throw new InvalidCreditGrantException(
                $"Customer '{CustomerId}' already has a credit grant '{grant.GrantId}'; give the new grant another id (use Adjust to change an existing grant).");
        }

        CreditLimits.CheckTotal(GrantedTotal(grant.Amount.Currency), grant.Amount.Amount, CustomerId);
        var sequence = LastSequence + 1;
        if (grant.Sequence == 0)
        {
            grant = grant.WithSequence(sequence);
        }

        var transaction = new CreditTransaction(
            sequence, transactionId ?? DefaultTransactionId(grant.GrantId, sequence), CustomerId, grant.GrantId,
            CreditTransactionType.Grant, grant.Amount, grant.EffectiveAt, description: grant.Name);
        CheckNewId(transaction.TransactionId, _transactionIds);

        return new CreditLedger(
            CustomerId,
            _grants.Add(grant),
            _states.Add(grant.GrantId, new GrantState(grant).Apply(transaction)),
            _transactions.Add(transaction),
            _transactionIds.Add(transaction.TransactionId),
            sequence);
    }

    // Granted plus net positive adjustments in one currency, over every grant ever (from the running totals, so a grant
    // does not rescan the consumptions): bounded, so no balance can overflow.
    private decimal GrantedTotal(Currency currency)
    {
        var total = 0m;
        foreach (var state in _states.Values)
        {
            if (state.Grant.Amount.Currency == currency)
            {
                total += state.Totals.Granted + Math.Max(state.Totals.Adjusted, 0m);
            }
        }

        return total;
    }

    /// <summary>True when the grants active at <paramref name="at"/> can cover all of <paramref name="amount"/>
    /// (use it to Block usage that credits cannot pay for).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public bool CanCover(Money amount, Instant at)
    {
        var currency = amount.Currency;
        Preconditions.CheckNotNegative(amount.Amount, nameof(amount));
        var total = 0m;
        foreach (var grant in _grants)
        {
            if (grant.Amount.Currency == currency && grant.IsActiveAt(at))
            {
                total += AvailableFrom(_states[grant.GrantId], at);
                if (total >= amount.Amount)
                {
                    return true;
                }
            }
        }

        return total >= amount.Amount;
    }

    /// <summary>
    /// Consumes <paramref name="amount"/> at <paramref name="at"/> from the grants active then, in
    /// <see cref="CreditBurnOrder"/>, writing one Consumption transaction per grant drawn. When the credits are not
    /// enough, it draws everything there is and reports the rest as <see cref="CreditAllocation.Uncovered"/>: the caller
    /// decides whether that is billable overage or (checking <see cref="CanCover"/> first) a blocked usage.
    /// </summary>
    /// <param name="amount">What to cover (zero or more); only grants in its currency or unit are used.</param>
    /// <param name="at">When the consumption happens. A grant never gives more than it has at every instant from
    /// <paramref name="at"/> on, so a late consumption cannot overdraw consumptions already written after it.</param>
    /// <param name="usageIdempotencyKey">The usage record that caused the consumption, if any.</param>
    /// <param name="invoiceId">The invoice the credits are applied to, if any.</param>
    /// <param name="description">Free text stored on each transaction.</param>
    /// <param name="transactionIdPrefix">When given, transaction ids are <c>"{prefix}:{grantId}"</c> (e.g. the usage key,
    /// for idempotent stores); otherwise <c>"{grantId}:{sequence}"</c>.</param>
    /// <returns>The new ledger (this ledger when nothing was drawn) and the allocation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    /// <exception cref="InvalidCreditOperationException">A generated transaction id is already used.</exception>
    public (CreditLedger Ledger, CreditAllocation Allocation) Consume(
        Money amount,
        Instant at,
        string? usageIdempotencyKey = null,
        string? invoiceId = null,
        string? description = null,
        string? transactionIdPrefix = null)
    {
        var currency = amount.Currency;
        Preconditions.CheckNotNegative(amount.Amount, nameof(amount));
        if (amount.IsZero)
        {
            return (this, CreditAllocation.None(amount));
        }

        var candidates = new List<GrantBalance>();
        foreach (var grant in _grants)
        {
            if (grant.Amount.Currency == currency && grant.IsActiveAt(at))
            {
                var available = AvailableFrom(_states[grant.GrantId], at);
                if (available > 0m)
                {
                    candidates.Add(new GrantBalance(grant, available));
                }
            }
        }

        var allocation = CreditBurnOrder.Allocate(candidates, amount, at);
        if (allocation.Draws.Count == 0)
        {
            return (this, allocation);
        }

        var sequence = LastSequence;
        var states = _states;
        var transactions = _transactions;
        var ids = _transactionIds;
        foreach (var draw in allocation.Draws)
        {
            sequence++;
            var id = transactionIdPrefix is null ? DefaultTransactionId(draw.GrantId, sequence) : $"{transactionIdPrefix}:{draw.GrantId}";
            CheckNewId(id, ids);
            var transaction = new CreditTransaction(
                sequence, id, CustomerId, draw.GrantId, CreditTransactionType.Consumption, new Money(draw.Amount, currency), at,
                usageIdempotencyKey, invoiceId, description);
            states = states.SetItem(draw.GrantId, states[draw.GrantId].Apply(transaction));
            transactions = transactions.Add(transaction);
            ids = ids.Add(id);
        }

        return (new CreditLedger(CustomerId, _grants, states, transactions, ids, sequence), allocation);
    }

    /// <summary>
    /// Writes an Expiration transaction, at the grant's <see cref="CreditGrant.ExpiresAt"/>, for the remainder of every
    /// grant that has expired by <paramref name="now"/> (<c>ExpiresAt &lt;= now</c>), still has something left and has not
    /// been expired yet. Running it again writes nothing new.
    /// </summary>
    /// <returns>The new ledger (this ledger when nothing expired) and the Expiration transactions written, in grant order.</returns>
    public (CreditLedger Ledger, IReadOnlyList<CreditTransaction> Expirations) ExpireDue(Instant now)
    {
        var sequence = LastSequence;
        var states = _states;
        var transactions = _transactions;
        var ids = _transactionIds;
        List<CreditTransaction>? written = null;
        foreach (var grant in _grants)
        {
            var state = states[grant.GrantId];
            if (!grant.IsExpiredAt(now) || state.HasExpiration || state.Totals.Remaining <= 0m)
            {
                continue;
            }

            sequence++;
            var transaction = new CreditTransaction(
                sequence, DefaultTransactionId(grant.GrantId, sequence), CustomerId, grant.GrantId, CreditTransactionType.Expiration,
                new Money(state.Totals.Remaining, grant.Amount.Currency), grant.ExpiresAt!.Value, description: $"Expired remainder of '{grant.Name}'");
            CheckNewId(transaction.TransactionId, ids);
            states = states.SetItem(grant.GrantId, state.Apply(transaction));
            transactions = transactions.Add(transaction);
            ids = ids.Add(transaction.TransactionId);
            (written ??= []).Add(transaction);
        }

        return written is null
            ? (this, [])
            : (new CreditLedger(CustomerId, _grants, states, transactions, ids, sequence), written);
    }

    /// <summary>
    /// Every broken invariant of this ledger (empty when sound): ids unique, each transaction for a known grant of this
    /// customer in the grant's unit, exactly one Grant transaction per grant (its amount, at its EffectiveAt),
    /// consumptions only while the grant is active, at most one Expiration (at ExpiresAt), and every grant's remainder
    /// never below zero at any instant.
    /// </summary>
    public IReadOnlyList<string> FindViolations() => CreditLedgerAudit.FindViolations(CustomerId, _grants, _transactions);

    /// <summary>Throws when <see cref="FindViolations()"/> finds anything.</summary>
    /// <exception cref="CreditLedgerInvariantException">An invariant is broken; the exception lists every violation.</exception>
    public void CheckInvariants()
    {
        var violations = FindViolations();
        if (violations.Count > 0)
        {
            throw new CreditLedgerInvariantException(CustomerId, violations);
        }
    }

    private static string DefaultTransactionId(string grantId, long sequence) => $"{grantId}:{sequence}";

    private static Instant Max(Instant left, Instant right) => left >= right ? left : right;

    private static void CheckNewId(string transactionId, ImmutableHashSet<string> ids)
    {
        if (ids.Contains(transactionId))
        {
            throw new InvalidCreditOperationException(
                $"Credit transaction id '{transactionId}' is already used in this ledger; pass another id (ids must be unique per customer).");
        }
    }

    // Totals of the grant's transactions with At <= at; running totals when at is not before its latest transaction.
    private GrantState GetState(string grantId)
    {
        Preconditions.CheckNotNull(grantId);
        return _states.TryGetValue(grantId, out var state) ? state : throw new UnknownCreditGrantException(CustomerId, grantId);
    }

    private CreditLedger Append(GrantState state, CreditTransactionType type, Money amount, Instant at, string? description, string? invoiceId = null)
    {
        var sequence = LastSequence + 1;
        var transaction = new CreditTransaction(
            sequence, DefaultTransactionId(state.Grant.GrantId, sequence), CustomerId, state.Grant.GrantId, type, amount, at, invoiceId: invoiceId, description: description);
        CheckNewId(transaction.TransactionId, _transactionIds);
        return new CreditLedger(
            CustomerId,
            _grants,
            _states.SetItem(state.Grant.GrantId, state.Apply(transaction)),
            _transactions.Add(transaction),
            _transactionIds.Add(transaction.TransactionId),
            sequence);
    }

    private sealed class GrantState
    {
        public GrantState(CreditGrant grant)
            : this(grant, default, Instant.MinValue, false, [])
        {
        }

        private GrantState(CreditGrant grant, CreditTotals totals, Instant latestAt, bool hasExpiration, ImmutableList<CreditTransaction> transactions)
        {
            Grant = grant;
            Totals = totals;
            LatestAt = latestAt;
            HasExpiration = hasExpiration;
            Transactions = transactions;
        }

        public CreditGrant Grant { get; }

        public CreditTotals Totals { get; }

        public Instant LatestAt { get; }

        public bool HasExpiration { get; }

        public ImmutableList<CreditTransaction> Transactions { get; }

        public GrantState Apply(CreditTransaction transaction) => new(
            Grant,
            Totals.Add(transaction),
            Max(LatestAt, transaction.At),
            HasExpiration || transaction.Type == CreditTransactionType.Expiration,
            Transactions.Add(transaction));
    }
}
