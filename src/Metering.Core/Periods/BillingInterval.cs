using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Metering;

/// <summary>The calendar unit a <see cref="BillingInterval"/> counts in.</summary>
public enum IntervalUnit
{
    /// <summary>Calendar days (local days: a day may last 23 or 25 hours across a DST change).</summary>
    Day,

    /// <summary>Calendar weeks of seven local days.</summary>
    Week,

    /// <summary>Calendar months; adding months to the 29th to 31st truncates to the end of shorter months.</summary>
    Month,

    /// <summary>Calendar years; adding years to Feb 29 gives Feb 28 in common years.</summary>
    Year,
}

/// <summary>
/// How long one billing period lasts in the customer's calendar: <see cref="Count"/> days, weeks,
/// months or years (e.g. 1 month, 3 months, 2 weeks).
/// </summary>
/// <remarks>
/// <para>The invariant text form, written by <see cref="ToString"/> and read by <see cref="Parse"/>, is
/// ISO-8601-like: <c>P1M</c>, <c>P3M</c>, <c>P2W</c>, <c>P10D</c>, <c>P1Y</c>. Stores persist that form.</para>
/// <para>The default value is one day (<c>P1D</c>), a valid interval.</para>
/// </remarks>
public readonly struct BillingInterval : IEquatable<BillingInterval>
{
    // Ticks of the average Gregorian day, week, month (365.2425 / 12 days) and year, for index estimates only.
    private const long TicksPerDay = 864_000_000_000L;
    private const long TicksPerWeek = 7 * TicksPerDay;
    private const long TicksPerMonth = 26_297_460_000_000L;
    private const long TicksPerYear = 315_569_520_000_000L;

    private const string ExpectedForm =
        "write P<count><unit> with unit D, W, M or Y (e.g. P1M, P3M, P2W, P10D, P1Y) or '<count> days|weeks|months|years' (e.g. '3 months'), with a whole count of at least 1";

    // Stored minus one so that default(BillingInterval) is the valid interval "one day".
    private readonly int _countMinusOne;

    /// <summary>Creates an interval of <paramref name="count"/> <paramref name="unit"/>s.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, or <paramref name="unit"/> is not a defined unit.</exception>
    public BillingInterval(IntervalUnit unit, int count)
    {
        if (unit is < IntervalUnit.Day or > IntervalUnit.Year)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, $"Billing interval unit {unit} is not defined; use Day, Week, Month or Year.");
        }

        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count),
                count,
                $"A billing interval must count at least 1 {UnitName(unit, 1)}, but the count was {count}; use e.g. BillingInterval.{unit}s(1).");
        }

        Unit = unit;
        _countMinusOne = count - 1;
    }

    /// <summary>The calendar unit.</summary>
    public IntervalUnit Unit { get; }

    /// <summary>How many units one period lasts; always at least 1.</summary>
    public int Count => _countMinusOne + 1;

    /// <summary>An interval of <paramref name="count"/> days.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static BillingInterval Days(int count) => new(IntervalUnit.Day, count);

    /// <summary>An interval of <paramref name="count"/> weeks.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static BillingInterval Weeks(int count) => new(IntervalUnit.Week, count);

    /// <summary>An interval of <paramref name="count"/> months.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static BillingInterval Months(int count) => new(IntervalUnit.Month, count);

    /// <summary>An interval of <paramref name="count"/> years.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static BillingInterval Years(int count) => new(IntervalUnit.Year, count);

    /// <summary>Average length of one interval in ticks (months of 365.2425 / 12 days); used only to estimate a period index.</summary>
    internal long ApproximateUnitTicks => Unit switch
    {
        IntervalUnit.Day => TicksPerDay,
        IntervalUnit.Week => TicksPerWeek,
        IntervalUnit.Month => TicksPerMonth,
        _ => TicksPerYear,
    };

    /// <summary>Compares two intervals by unit and count (1 year and 12 months are different intervals).</summary>
    public static bool operator ==(BillingInterval left, BillingInterval right) => left.Equals(right);

    /// <summary>Compares two intervals by unit and count.</summary>
    public static bool operator !=(BillingInterval left, BillingInterval right) => !left.Equals(right);

    /// <summary>
    /// The NodaTime <see cref="Period"/> of <paramref name="multiple"/> × this interval, e.g. <c>Months(3).ToPeriod(2)</c> is 6 months.
    /// Zero and negative multiples are allowed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The product does not fit in an <see cref="int"/>.</exception>
    public Period ToPeriod(int multiple)
    {
        long units = (long)Count * multiple;
        if (units is > int.MaxValue or < int.MinValue)
        {
            throw new ArgumentOutOfRangeException(nameof(multiple), multiple, $"{multiple} × {ToDisplayString()} is too many {UnitName(Unit, 2)} for a period; use a smaller multiple.");
        }

        int n = (int)units;
        return Unit switch
        {
            IntervalUnit.Day => Period.FromDays(n),
            IntervalUnit.Week => Period.FromWeeks(n),
            IntervalUnit.Month => Period.FromMonths(n),
            _ => Period.FromYears(n),
        };
    }

    /// <summary>Reads the form written by <see cref="ToString"/> (<c>P1M</c>, <c>P2W</c>, <c>P10D</c>, <c>P1Y</c>) or by
    /// <see cref="ToDisplayString"/> (<c>1 month</c>, <c>3 months</c>). Letters are case-insensitive; surrounding spaces are ignored.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not in one of those forms, or its count is below 1.</exception>
    public static BillingInterval Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var interval))
        {
            throw new FormatException($"'{text}' is not a billing interval; {ExpectedForm}.");
        }

        return interval;
    }

    /// <summary>Like <see cref="Parse"/>, but returns false instead of throwing when <paramref name="text"/> is not a valid interval.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out BillingInterval interval)
    {
        interval = default;
        if (text is null)
        {
            return false;
        }

        var s = text.AsSpan().Trim();
        if (s.Length >= 3 && (s[0] == 'P' || s[0] == 'p'))
        {
            return TryParseUnitLetter(s[^1], out var unit)
                && TryParseCount(s[1..^1], out int count)
                && Create(unit, count, out interval);
        }

        int space = s.IndexOf(' ');
        if (space > 0)
        {
            return TryParseCount(s[..space], out int count)
                && TryParseUnitWord(s[(space + 1)..].Trim(), count, out var unit)
                && Create(unit, count, out interval);
        }

        return false;
    }

    /// <summary>Human-readable form for invoices and messages: <c>1 month</c>, <c>3 months</c>, <c>2 weeks</c>.</summary>
    public string ToDisplayString() => string.Create(CultureInfo.InvariantCulture, $"{Count} {UnitName(Unit, Count)}");

    /// <summary>The invariant, persistable form: <c>P</c>, the count, and the unit letter (<c>P1M</c>, <c>P2W</c>, <c>P10D</c>, <c>P1Y</c>).
    /// <see cref="Parse"/> reads it back to an equal value.</summary>
    public override string ToString()
    {
        char letter = Unit switch
        {
            IntervalUnit.Day => 'D',
            IntervalUnit.Week => 'W',
            IntervalUnit.Month => 'M',
            _ => 'Y',
        };
        return string.Create(CultureInfo.InvariantCulture, $"P{Count}{letter}");
    }

    /// <summary>True when both intervals have the same unit and count.</summary>
    public bool Equals(BillingInterval other) => Unit == other.Unit && _countMinusOne == other._countMinusOne;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is BillingInterval other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Unit, _countMinusOne);

    private static string UnitName(IntervalUnit unit, int count)
    {
        string name = unit switch
        {
            IntervalUnit.Day => "day",
            IntervalUnit.Week => "week",
            IntervalUnit.Month => "month",
            _ => "year",
        };
        return count == 1 ? name : name + "s";
    }

    private static bool Create(IntervalUnit unit, int count, out BillingInterval interval)
    {
        interval = count >= 1 ? new BillingInterval(unit, count) : default;
        return count >= 1;
    }

    private static bool TryParseCount(ReadOnlySpan<char> digits, out int count) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out count);

    private static bool TryParseUnitLetter(char letter, out IntervalUnit unit)
    {
        switch (char.ToUpperInvariant(letter))
        {
            case 'D': unit = IntervalUnit.Day; return true;
            case 'W': unit = IntervalUnit.Week; return true;
            case 'M': unit = IntervalUnit.Month; return true;
            case 'Y': unit = IntervalUnit.Year; return true;
            default: unit = default; return false;
        }
    }

    private static bool TryParseUnitWord(ReadOnlySpan<char> word, int count, out IntervalUnit unit)
    {
        for (var candidate = IntervalUnit.Day; candidate <= IntervalUnit.Year; candidate++)
        {
            // The singular goes with 1 only ("1 month", "3 months"); that keeps the accepted set exactly what ToDisplayString writes.
            if (word.Equals(UnitName(candidate, count), StringComparison.OrdinalIgnoreCase))
            {
                unit = candidate;
                return true;
            }
        }

        unit = default;
        return false;
    }
}
