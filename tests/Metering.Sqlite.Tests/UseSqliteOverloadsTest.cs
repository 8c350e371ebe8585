using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>Every way to call <c>UseSqlite</c> compiles to one overload and says what is wrong when it is.</summary>
public sealed class UseSqliteOverloadsTest
{
    [Fact]
    public async Task Options_alone_configure_the_database_and_its_settings()
    {
        using var db = new TempDatabase();
        await using var billing = TestMetering.Create(configureBuilder: b => b.UseSqlite(o =>
        {
            o.ConnectionString = db.Path;
            o.Synchronous = SqliteSynchronous.Full;
        }));

        (await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC", TestContext.Current.CancellationToken)).CustomerId.Should().Be("c1");
        ((SqliteMeteringStore)billing.Store).DataSource.Should().Be(db.Path);
    }

    [Fact]
    public void Options_without_a_connection_string_name_the_setting()
    {
        var missing = () => new ServiceCollection().AddMetering().UseSqlite(o => o.BusyTimeout = TimeSpan.FromSeconds(5));

        missing.Should().Throw<MeteringException>().WithMessage("SqliteStoreOptions.ConnectionString is not set; set it to a database file path such as 'billing.db'*");
    }

    [Fact]
    public void A_path_with_options_keeps_the_path()
    {
        using var db = new TempDatabase();
        var services = new ServiceCollection();
        services.AddMetering().UseSqlite(db.Path, o => o.MaxBatchSize = 100);
        using var provider = services.BuildServiceProvider();

        ((SqliteMeteringStore)provider.GetRequiredService<Metering.Storage.IMeteringStore>()).DataSource.Should().Be(db.Path);
    }

    [Fact]
    public void A_bare_null_is_the_path_overload_and_is_rejected_by_name()
    {
        // Compiles (no CS0121 between the path, options and configuration overloads) and names the parameter.
        var call = () => new ServiceCollection().AddMetering().UseSqlite(null!);

        call.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("connectionStringOrPath");
    }

    [Fact]
    public void A_bad_busy_timeout_is_printed_as_people_write_it()
    {
        var bad = () => new ServiceCollection().AddMetering().UseSqlite("x.db", o => o.BusyTimeout = TimeSpan.FromMinutes(-5));

        bad.Should().Throw<MeteringException>().WithMessage("SqliteStoreOptions.BusyTimeout is -5 minutes; *");
    }
}
