using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metering.Sqlite.Tests;

/// <summary><c>UseSqlite(configuration.GetSection("Metering:Sqlite"))</c>: the same binding pattern as the runtime.</summary>
public sealed class SqliteConfigurationTest
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Metering:Sqlite:" + v.Key, v.Value)))
            .Build()
            .GetSection("Metering:Sqlite");

    [Fact]
    public async Task UseSqlite_ConfiguredFromASection_Works()
    {
        using var db = new TempDatabase();
        await using var billing = TestMetering.Create(configureBuilder: b => b.UseSqlite(Section(("ConnectionString", db.Path), ("BusyTimeout", "00:00:05"), ("Synchronous", "Full"))));

        (await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", TestContext.Current.CancellationToken)).CustomerId.Should().Be("c1");
        ((SqliteMeteringStore)billing.Store).DataSource.Should().Be(db.Path);
    }

    [Fact]
    public void Configuration_UnknownKeysMissingConnectionStringsAndBadValues_NameTheKey()
    {
        // The section is bound and checked at registration: unknown keys, the connection string and out-of-range values.
        var unknown = () => ReadOptions(Section(("ConnectionString", "x.db"), ("BusyTimout", "00:00:05")));
        var missing = () => new ServiceCollection().AddMetering().UseSqlite(Section(("BusyTimeout", "00:00:05")));
        var bad = () => ReadOptions(Section(("ConnectionString", "x.db"), ("MaxBatchSize", "0")));
        var smallLog = () => ReadOptions(Section(("ConnectionString", "x.db"), ("WalSizeLimit", "4096")));

        unknown.Should().Throw<MeteringException>().WithMessage("*'Metering:Sqlite:BusyTimout' is not a SqliteStoreOptions setting*(settings: ConnectionString, BusyTimeout, CacheCapacity, MaxBatchSize, QueueCapacity, ReadMemoryMapSize, Synchronous, WalSizeLimit).");
        missing.Should().Throw<MeteringException>().WithMessage("*'Metering:Sqlite:ConnectionString' is missing*");
        bad.Should().Throw<MeteringException>().WithMessage("*MaxBatchSize is 0*");
        smallLog.Should().Throw<MeteringException>().WithMessage("*WalSizeLimit is 4096; use 1048576 (1 MB) or more bytes*");
        ReadOptions(Section(("ConnectionString", "x.db"), ("WalSizeLimit", "268435456"))).WalSizeLimit.Should().Be(268_435_456);
    }

    private static SqliteStoreOptions ReadOptions(IConfigurationSection section)
    {
        var services = new ServiceCollection();
        services.AddMetering().UseSqlite(section);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
    }
}
