namespace Metering;

/// <summary>
/// A currency (ISO 4217 code and its minor-unit digits) or a custom unit such as <c>credits</c>.
/// Immutable; two currencies are equal when their codes (ordinal, case-sensitive) and digits are equal.
/// </summary>
/// <remarks>Obtain ISO currencies with <see cref="FromCode(string)"/> or the named values
/// (<see cref="USD"/>, <see cref="EUR"/>, ...); custom units with <see cref="Custom(string, int)"/>.</remarks>
public sealed class Currency : IEquatable<Currency>
{
    /// <summary>The largest number of minor-unit digits a currency or unit may have.</summary>
    public const int MaxMinorDigits = 18;

    private Currency(string code, int minorDigits, bool isCustom)
    {
        Code = code;
        MinorDigits = minorDigits;
        IsCustom = isCustom;
        MinorUnit = Pow10Reciprocal(minorDigits);
    }

    /// <summary>The code: an ISO 4217 alphabetic code such as <c>USD</c>, or the name of a custom unit.</summary>
    public string Code { get; }

    /// <summary>Digits after the decimal point that an invoice line is rounded to (JPY 0, USD 2, KWD 3).</summary>
    public int MinorDigits { get; }

    /// <summary>True for a custom unit (credits, tokens) rather than an ISO 4217 currency.</summary>
    public bool IsCustom { get; }

    /// <summary>The smallest amount that can appear on an invoice line, e.g. 0.01 for USD and 1 for JPY.</summary>
    public decimal MinorUnit { get; }

    /// <summary>US dollar (2 digits).</summary>
    public static Currency USD { get; } = Iso("USD", 2);

    /// <summary>Euro (2 digits).</summary>
    public static Currency EUR { get; } = Iso("EUR", 2);

    /// <summary>Pound sterling (2 digits).</summary>
    public static Currency GBP { get; } = Iso("GBP", 2);

    /// <summary>Jamaican dollar (2 digits).</summary>
    public static Currency JMD { get; } = Iso("JMD", 2);

    /// <summary>Japanese yen (0 digits).</summary>
    public static Currency JPY { get; } = Iso("JPY", 0);

    /// <summary>Bahraini dinar (3 digits).</summary>
    public static Currency BHD { get; } = Iso("BHD", 3);

    /// <summary>Kuwaiti dinar (3 digits).</summary>
    public static Currency KWD { get; } = Iso("KWD", 3);

    /// <summary>Looks up an ISO 4217 currency in <see cref="CurrencyTable.Iso4217"/>.</summary>
    /// <exception cref="UnknownCurrencyException">The code is not an ISO 4217 code in the table.</exception>
    public static Currency FromCode(string code) => CurrencyTable.Iso4217.Get(code);

    /// <summary>Creates a custom unit, e.g. <c>Currency.Custom("credits", 4)</c>.</summary>
    /// <param name="code">A name of 1 to 32 characters: letters, digits, '_' or '-'.</param>
    /// <param name="minorDigits">Digits kept when a line in this unit is rounded, 0 to 18.</param>
    /// <exception cref="ArgumentException">The code is empty, too long or has other characters.</exception>
    public static Currency Custom(string code, int minorDigits)
    {
        CheckCode(code);
        Preconditions.CheckRange(minorDigits, 0, MaxMinorDigits);
        return new Currency(code, minorDigits, isCustom: true);
    }

    internal static Currency Iso(string code, int minorDigits)
    {
        Preconditions.CheckArgument(code.Length == 3 && code.All(char.IsAsciiLetterUpper), nameof(code),
            $"An ISO 4217 code is three upper-case letters, but was '{code}'.");
        Preconditions.CheckRange(minorDigits, 0, 4);
        return new Currency(code, minorDigits, isCustom: false);
    }

    private static void CheckCode(string code)
    {
        Preconditions.CheckNotBlank(code);
        Preconditions.CheckArgument(code.Length <= 32 && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'), nameof(code),
            $"A currency or unit code has 1 to 32 letters, digits, '_' or '-', but was '{code}'.");
    }

    private static decimal Pow10Reciprocal(int digits)
    {
        decimal unit = 1m;
        for (int i = 0; i < digits; i++)
        {
            unit /= 10m;
        }

        return unit;
    }

    /// <inheritdoc/>
    public bool Equals(Currency? other) =>
        other is not null && (ReferenceEquals(this, other) || (MinorDigits == other.MinorDigits && string.Equals(Code, other.Code, StringComparison.Ordinal)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Currency);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Code), MinorDigits);

    /// <summary>The code.</summary>
    public override string ToString() => Code;

    /// <summary>Equality by code and digits.</summary>
    public static bool operator ==(Currency? left, Currency? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality by code and digits.</summary>
    public static bool operator !=(Currency? left, Currency? right) => !(left == right);
}
