namespace Metering.PostgreSql;

/// <summary>
/// How instants are kept in bigint columns: Unix nanoseconds, exact, as the SQLite store keeps them (migration 0002
/// moved older databases from 100 ns ticks). The JSON documents themselves are the shared
/// <see cref="Metering.Storage.StoreDocuments"/> shapes, the same for every store.
/// </summary>
internal static class Instants
{
    private static readonly Instant MinNanos = NodaConstants.UnixEpoch + Duration.FromNanoseconds(long.MinValue);
    private static readonly Instant MaxNanos = NodaConstants.UnixEpoch + Duration.FromNanoseconds(long.MaxValue);

    /// <summary>An instant as Unix nanoseconds (exact; instants from 1677 to 2262).</summary>
    /// <exception cref="MeteringException">The instant is outside the Int64-nanosecond range.</exception>
    public static long Nanos(Instant instant)
    {
        if (instant < MinNanos || instant > MaxNanos)
        {
            throw new MeteringException($"Instant {instant} is outside the range the PostgreSQL store keeps exactly (1677-09-21 to 2262-04-11 UTC); use a realistic timestamp.");
        }

        return (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
    }

    public static long? Nanos(Instant? instant) => instant is { } i ? Nanos(i) : null;

    public static Instant At(long nanos) => NodaConstants.UnixEpoch + Duration.FromNanoseconds(nanos);

    public static Instant? At(long? nanos) => nanos is { } n ? At(n) : null;
}
