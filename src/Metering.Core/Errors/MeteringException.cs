namespace Metering;

/// <summary>
/// Base type of every error Metering raises for a rule a caller broke (bad configuration,
/// mixed currencies, an invalid tier table, ...). Messages name the problem and the fix.
/// Expected business rejections of usage records are reported as outcomes, not thrown.
/// </summary>
public class MeteringException : Exception
{
    /// <summary>Creates the exception with a message that names the problem and the fix.</summary>
    public MeteringException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public MeteringException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown when amounts in two different currencies or units meet in one sum or comparison.</summary>
public sealed class CurrencyMismatchException : MeteringException
{
    /// <summary>Creates the exception for the two currencies that met.</summary>
    public CurrencyMismatchException(Currency expected, Currency actual)
        : base($"Cannot combine amounts in {expected.Code} and {actual.Code}; Metering never converts currencies. Keep each sum in one currency.")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The currency of the left-hand amount.</summary>
    public Currency Expected { get; }

    /// <summary>The currency of the right-hand amount.</summary>
    public Currency Actual { get; }
}

/// <summary>Thrown when a currency code is not in the currency table in use.</summary>
public sealed class UnknownCurrencyException : MeteringException
{
    /// <summary>Creates the exception for the code that was not found.</summary>
    public UnknownCurrencyException(string code)
        : base($"Currency '{code}' is not known; use an ISO 4217 code (e.g. USD, EUR, JMD) or register a custom unit with CurrencyTable.With(Currency.Custom(\"{code}\", digits)).")
    {
        Code = code;
    }

    /// <summary>The code that was looked up.</summary>
    public string Code { get; }
}
