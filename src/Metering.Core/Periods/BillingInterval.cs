namespace Metering;

/// <summary>The calendar unit of a <see cref="BillingInterval"/>.</summary>
public enum IntervalUnit
{
    /// <summary>Calendar days.</summary>
    Day,

    /// <summary>Weeks of seven days.</summary>
    Week,

    /// <summary>Calendar months.</summary>
    Month,

    /// <summary>Calendar years.</summary>
    Year,
}

/// <summary>
/// The length of a billing period: <see cref="Count"/> × <see cref="Unit"/> (e.g. 1 month, 2 weeks).
/// Placeholder: the periods branch replaces this file with the full type.
/// </summary>
public readonly struct BillingInterval : IEquatable<BillingInterval>
{
    private BillingInterval(IntervalUnit unit, int count)
    {
        Preconditions.CheckRange(count, 1, int.MaxValue);
        Unit = unit;
        Count = count;
    }

    /// <summary>The calendar unit.</summary>
    public IntervalUnit Unit { get; }

    /// <summary>How many units make one period (at least 1).</summary>
    public int Count { get; }

    /// <summary><paramref name="n"/> days.</summary>
    public static BillingInterval Days(int n) => new(IntervalUnit.Day, n);

    /// <summary><paramref name="n"/> weeks.</summary>
    public static BillingInterval Weeks(int n) => new(IntervalUnit.Week, n);

    /// <summary><paramref name="n"/> months.</summary>
    public static BillingInterval Months(int n) => new(IntervalUnit.Month, n);

    /// <summary><paramref name="n"/> years.</summary>
    public static BillingInterval Years(int n) => new(IntervalUnit.Year, n);

    /// <inheritdoc/>
    public bool Equals(BillingInterval other) => Unit == other.Unit && Count == other.Count;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BillingInterval other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Unit, Count);

    /// <summary>Equal unit and count.</summary>
    public static bool operator ==(BillingInterval left, BillingInterval right) => left.Equals(right);

    /// <summary>Different unit or count.</summary>
    public static bool operator !=(BillingInterval left, BillingInterval right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"{Count} {Unit}";
}
