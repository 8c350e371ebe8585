using Metering.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>Every way to call <c>UsePostgreSql</c> compiles to one overload and says what is wrong when it is (no server needed).</summary>
public sealed class UsePostgreSqlOverloadsTest
{
    [Fact]
    public void A_bare_null_is_the_connection_string_overload_and_is_rejected_by_name()
    {
        // Compiles (no CS0121 between the connection string, data source and configuration overloads) and names the parameter.
        var call = () => new ServiceCollection().AddMetering().UsePostgreSql(null!);

        call.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("connectionString");
    }

    [Fact]
    public void A_blank_connection_string_is_rejected_by_name()
    {
        var call = () => new ServiceCollection().AddMetering().UsePostgreSql("  ", o => o.Schema = "billing");

        call.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("connectionString");
    }

    [Fact]
    public void A_data_source_with_options_keeps_the_options()
    {
        using var source = NpgsqlDataSource.Create("Host=127.0.0.1;Database=none");
        var services = new ServiceCollection();
        services.AddMetering().UsePostgreSql(source, o => o.Schema = "tenant_a");
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value.Schema.Should().Be("tenant_a");
    }

    [Fact]
    public void A_section_without_a_connection_string_names_the_key()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Metering:PostgreSql:Schema"] = "x" }).Build().GetSection("Metering:PostgreSql");

        var call = () => new ServiceCollection().AddMetering().UsePostgreSql(section);

        call.Should().Throw<MeteringException>().WithMessage("*'Metering:PostgreSql:ConnectionString' is missing*");
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Database=none", 64, true)]
    [InlineData("Host=127.0.0.1;Database=none;Max Auto Prepare=8;No Reset On Close=false", 8, false)]
    [InlineData("Host=127.0.0.1;Database=none;NoResetOnClose=false", 64, false)]
    public void A_connection_string_gets_prepared_statements_and_no_pool_reset_unless_it_says_otherwise(string connectionString, int maxAutoPrepare, bool noResetOnClose)
    {
        using var source = PostgreSqlMeteringBuilderExtensions.CreateDataSource(connectionString);

        var built = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        built.MaxAutoPrepare.Should().Be(maxAutoPrepare);
        built.NoResetOnClose.Should().Be(noResetOnClose);
    }
}
