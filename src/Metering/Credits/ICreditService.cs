using Metering.Storage;

namespace Metering;

/// <summary>What to grant.</summary>
public sealed record CreditGrantRequest
{
    /// <summary>The customer receiving the credits.</summary>
    public required string CustomerId { get; init; }

    /// <summary>The amount, in a currency or a custom credit unit (e.g. <c>Currency.Custom("credits", 0)</c>).</summary>
    public required Money Amount { get; init; }

    /// <summary>Paid (bought) or promotional (given).</summary>
    public CreditCategory Category { get; init; } = CreditCategory.Promotional;

    /// <summary>Burn priority: lower numbers burn first.</summary>
    public int Priority { get; init; } = CreditGrant.DefaultPriority;

    /// <summary>When the credits become usable; null for now.</summary>
    public Instant? EffectiveAt { get; init; }

    /// <summary>When the remainder expires (exclusive); null for never.</summary>
    public Instant? ExpiresAt { get; init; }

    /// <summary>A display name (e.g. "Welcome credits").</summary>
    public string? Name { get; init; }

    /// <summary>Free-form metadata.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The grant id to use (makes the grant idempotent); null to generate one.</summary>
    public string? GrantId { get; init; }
}

/// <summary>How a customer's balance in one unit stands against its low-balance threshold.</summary>
/// <param name="Balance">The balance summary.</param>
/// <param name="LowThreshold">The configured threshold for the unit, or null when none is set.</param>
public sealed record CreditBalanceAlert(CreditBalance Balance, decimal? LowThreshold)
{
    /// <summary>True when a threshold is set and the remaining balance is at or below it.</summary>
    public bool IsLow => LowThreshold is { } threshold && Balance.Remaining <= threshold;

    /// <summary>True when credits were granted in this unit and nothing remains.</summary>
    public bool IsExhausted => Balance.Granted > 0m && Balance.Remaining == 0m;
}

/// <summary>Credits: grants, balances, the transaction history, voids and adjustments.</summary>
public interface ICreditService
{
    /// <summary>
    /// Gives the customer the credit rate card <paramref name="rateCardKey"/> (a plan built with
    /// <see cref="PlanBuilder.AsCreditRateCard"/>) without a billing subscription: its usage is then priced by the rate
    /// card and burned from the customer's credit grants as it is recorded, rejected with
    /// <see cref="UsageRejectionReason.InsufficientCredits"/> when the credits left do not cover a record. Idempotent:
    /// the rate card is held by a credit wallet, a subscription with the deterministic id <c>{customerId}~{rateCardKey}</c>
    /// on the rate card's latest version, created once (also under concurrent calls) and returned by later calls.
    /// A wallet's periods close without an invoice. When the customer also has a billing subscription pricing the same
    /// meter, the billing subscription prices the record.
    /// </summary>
    /// <returns>The wallet.</returns>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.NotFound"/>: the customer or the rate card does not
    /// exist; <see cref="MeteringErrorCode.InvalidArgument"/>: the plan is not a credit rate card;
    /// <see cref="MeteringErrorCode.InvalidState"/>: the wallet was attached before and has ended.</exception>
    ValueTask<Subscription> AttachRateCardAsync(string customerId, string rateCardKey, CancellationToken cancellationToken = default);

    /// <summary>Grants credits; a grant id already used returns the existing grant unchanged.</summary>
    ValueTask<CreditGrant> GrantAsync(CreditGrantRequest request, CancellationToken cancellationToken = default);

    /// <summary>Voids the remainder of a grant.</summary>
    ValueTask<CreditBalance> VoidAsync(string customerId, string grantId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Corrects what is left of a grant with an <see cref="CreditTransactionType.Adjustment"/> in the ledger: a positive
    /// <paramref name="signedAmount"/> adds credits, a negative one removes them. The reason is kept on the transaction.
    /// Crossing a low-balance threshold or running out raises the same events as usage does.
    /// </summary>
    /// <returns>The balance of the grant's unit after the adjustment.</returns>
    /// <exception cref="UnknownCreditGrantException">The customer has no such grant (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    /// <exception cref="InvalidCreditOperationException">The grant has expired, or the adjustment would leave less than
    /// nothing (<see cref="MeteringErrorCode.InvalidState"/>; the message says how much may be removed).</exception>
    /// <exception cref="ArgumentException">The amount is zero or the reason is blank.</exception>
    ValueTask<CreditBalance> AdjustAsync(string customerId, string grantId, decimal signedAmount, string reason, CancellationToken cancellationToken = default);

    /// <summary>Balance summaries per currency or unit at <paramref name="at"/> (null for now); expired grants never count as remaining.</summary>
    ValueTask<IReadOnlyList<CreditBalance>> GetBalancesAsync(string customerId, Instant? at = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Each unit's balance with its low-balance and exhaustion state at <paramref name="at"/> (null for now),
    /// using <see cref="MeteringOptions.LowCreditBalanceThresholds"/>: poll it to warn customers before usage is blocked.
    /// </summary>
    ValueTask<IReadOnlyList<CreditBalanceAlert>> GetBalanceAlertsAsync(string customerId, Instant? at = null, CancellationToken cancellationToken = default);

    /// <summary>The customer's credit transactions (grants, consumptions, expirations, voids, adjustments), oldest first, paginated by cursor.</summary>
    ValueTask<Page<CreditTransaction>> ListTransactionsAsync(string customerId, string? cursor = null, int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>
    /// The customer's credit transactions, oldest first, one page of <paramref name="request"/> (default 50 per page),
    /// with <see cref="Page{T}.TotalCount"/> (every transaction in the customer's ledger) when it asks for it.
    /// </summary>
    ValueTask<Page<CreditTransaction>> ListTransactionsAsync(string customerId, PageRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes the expirations of every remainder due by now; returns how many grants expired.</summary>
    ValueTask<int> ExpireDueAsync(CancellationToken cancellationToken = default);
}
