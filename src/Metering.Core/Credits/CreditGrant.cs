using System.Collections.Immutable;

namespace Metering;

/// <summary>Why a customer holds credits: bought them, or was given them.</summary>
public enum CreditCategory
{
    /// <summary>Credits the customer paid for (prepaid).</summary>
    Paid,

    /// <summary>Credits given for free (trial, goodwill, campaign).</summary>
    Promotional,
}

/// <summary>
/// A grant of an amount of a currency or credit unit to one customer, usable in
/// <c>[EffectiveAt, ExpiresAt)</c>. Grants are burned in <see cref="CreditBurnOrder"/>.
/// </summary>
/// <remarks>
/// Immutable and validated on construction. Equality compares every property, including the
/// metadata entries (not the dictionary reference).
/// </remarks>
public sealed record CreditGrant
{
    /// <summary>The priority a grant gets when none is given. Lower numbers burn first, so 100 leaves room
    /// for grants that must burn before (0..99) or after (101..) the ordinary ones.</summary>
    public const int DefaultPriority = 100;

    private static readonly ImmutableDictionary<string, string> NoMetadata = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Creates a grant.</summary>
    /// <param name="grantId">Unique id of the grant within the customer's ledger (case-sensitive).</param>
    /// <param name="customerId">The customer who receives the credits.</param>
    /// <param name="amount">A positive amount, in an ISO currency or a custom unit such as <c>Currency.Custom("credits", 0)</c>.</param>
    /// <param name="category">Paid or promotional.</param>
    /// <param name="effectiveAt">First instant at which the credits can be used (inclusive).</param>
    /// <param name="expiresAt">First instant at which the credits can no longer be used (exclusive); null for never.</param>
    /// <param name="priority">Lower numbers burn first; defaults to <see cref="DefaultPriority"/>.</param>
    /// <param name="name">A display name; defaults to <paramref name="grantId"/>.</param>
    /// <param name="metadata">Free-form key/value pairs; copied.</param>
    /// <param name="sequence">Creation order among the customer's grants (the "oldest grant" tie-break), 0 or more.
    /// 0 means "not assigned": <see cref="CreditLedger.Grant"/> then assigns the sequence of the grant's Grant transaction.</param>
    /// <exception cref="InvalidCreditGrantException">An id is blank, the amount is not positive or is the default
    /// <see cref="Money"/>, <paramref name="expiresAt"/> is not after <paramref name="effectiveAt"/>, or the sequence is negative.</exception>
    public CreditGrant(
        string grantId,
        string customerId,
        Money amount,
        CreditCategory category,
        Instant effectiveAt,
        Instant? expiresAt = null,
        int priority = DefaultPriority,
        string? name = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        long sequence = 0)
    {
        if (string.IsNullOrWhiteSpace(grantId))
        {
            throw new InvalidCreditGrantException("A credit grant needs a non-blank GrantId; give each grant an id that is unique for the customer, e.g. 'promo-2025-01'.");
        }

        if (string.IsNullOrWhiteSpace(customerId))
        {
            throw new InvalidCreditGrantException($"Credit grant '{grantId}' needs a non-blank CustomerId; pass the id of the customer who receives the credits.");
        }

        if (amount.Equals(default(Money)))
        {
            throw new InvalidCreditGrantException($"Credit grant '{grantId}' has no amount (default Money); pass new Money(amount, currency).");
        }

        if (amount.Amount <= 0m)
        {
            throw new InvalidCreditGrantException(
                $"Credit grant '{grantId}': amount {amount} is not positive; grant an amount greater than zero (take credits away with Void or a negative Adjust).");
        }

        CreditLimits.CheckAmount(amount.Amount, $"credit grant '{grantId}'");
        TextRules.Check(grantId, "credit grant id");
        TextRules.Check(customerId, "credit grant's customer id");
        TextRules.Check(name, "credit grant name");
        TextRules.Check(metadata, "credit grant metadata");

        if (expiresAt is { } expiry && expiry <= effectiveAt)
        {
            throw new InvalidCreditGrantException(
                $"Credit grant '{grantId}': ExpiresAt {expiry} is not after EffectiveAt {effectiveAt}; set ExpiresAt later than EffectiveAt, or leave it null for credits that never expire.");
        }

        if (sequence < 0)
        {
            throw new InvalidCreditGrantException($"Credit grant '{grantId}': Sequence {sequence} is negative; pass 0 to let the ledger assign it, or a positive creation order.");
        }

        GrantId = grantId;
        CustomerId = customerId;
        Amount = amount;
        Category = category;
        EffectiveAt = effectiveAt;
        ExpiresAt = expiresAt;
        Priority = priority;
        Name = string.IsNullOrWhiteSpace(name) ? grantId : name;
        Metadata = metadata is null || metadata.Count == 0 ? NoMetadata : metadata.ToImmutableDictionary(StringComparer.Ordinal);
        Sequence = sequence;
    }

