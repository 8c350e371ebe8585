using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Metering;

/// <summary>Argument checks with short messages that name the rule. Throws live here so callers stay small.</summary>
internal static class Preconditions
{
    public static T CheckNotNull<T>([NotNull] T? argument, [CallerArgumentExpression(nameof(argument))] string? paramName = null)
        where T : class
    {
        if (argument is null)
        {
            ThrowArgumentNull(paramName);
        }

        return argument;
    }

    public static string CheckNotBlank([NotNull] string? argument, [CallerArgumentExpression(nameof(argument))] string? paramName = null)
    {
        if (string.IsNullOrWhiteSpace(argument))
        {
            ThrowArgument(paramName, $"The {paramName} parameter must not be null, empty or whitespace.");
        }

        return argument;
    }

    public static void CheckArgument([DoesNotReturnIf(false)] bool condition, string? paramName, string message)
    {
        if (!condition)
        {
            ThrowArgument(paramName, message);
        }
    }

    /// <summary>
    /// The check with an interpolated message, which is formatted only when <paramref name="condition"/> is false: a
    /// check that passes (every row a store reads back, every value a hot path builds) costs no formatting and no
    /// allocation.
    /// </summary>
    public static void CheckArgument(
        [DoesNotReturnIf(false)] bool condition,
        string? paramName,
        [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition)
        {
            ThrowArgument(paramName, message.ToStringAndClear());
        }
    }

    public static decimal CheckNotNegative(decimal value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value < 0m)
        {
            ThrowArgumentOutOfRange(paramName, value, $"The {paramName} parameter must be zero or positive, but was {value}.");
        }

        return value;
    }

    public static decimal CheckPositive(decimal value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value <= 0m)
        {
            ThrowArgumentOutOfRange(paramName, value, $"The {paramName} parameter must be greater than zero, but was {value}.");
        }

        return value;
    }

    public static int CheckRange(int value, int minInclusive, int maxInclusive, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value < minInclusive || value > maxInclusive)
        {
            ThrowArgumentOutOfRange(paramName, value, $"The {paramName} parameter must be between {minInclusive} and {maxInclusive}, but was {value}.");
        }

        return value;
    }

    [DoesNotReturn]
    private static void ThrowArgumentNull(string? paramName) => throw new ArgumentNullException(paramName);

    [DoesNotReturn]
    private static void ThrowArgument(string? paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    private static void ThrowArgumentOutOfRange(string? paramName, object value, string message) =>
        throw new ArgumentOutOfRangeException(paramName, value, message);
}

/// <summary>
/// The interpolated message of a check: built only when the check fails (the compiler skips the appends when the
/// constructor's <c>shouldAppend</c> is false), formatted like a plain interpolated string.
/// </summary>
[InterpolatedStringHandler]
internal ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler _text;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);

    public void AppendFormatted<T>(T value, int alignment, string? format) => _text.AppendFormatted(value, alignment, format);

    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    public void AppendFormatted(ReadOnlySpan<char> value) => _text.AppendFormatted(value);

    /// <summary>The message; the handler's buffer goes back to the pool.</summary>
    public string ToStringAndClear() => _text.ToStringAndClear();
}
