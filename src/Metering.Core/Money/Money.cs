using System.Globalization;

namespace Metering;

/// <summary>
/// An exact amount of a currency or credit unit. Amounts keep full <see cref="decimal"/> precision
/// (sub-cent unit prices are fine) until they are rounded with <see cref="Round(RoundingPolicy)"/>.
/// </summary>
/// <remarks>
/// Arithmetic across two currencies throws <see cref="CurrencyMismatchException"/>: Metering never converts.
/// The default value has no currency and is not a valid amount; create values with the constructor or
/// <see cref="Zero(Currency)"/>.
/// </remarks>
public readonly struct Money : IEquatable<Money>, IComparable<Money>
{
    private readonly Currency? _currency;

    /// <summary>Creates an amount.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="currency"/> is null.</exception>
    public Money(decimal amount, Currency currency)
    {
        Amount = amount;
        _currency = Preconditions.CheckNotNull(currency);
    }

    /// <summary>The exact amount, in major units (dollars, not cents).</summary>
    public decimal Amount { get; }

    /// <summary>The currency or unit.</summary>
    /// <exception cref="InvalidOperationException">This is the default value, which has no currency.</exception>
    public Currency Currency => _currency ?? throw new InvalidOperationException("This Money is the default value and has no currency; create amounts with new Money(amount, currency).");

    /// <summary>Zero in the given currency.</summary>
    public static Money Zero(Currency currency) => new(0m, currency);

    /// <summary>True when the amount is zero.</summary>
    public bool IsZero => Amount == 0m;

    /// <summary>Adds two amounts of the same currency.</summary>
    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public Money Plus(Money other) => new(Amount + other.Amount, SameCurrency(other));

    /// <summary>Subtracts an amount of the same currency.</summary>
    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public Money Minus(Money other) => new(Amount - other.Amount, SameCurrency(other));

    /// <summary>Multiplies by a quantity, keeping full precision.</summary>
    public Money Times(decimal factor) => new(Amount * factor, Currency);

    /// <summary>The negated amount.</summary>
    public Money Negate() => new(-Amount, Currency);

    /// <summary>The amount rounded to the currency's minor units with <paramref name="policy"/>.</summary>
    public Money Round(RoundingPolicy policy) => new(Preconditions.CheckNotNull(policy).Round(Amount, Currency), Currency);

    /// <summary>The smaller of two amounts of the same currency.</summary>
    public static Money Min(Money left, Money right) => left.CompareTo(right) <= 0 ? left : right;

    /// <summary>The larger of two amounts of the same currency.</summary>
    public static Money Max(Money left, Money right) => left.CompareTo(right) >= 0 ? left : right;

    /// <summary>Sums amounts that all share <paramref name="currency"/>.</summary>
    /// <exception cref="CurrencyMismatchException">An amount is in another currency.</exception>
    public static Money Sum(IEnumerable<Money> amounts, Currency currency)
    {
        var total = Zero(currency);
        foreach (var amount in amounts)
        {
            total = total.Plus(amount);
        }

        return total;
    }

    /// <summary>Same as <see cref="Plus(Money)"/>.</summary>
    public static Money operator +(Money left, Money right) => left.Plus(right);

    /// <summary>Same as <see cref="Minus(Money)"/>.</summary>
    public static Money operator -(Money left, Money right) => left.Minus(right);

    /// <summary>Same as <see cref="Negate()"/>.</summary>
    public static Money operator -(Money value) => value.Negate();

    /// <summary>Same as <see cref="Times(decimal)"/>.</summary>
    public static Money operator *(Money left, decimal right) => left.Times(right);

    /// <summary>Same as <see cref="Times(decimal)"/>.</summary>
    public static Money operator *(decimal left, Money right) => right.Times(left);

    /// <summary>Compares amounts of the same currency.</summary>
    public static bool operator <(Money left, Money right) => left.CompareTo(right) < 0;

    /// <summary>Compares amounts of the same currency.</summary>
    public static bool operator >(Money left, Money right) => left.CompareTo(right) > 0;

    /// <summary>Compares amounts of the same currency.</summary>
    public static bool operator <=(Money left, Money right) => left.CompareTo(right) <= 0;

    /// <summary>Compares amounts of the same currency.</summary>
    public static bool operator >=(Money left, Money right) => left.CompareTo(right) >= 0;

    /// <summary>Equal when currency and numeric amount are equal (1.0 USD equals 1.00 USD).</summary>
    public static bool operator ==(Money left, Money right) => left.Equals(right);

    /// <summary>Not equal in currency or amount.</summary>
    public static bool operator !=(Money left, Money right) => !left.Equals(right);

    /// <inheritdoc/>
    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public int CompareTo(Money other)
    {
        SameCurrency(other);
        return Amount.CompareTo(other.Amount);
    }

    /// <inheritdoc/>
    public bool Equals(Money other) => Amount == other.Amount && _currency == other._currency;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Money other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Amount, _currency);

    /// <summary>The amount with the currency code, e.g. <c>11699.00 JMD</c> (invariant culture).</summary>
    public override string ToString() =>
        _currency is null ? "(no currency)" : string.Create(CultureInfo.InvariantCulture, $"{Amount} {_currency.Code}");

    private Currency SameCurrency(Money other)
    {
        var mine = Currency;
        var theirs = other.Currency;
        if (mine != theirs)
        {
            throw new CurrencyMismatchException(mine, theirs);
        }

        return mine;
    }
}