    /// <summary>Unique id of the grant within the customer's ledger (ordinal, case-sensitive).</summary>
    public string GrantId { get; }

    /// <summary>The customer who holds the credits.</summary>
    public string CustomerId { get; }

    /// <summary>The amount granted (positive), in an ISO currency or a custom unit.</summary>
    public Money Amount { get; }

    /// <summary>Paid or promotional.</summary>
    public CreditCategory Category { get; }

    /// <summary>Burn priority: lower numbers burn first. Defaults to <see cref="DefaultPriority"/>.</summary>
    public int Priority { get; }

    /// <summary>First instant at which the credits can be used (inclusive).</summary>
    public Instant EffectiveAt { get; }

    /// <summary>First instant at which the credits can no longer be used (exclusive): at exactly this
    /// instant the grant is expired. Null when the credits never expire.</summary>
    public Instant? ExpiresAt { get; }

    /// <summary>Display name (the grant id when none was given).</summary>
    public string Name { get; }

    /// <summary>Free-form key/value pairs (ordinal keys).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Creation order among the customer's grants; the last tie-break of the burn order. 0 until assigned.</summary>
    public long Sequence { get; }

    /// <summary>True when the grant can be used at <paramref name="instant"/>: <c>EffectiveAt &lt;= instant &lt; ExpiresAt</c>.</summary>
    public bool IsActiveAt(Instant instant) => instant >= EffectiveAt && (ExpiresAt is not { } expiry || instant < expiry);

    /// <summary>True when the grant has expired by <paramref name="instant"/> (<c>ExpiresAt &lt;= instant</c>).</summary>
    public bool IsExpiredAt(Instant instant) => ExpiresAt is { } expiry && expiry <= instant;

    /// <summary>The same grant with another <see cref="Sequence"/>.</summary>
    /// <exception cref="InvalidCreditGrantException"><paramref name="sequence"/> is negative.</exception>
    public CreditGrant WithSequence(long sequence) =>
        new(GrantId, CustomerId, Amount, Category, EffectiveAt, ExpiresAt, Priority, Name, Metadata, sequence);

    /// <inheritdoc/>
    public bool Equals(CreditGrant? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (GrantId == other.GrantId
                && CustomerId == other.CustomerId
                && Amount == other.Amount
                && Category == other.Category
                && Priority == other.Priority
                && EffectiveAt == other.EffectiveAt
                && ExpiresAt == other.ExpiresAt
                && Name == other.Name
                && Sequence == other.Sequence
                && MetadataEquals(Metadata, other.Metadata)));

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(GrantId, CustomerId, Amount, Category, Priority, EffectiveAt, ExpiresAt, Sequence);

    private static bool MetadataEquals(IReadOnlyDictionary<string, string> left, IReadOnlyDictionary<string, string> right)
    {
        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var (key, value) in left)
        {
            if (!right.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
