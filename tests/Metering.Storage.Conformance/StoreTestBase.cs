using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Base of every conformance suite: a store provider creates a fresh, empty store per test, and the
/// suite drives it through the public services (<see cref="TestMetering"/>) with a test clock.
/// A provider runs the whole contract by subclassing each suite once.
/// </summary>
public abstract class StoreTestBase
{
    /// <summary>Start of the test clock: 2026-01-01T00:00Z.</summary>
    protected static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>Plugs the store under test into the builder (e.g. <c>b => b.UseSqlite(path)</c>); each call must give a fresh, empty store.</summary>
    protected abstract void UseStore(MeteringBuilder builder);

    /// <summary>Creates Metering on a fresh store with the given options.</summary>
    protected TestMetering CreateMetering(Action<MeteringOptions>? configure = null, Instant? start = null) =>
        TestMetering.Create(configure, start ?? Start, UseStore);
}
