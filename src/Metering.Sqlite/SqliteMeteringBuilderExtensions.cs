using Metering;
using Metering.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs the SQLite store into <c>AddMetering(...)</c>.</summary>
public static class SqliteMeteringBuilderExtensions
{
    /// <summary>
    /// Keeps Metering's state in an embedded SQLite database (WAL mode, one group-committing writer per store, schema
    /// created and migrated on first use). Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="connectionStringOrPath">
    /// A file path (<c>billing.db</c>, created when missing) or a Microsoft.Data.Sqlite connection string
    /// (<c>Data Source=billing.db</c>); anything containing <c>=</c> is read as a connection string. In-memory databases
    /// are not supported: the store uses several connections.
    /// </param>
    /// <param name="configure">
    /// Adjusts <see cref="SqliteStoreOptions"/> (durability, busy timeout, batch size, queue capacity). The options are
    /// checked at startup: a bad one fails it with an <see cref="OptionsValidationException"/> that names each setting.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="connectionStringOrPath"/> is blank or names an in-memory database.</exception>
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, string connectionStringOrPath, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = SqliteMeteringStore.NormalizeConnectionString(connectionStringOrPath);
        var options = builder.Services.AddOptions<SqliteStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        return builder.UseStore(sp =>
        {
            var store = new SqliteMeteringStore(connectionString, sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value)
            {
                Logger = sp.GetService<ILoggerFactory>()?.CreateLogger("Metering.Sqlite") ?? NullLogger.Instance,
            };
            store.Telemetry = SqliteTelemetry.Register(store, sp.GetService<System.Diagnostics.Metrics.IMeterFactory>());
            return store;
        });
    }

    /// <summary>
    /// Keeps Metering's state in SQLite as configured by <paramref name="section"/> (e.g. <c>Metering:Sqlite</c>):
    /// <c>ConnectionString</c> (a path or connection string) plus any <see cref="SqliteStoreOptions"/> property
    /// (<c>"BusyTimeout": "00:00:30"</c>, <c>"Synchronous": "Full"</c>), then <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="section">The store's configuration section.</param>
    /// <param name="configure">Adjusts <see cref="SqliteStoreOptions"/> after binding.</param>
    /// <exception cref="MeteringException">
    /// The section has no <c>ConnectionString</c> (at once), or names an unknown key or a value that does not convert (when
    /// the options are first read, at startup); the message names the key. Out-of-range values fail startup as with
    /// the other overload.
    /// </exception>
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, IConfiguration section, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        var connectionString = section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new MeteringException(MeteringErrorCode.Configuration, $"Configuration '{(section as IConfigurationSection)?.Path ?? "(root)"}:ConnectionString' is missing; set it to a database file path such as 'billing.db'.");
        }

        return builder.UseSqlite(connectionString, o =>
        {
            StoreConfiguration.Bind(section, o);
            configure?.Invoke(o);
        });
    }
}
