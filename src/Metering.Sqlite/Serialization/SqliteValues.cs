using System.Globalization;
using NodaTime.Text;

namespace Metering.Sqlite.Serialization;

/// <summary>How scalar values are written to columns and documents: exactly, culture-free.</summary>
internal static class SqliteValues
{
    private static readonly Instant MinNanos = NodaConstants.UnixEpoch + Duration.FromNanoseconds(long.MinValue);
    private static readonly Instant MaxNanos = NodaConstants.UnixEpoch + Duration.FromNanoseconds(long.MaxValue);

    /// <summary>Canonical decimal text: keeps every digit and the scale (1.50 stays 1.50).</summary>
    public static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static string? Text(decimal? value) => value is { } v ? Text(v) : null;

    public static decimal Decimal(string text) =>
        decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    public static decimal? NullableDecimal(string? text) => text is null ? null : Decimal(text);

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

    public static Instant? Instant(long? nanos) => nanos is { } n ? Instant(n) : null;

    /// <summary>An instant in a document: ISO-8601 with up to nine fraction digits (exact).</summary>
    public static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    public static string? Iso(Instant? instant) => instant is { } i ? Iso(i) : null;

    public static Instant ParseInstant(string text) => InstantPattern.ExtendedIso.Parse(text).GetValueOrThrow();

    public static Instant? ParseNullableInstant(string? text) => text is null ? null : ParseInstant(text);

    public static string Iso(LocalDateTime local) => LocalDateTimePattern.ExtendedIso.Format(local);

    public static LocalDateTime ParseLocal(string text) => LocalDateTimePattern.ExtendedIso.Parse(text).GetValueOrThrow();
}
