using System.Data.Common;
using System.Runtime.CompilerServices;
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
    /// Keeps Metering's state in PostgreSQL, connecting with <paramref name="connectionString"/> (the store builds and
    /// disposes its own data source), with the default <see cref="PostgreSqlStoreOptions"/>. Several app instances may
    /// share the database. The schema is created or migrated at startup. Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=app;Username=app;Password=...</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null or blank.</exception>
    /// <remarks>Of the <c>UsePostgreSql</c> overloads, this one takes a bare <see langword="null"/>, and rejects it.</remarks>
    [OverloadResolutionPriority(1)]
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, string connectionString) =>
        builder.UsePostgreSql(connectionString, static _ => { });

    /// <summary>
    /// Keeps Metering's state in PostgreSQL, connecting with <paramref name="connectionString"/> (the store builds and
    /// disposes its own data source), tuned by <paramref name="configure"/>. Several app instances may share the
    /// database. The schema is created or migrated at startup. Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=app;Username=app;Password=...</c>.</param>
    /// <param name="configure">Changes <see cref="PostgreSqlStoreOptions"/> (schema, command timeout, group commit).</param>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null or blank.</exception>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, string connectionString, Action<PostgreSqlStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(configure);
        return Register(builder, configure, _ => (CreateDataSource(connectionString), true));
    }

    /// <summary>
    /// Keeps Metering's state in PostgreSQL through <paramref name="dataSource"/>, which the host owns (and disposes),
    /// with the default <see cref="PostgreSqlStoreOptions"/>. Several app instances may share the database. The schema
    /// is created or migrated at startup. Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="dataSource">The data source to open connections from.</param>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, NpgsqlDataSource dataSource) =>
        builder.UsePostgreSql(dataSource, static _ => { });

    /// <summary>
    /// Keeps Metering's state in PostgreSQL through <paramref name="dataSource"/>, which the host owns (and disposes),
    /// tuned by <paramref name="configure"/>. Several app instances may share the database. The schema is created or
    /// migrated at startup. Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="dataSource">The data source to open connections from.</param>
    /// <param name="configure">Changes <see cref="PostgreSqlStoreOptions"/> (schema, command timeout, group commit).</param>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(configure);
        return Register(builder, configure, _ => (dataSource, false));
    }

    /// <summary>
    /// Keeps Metering's state in PostgreSQL as configured by <paramref name="section"/> (e.g. <c>Metering:PostgreSql</c>):
    /// <c>ConnectionString</c> plus any <see cref="PostgreSqlStoreOptions"/> property (<c>"CommandTimeout": "00:00:30"</c>).
    /// A missing connection string or an unknown key fails with the key's path.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="section">The store's configuration section.</param>
    /// <exception cref="MeteringException">The section has no <c>ConnectionString</c>.</exception>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, IConfiguration section) =>
        builder.UsePostgreSql(section, static _ => { });

    /// <summary>
    /// Keeps Metering's state in PostgreSQL as configured by <paramref name="section"/> (e.g. <c>Metering:PostgreSql</c>):
    /// <c>ConnectionString</c> plus any <see cref="PostgreSqlStoreOptions"/> property (<c>"CommandTimeout": "00:00:30"</c>),
    /// then <paramref name="configure"/>. A missing connection string or an unknown key fails with the key's path.
    /// </summary>
    /// <param name="builder">The Metering builder.</param>
    /// <param name="section">The store's configuration section.</param>
    /// <param name="configure">Changes <see cref="PostgreSqlStoreOptions"/> after binding.</param>
    /// <exception cref="MeteringException">The section has no <c>ConnectionString</c>.</exception>
    public static MeteringBuilder UsePostgreSql(this MeteringBuilder builder, IConfiguration section, Action<PostgreSqlStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(configure);
        var connectionString = section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new MeteringException(MeteringErrorCode.Configuration, $"Configuration '{(section as IConfigurationSection)?.Path ?? "(root)"}:ConnectionString' is missing; set it to an Npgsql connection string such as 'Host=db;Database=app;Username=app;Password=...'.");
        }

        return builder.UsePostgreSql(connectionString, o =>
        {
            StoreConfiguration.Bind(section, o);
            configure(o);
        });
    }

    internal static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString);

        // The store runs the same few statements all the time: let Npgsql prepare them unless the host chose otherwise.
        if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        // The store leaves no session state on a connection (no SET, LISTEN, temporary tables or session advisory
        // locks), so a pooled connection needs no reset before its next use; a host that asks for one keeps it.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), "NoResetOnClose", StringComparison.OrdinalIgnoreCase)))
        {
            dataSource.ConnectionStringBuilder.NoResetOnClose = true;
        }

        return dataSource.Build();
    }

    private static MeteringBuilder Register(MeteringBuilder builder, Action<PostgreSqlStoreOptions> configure, Func<IServiceProvider, (NpgsqlDataSource Source, bool Owned)> source)
    {
        var options = builder.Services.AddOptions<PostgreSqlStoreOptions>();
        options.Configure(configure);

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlStoreOptions>, PostgreSqlStoreOptionsValidator>());
        return builder.UseStore(sp =>
        {
            var (dataSource, owned) = source(sp);
            return new PostgreSqlMeteringStore(dataSource, sp.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value, owned);
        });
    }
}
