using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Metering;

/// <summary>
/// The checks every service runs on the text it is given before any store sees it: required values are not null,
/// and all text follows <see cref="TextRules"/> (no NUL, no unpaired surrogate), so lookups never reach a store with
/// text it would store or compare differently.
/// </summary>
internal static class InputChecks
{
    /// <summary>A required id or key: not null, valid text.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="InvalidTextException">The value has a NUL or an unpaired surrogate.</exception>
    public static string Required([NotNull] string? value, string what, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        TextRules.Check(value, what);
        return value;
    }

    /// <summary>Optional text: null passes, anything else must be valid text.</summary>
    /// <exception cref="InvalidTextException">The value has a NUL or an unpaired surrogate.</exception>
    public static string? Optional(string? value, string what)
    {
        TextRules.Check(value, what);
        return value;
    }
}
