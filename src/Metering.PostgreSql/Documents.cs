namespace Metering.PostgreSql;

/// <summary>
/// How instants are kept in columns: Unix ticks (100 ns, no loss). The JSON documents themselves are the
/// shared <see cref="Metering.Storage.StoreDocuments"/> shapes, the same for every store.
/// </summary>
internal static class Documents
{
    public static long Ticks(Instant instant) => instant.ToUnixTimeTicks();

    public static long? Ticks(Instant? instant) => instant?.ToUnixTimeTicks();

    public static Instant At(long ticks) => Instant.FromUnixTimeTicks(ticks);

    public static Instant? At(long? ticks) => ticks is { } t ? Instant.FromUnixTimeTicks(t) : null;
}
