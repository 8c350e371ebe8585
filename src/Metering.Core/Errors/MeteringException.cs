namespace Metering;

/// <summary>
/// What kind of error a <see cref="MeteringException"/> is: stable, so hosts can switch on it (e.g. map it to an HTTP
/// status) instead of matching message text. New members may be added; treat unknown ones like
/// <see cref="InvalidArgument"/>.
/// </summary>
public enum MeteringErrorCode
{
    /// <summary>An argument broke a rule (blank or ill-formed text, an amount beyond the bounds, an invalid plan, a forged cursor). Fix the call.</summary>
    InvalidArgument,

    /// <summary>Something the call names does not exist (customer, subscription, plan, invoice, credit grant).</summary>
    NotFound,

    /// <summary>Something with the same id already exists with other content.</summary>
    AlreadyExists,

    /// <summary>The thing exists but its state does not allow the operation (an ended subscription, a paid invoice, an expired grant).</summary>
    InvalidState,

    /// <summary>Other changes to the same thing kept winning; the call changed nothing and can be retried as it is.</summary>
    ConcurrencyConflict,

    /// <summary>The store could not be reached or failed; nothing was changed, and the call can be retried later.</summary>
    StoreUnavailable,

    /// <summary>Metering, its store or the machine is set up wrongly (options, a newer schema, a missing time zone); fix the setup.</summary>
    Configuration,
}

/// <summary>
/// Base type of every error Metering raises for a rule a caller broke (bad configuration,
/// mixed currencies, an invalid tier table, ...). Messages name the problem and the fix;
/// <see cref="ErrorCode"/> says what kind of error it is and <see cref="IsRetryable"/> whether the same call may succeed later.
/// Expected business rejections of usage records are reported as outcomes, not thrown.
/// </summary>
public class MeteringException : Exception
{
    /// <summary>Creates an <see cref="MeteringErrorCode.InvalidArgument"/> error with a message that names the problem and the fix.</summary>
    public MeteringException(string message)
        : this(MeteringErrorCode.InvalidArgument, message)
    {
    }

    /// <summary>Creates an <see cref="MeteringErrorCode.InvalidArgument"/> error with a message and the error that caused it.</summary>
    public MeteringException(string message, Exception innerException)
        : this(MeteringErrorCode.InvalidArgument, message, innerException)
    {
    }

    /// <summary>Creates the error of kind <paramref name="code"/> with a message that names the problem and the fix.</summary>
    public MeteringException(MeteringErrorCode code, string message)
        : base(message)
    {
        ErrorCode = code;
    }

    /// <summary>Creates the error of kind <paramref name="code"/> with a message and the error that caused it.</summary>
    public MeteringException(MeteringErrorCode code, string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = code;
    }

    /// <summary>What kind of error this is.</summary>
    public MeteringErrorCode ErrorCode { get; }

    /// <summary>
    /// True when the same call may succeed if retried unchanged (<see cref="MeteringErrorCode.ConcurrencyConflict"/>,
    /// <see cref="MeteringErrorCode.StoreUnavailable"/>); nothing was changed by the failed call.
    /// </summary>
    public bool IsRetryable => ErrorCode is MeteringErrorCode.ConcurrencyConflict or MeteringErrorCode.StoreUnavailable;
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
