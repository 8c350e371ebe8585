using Metering;
using Metering.PostgreSql;
using Metering.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the PostgreSQL store on a <see cref="MeteringBuilder"/>.</summary>
public static class PostgreSqlMeteringBuilderExtensions
{
    /// <summary>
    /// Keeps Metering's state in PostgreSQL through <paramref name="dataSource"/>, which the host owns (and disposes).
    /// Several app instances may share the database. The schema is created or migrated at startup.
    /// Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="dataSource">The data source to open connections from.</param>
    /// <param name="configure">Changes <see cref="PostgreSqlStoreOptions"/> (schema, command timeout, group commit).</param>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return Register(builder, configure, _ => (dataSource, false));
    }

    /// <summary>
    /// Keeps Metering's state in PostgreSQL, connecting with <paramref name="connectionString"/> (the store builds and
    /// disposes its own data source). Several app instances may share the database. The schema is created or migrated
    /// at startup. Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=app;Username=app;Password=...</c>.</param>
    /// <param name="configure">Changes <see cref="PostgreSqlStoreOptions"/> (schema, command timeout, group commit).</param>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, string connectionString, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Register(builder, configure, _ => (CreateDataSource(connectionString), true));
    }

    /// <summary>
    /// Keeps Metering's state in PostgreSQL as configured by <paramref name="section"/> (e.g. <c>Metering:PostgreSql</c>):
    /// <c>ConnectionString</c> plus any <see cref="PostgreSqlStoreOptions"/> property (<c>"CommandTimeout": "00:00:30"</c>),
    /// then <paramref name="configure"/>. A missing connection string or an unknown key fails with the key's path.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="section">The store's configuration section.</param>
    /// <param name="configure">Changes <see cref="PostgreSqlStoreOptions"/> after binding.</param>
    /// <exception cref="MeteringException">The section has no <c>ConnectionString</c>.</exception>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, IConfiguration section, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        var connectionString = section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new MeteringException(MeteringErrorCode.Configuration, $"Configuration '{(section as IConfigurationSection)?.Path ?? "(root)"}:ConnectionString' is missing; set it to an Npgsql connection string such as 'Host=db;Database=app;Username=app;Password=...'.");
        }

        return builder.UsePostgreSql(connectionString, o =>
        {
            StoreConfiguration.Bind(section, o);
            configure?.Invoke(o);
        });
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString);

        // The store runs the same few statements all the time: let Npgsql prepare them unless the host chose otherwise.
        if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        return dataSource.Build();
    }

    private static MeteringBuilder Register(MeteringBuilder builder, Action<PostgreSqlStoreOptions>? configure, Func<IServiceProvider, (NpgsqlDataSource Source, bool Owned)> source)
    {
        var options = builder.Services.AddOptions<PostgreSqlStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlStoreOptions>, PostgreSqlStoreOptionsValidator>());
        return builder.UseStore(sp =>
        {
            var (dataSource, owned) = source(sp);
            return new PostgreSqlMeteringStore(dataSource, sp.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value, owned);
        });
    }
}
