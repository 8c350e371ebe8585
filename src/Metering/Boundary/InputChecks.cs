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

    /// <summary>Earliest instant a caller may store: every store keeps it exactly (SQLite keeps unix nanoseconds, 1677 to 2262).</summary>
    public static readonly Instant EarliestStorable = Instant.FromUtc(1678, 1, 1, 0, 0);

    /// <summary>Latest instant a caller may store (see <see cref="EarliestStorable"/>).</summary>
    public static readonly Instant LatestStorable = Instant.FromUtc(2262, 1, 1, 0, 0);

    /// <summary>An optional instant a caller gives to be stored: null passes, anything else must lie in the range every store keeps.</summary>
    /// <exception cref="MeteringException">The instant is before <see cref="EarliestStorable"/> or after <see cref="LatestStorable"/>.</exception>
    public static Instant? Storable(Instant? value, string what)
    {
        if (value is { } instant && (instant < EarliestStorable || instant > LatestStorable))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"The {what} {instant} is outside the range every store keeps ({EarliestStorable} to {LatestStorable}); use a realistic instant.");
        }

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
