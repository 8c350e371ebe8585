using System.Globalization;

namespace Metering.Storage;

/// <summary>
/// The opaque cursors of paginated listings: every store encodes a position as a number and decodes a caller's cursor
/// here, so a cursor that no listing returned is one typed error on every store.
/// </summary>
public static class PageCursor
{
    /// <summary>Decodes <paramref name="cursor"/>, or returns <paramref name="whenNull"/> for the first page.</summary>
    /// <exception cref="MeteringException">The cursor was not returned by a listing (tampered, truncated or from elsewhere).</exception>
    public static long Decode(string? cursor, long whenNull)
    {
        if (cursor is null)
        {
            return whenNull;
        }

        // Digits and a sign only: .NET parsing would also take e.g. a trailing NUL ("1\0" as 1).
        if (cursor.Length is 0 or > 20 || cursor.AsSpan().ContainsAnyExcept("-0123456789") || !long.TryParse(cursor, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var position))
        {
            throw new MeteringException($"The cursor '{Shorten(cursor)}' is not one a listing returned; pass the NextCursor of the previous page, or null for the first page.");
        }

        return position;
    }

    private static string Shorten(string cursor) =>
        TextRules.IsValid(cursor) && cursor.Length <= 40 ? cursor : cursor.Length <= 40 ? "(not valid text)" : cursor[..20] + "...";
}
