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
