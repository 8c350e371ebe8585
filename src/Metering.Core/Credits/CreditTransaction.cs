namespace Metering;

/// <summary>What a <see cref="CreditTransaction"/> does to its grant's remainder.</summary>
public enum CreditTransactionType
{
    /// <summary>The grant itself: adds the granted amount (written at the grant's EffectiveAt).</summary>
    Grant,

    /// <summary>Credits used (by a usage record in real time, or by an invoice): removes the amount.</summary>
    Consumption,

    /// <summary>The remainder lost at the grant's ExpiresAt: removes the amount.</summary>
    Expiration,

    /// <summary>The remainder canceled by an operator: removes the amount.</summary>
    Void,

    /// <summary>A signed correction: a positive amount adds to the remainder, a negative one removes from it.</summary>
    Adjustment,
}

/// <summary>
/// One append-only entry of a customer's credit ledger. Balances are derived from these; nothing is edited in place.
/// </summary>
/// <remarks>
/// <see cref="Amount"/> is a positive magnitude for every type except <see cref="CreditTransactionType.Adjustment"/>,
/// whose amount is signed (never zero). The effect on the grant's remainder is + for Grant, − for Consumption,
/// Expiration and Void, and the signed amount for Adjustment.
/// </remarks>
public sealed record CreditTransaction
{
    /// <summary>Creates a transaction.</summary>
    /// <exception cref="ArgumentException">An id is blank, the sequence is not positive, the amount is the default
    /// <see cref="Money"/>, or the amount is not positive (zero for an Adjustment).</exception>
    public CreditTransaction(
        long sequence,
        string transactionId,
        string customerId,
        string grantId,
        CreditTransactionType type,
        Money amount,
        Instant at,
        string? usageIdempotencyKey = null,
        string? invoiceId = null,
        string? description = null)
    {
        Preconditions.CheckArgument(sequence > 0, nameof(sequence),
            $"Credit transaction '{transactionId}': Sequence {sequence} is not positive; ledger sequences start at 1.");
        Preconditions.CheckNotBlank(transactionId);
        Preconditions.CheckNotBlank(customerId);
        Preconditions.CheckNotBlank(grantId);
        Preconditions.CheckArgument(!amount.Equals(default(Money)), nameof(amount),
            $"Credit transaction '{transactionId}' has no amount (default Money); pass new Money(amount, currency).");
        if (type == CreditTransactionType.Adjustment)
        {
            Preconditions.CheckArgument(amount.Amount != 0m, nameof(amount),
                $"Credit transaction '{transactionId}': an Adjustment of zero changes nothing; pass a positive amount to add credits or a negative one to remove them.");
        }
        else
        {
            Preconditions.CheckArgument(amount.Amount > 0m, nameof(amount),
                $"Credit transaction '{transactionId}': a {type} amount must be a positive magnitude, but was {amount}; pass the absolute value.");
        }

        Sequence = sequence;
        TransactionId = transactionId;
        CustomerId = customerId;
        GrantId = grantId;
        Type = type;
        Amount = amount;
        At = at;
        UsageIdempotencyKey = usageIdempotencyKey;
        InvoiceId = invoiceId;
        Description = description;
    }

    /// <summary>Position in the customer's ledger (1, 2, 3, ...): the order in which transactions were appended.</summary>
    public long Sequence { get; }

    /// <summary>Unique id of the transaction within the customer's ledger.</summary>
    public string TransactionId { get; }

    /// <summary>The customer whose ledger holds the transaction.</summary>
    public string CustomerId { get; }

    /// <summary>The grant whose remainder the transaction changes.</summary>
    public string GrantId { get; }

    /// <summary>What the transaction does.</summary>
    public CreditTransactionType Type { get; }

    /// <summary>Positive magnitude, or a signed non-zero amount for <see cref="CreditTransactionType.Adjustment"/>;
    /// in the grant's currency or unit.</summary>
    public Money Amount { get; }

    /// <summary>The instant at which the transaction takes effect (balances at t count transactions with <c>At &lt;= t</c>).</summary>
    public Instant At { get; }

    /// <summary>For a consumption caused by a usage record: that record's idempotency key.</summary>
    public string? UsageIdempotencyKey { get; }

    /// <summary>For a consumption applied to an invoice: the invoice id.</summary>
    public string? InvoiceId { get; }

    /// <summary>Free text (reason for a void or adjustment, name of a grant).</summary>
    public string? Description { get; }

    /// <summary>The signed change to the grant's remainder.</summary>
    public decimal Effect => Type switch
    {
        CreditTransactionType.Grant => Amount.Amount,
        CreditTransactionType.Adjustment => Amount.Amount,
        _ => -Amount.Amount,
    };
}
