using System.Globalization;

namespace Metering.Sqlite.Serialization;

/// <summary>How scalar values are written to columns: exactly, culture-free (decimals as text, instants as unix nanoseconds).</summary>
internal static class SqliteValues
{
    private static readonly Instant MinNanos = NodaConstants.UnixEpoch + Duration.FromNanoseconds(long.MinValue);
    private const NumberStyles DecimalText = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;
    private static readonly Instant MaxNanos = NodaConstants.UnixEpoch + Duration.FromNanoseconds(long.MaxValue);

    /// <summary>A decimal column (canonical invariant text): every digit and the scale kept (1.50 stays 1.50).</summary>
    public static decimal Decimal(string text) => decimal.Parse(text, DecimalText, CultureInfo.InvariantCulture);

    /// <summary>The same canonical decimal text, as UTF-8 bytes.</summary>
    public static decimal Decimal(ReadOnlySpan<byte> utf8) => decimal.Parse(utf8, DecimalText, CultureInfo.InvariantCulture);

    /// <summary>An instant as INTEGER unix nanoseconds (exact; instants from 1677 to 2262).</summary>
    public static long Nanos(Instant instant)
    {
        if (instant < MinNanos || instant > MaxNanos)
        {
            throw new MeteringException($"Instant {instant} is outside the range the SQLite store keeps exactly (1677-09-21 to 2262-04-11 UTC); use a realistic timestamp.");
        }

        return (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
    }

    public static long? Nanos(Instant? instant) => instant is { } i ? Nanos(i) : null;

    public static Instant Instant(long nanos) => NodaConstants.UnixEpoch + Duration.FromNanoseconds(nanos);
}
