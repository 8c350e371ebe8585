namespace Metering;

/// <summary>
/// Thrown when text given to Metering (an id, key, name or metadata) has a NUL character or an unpaired UTF-16
/// surrogate (see <see cref="TextRules"/>). Nothing was stored.
/// </summary>
public sealed class InvalidTextException : MeteringException
{
    /// <summary>Creates the exception for <paramref name="field"/> with a message that names the problem and the fix.</summary>
    public InvalidTextException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    /// <summary>What the rejected text was (e.g. "customer id").</summary>
    public string Field { get; }
}

/// <summary>
/// Thrown when an amount or quantity given to Metering is beyond the bounds in <see cref="MeteringLimits"/>, which keep
/// every invoice, aggregate and balance computable. Nothing was stored.
/// </summary>
public sealed class AmountOutOfRangeException : MeteringException
{
    /// <summary>Creates the exception for <paramref name="field"/>, its <paramref name="value"/> and the <paramref name="limit"/>.</summary>
    public AmountOutOfRangeException(string field, decimal value, decimal limit, string message)
        : base(message)
    {
        Field = field;
        Value = value;
        Limit = limit;
    }

    /// <summary>What the rejected amount was (e.g. "credit grant amount").</summary>
    public string Field { get; }

    /// <summary>The amount given.</summary>
    public decimal Value { get; }

    /// <summary>The bound it broke.</summary>
    public decimal Limit { get; }
}
