using System.Globalization;

namespace Metering.Storage;

/// <summary>
/// The opaque cursor of <see cref="IMeteringStore.ListParkedEventsAsync"/>, shared by every store: parked events are
/// listed by handler name (ordinal) then sequence, and the cursor names the last one returned.
/// </summary>
public static class ParkedCursor
{
    /// <summary>The cursor after <paramref name="parked"/>.</summary>
    public static string Encode(ParkedBillingEvent parked)
    {
        ArgumentNullException.ThrowIfNull(parked);
        return string.Create(CultureInfo.InvariantCulture, $"{parked.Stored.Sequence}:{parked.Handler}");
    }

    /// <summary>The (handler, sequence) a cursor names, or null for the first page.</summary>
    /// <exception cref="MeteringException">The cursor was not returned by a listing.</exception>
    public static (string Handler, long Sequence)? Decode(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        var colon = cursor.IndexOf(':', StringComparison.Ordinal);
        if (colon is < 1 or > 19 || cursor.AsSpan(0, colon).ContainsAnyExcept("0123456789")
            || !long.TryParse(cursor.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !TextRules.IsValid(cursor))
        {
            throw new MeteringException($"The cursor '{(cursor.Length <= 40 && TextRules.IsValid(cursor) ? cursor : "(not a cursor)")}' is not one a parked-event listing returned; pass the NextCursor of the previous page, or null for the first page.");
        }

        return (cursor[(colon + 1)..], sequence);
    }

    /// <summary>Whether <paramref name="parked"/> comes after the cursor position <paramref name="after"/> in listing order.</summary>
    public static bool IsAfter(ParkedBillingEvent parked, (string Handler, long Sequence) after)
    {
        ArgumentNullException.ThrowIfNull(parked);
        var byHandler = string.CompareOrdinal(parked.Handler, after.Handler);
        return byHandler > 0 || (byHandler == 0 && parked.Stored.Sequence > after.Sequence);
    }
}
