using System.Globalization;

namespace Metering.Storage;

/// <summary>
/// Event log positions of stores that commit events in sequence order (in-memory, SQLite: one writer), where a
/// position is the event's sequence number as text. Stores whose transactions may commit out of sequence order
/// (PostgreSQL) define their own positions.
/// </summary>
public static class EventPositions
{
    /// <summary>The position of the event with <paramref name="sequence"/>.</summary>
    public static string FromSequence(long sequence) => sequence.ToString(CultureInfo.InvariantCulture);

    /// <summary>The sequence a position names; 0 (before the first event) for null.</summary>
    /// <exception cref="MeteringException">The position was not returned by this store.</exception>
    public static long ToSequence(string? position)
    {
        if (position is null)
        {
            return 0;
        }

        if (position.Length is 0 or > 19 || position.AsSpan().ContainsAnyExcept("0123456789") || !long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            throw Invalid(position);
        }

        return sequence;
    }

    /// <summary>The typed error for a position this store did not hand out.</summary>
    public static MeteringException Invalid(string position) => new(
        $"The event position '{(position.Length <= 40 && TextRules.IsValid(position) ? position : "(not a position)")}' was not returned by this store; pass a StoredBillingEvent.Position read from it, or null to read from the start.");
}
