using System.Runtime.CompilerServices;
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
    /// Keeps Metering's state in an embedded SQLite database file (WAL mode, one group-committing writer per store,
    /// schema created and migrated on first use), with the default <see cref="SqliteStoreOptions"/>. Replaces any store
    /// chosen before.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="connectionStringOrPath">
    /// A file path (<c>billing.db</c>, created when missing) or a Microsoft.Data.Sqlite connection string
    /// (<c>Data Source=billing.db</c>); anything containing <c>=</c> is read as a connection string. In-memory databases
    /// are not supported: the store uses several connections.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="connectionStringOrPath"/> is null, blank or names an in-memory database.</exception>
    /// <remarks>Of the <c>UseSqlite</c> overloads, this one takes a bare <see langword="null"/>, and rejects it.</remarks>
    [OverloadResolutionPriority(1)]
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, string connectionStringOrPath) =>
        builder.UseSqlite(connectionStringOrPath, static _ => { });

    /// <summary>
    /// Keeps Metering's state in an embedded SQLite database file, tuned by <paramref name="configure"/>. Replaces any
    /// store chosen before.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="connectionStringOrPath">A file path or a connection string, as for <see cref="UseSqlite(MeteringBuilder, string)"/>.</param>
    /// <param name="configure">Adjusts <see cref="SqliteStoreOptions"/> (durability, busy timeout, batch size, queue capacity).</param>
    /// <exception cref="ArgumentException"><paramref name="connectionStringOrPath"/> is null, blank or names an in-memory database.</exception>
    /// <exception cref="MeteringException">An option is out of range (here, or at startup when changed by a later Configure); the message names it.</exception>
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, string connectionStringOrPath, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrPath);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseSqlite(o =>
        {
            o.ConnectionString = connectionStringOrPath;
            configure(o);
        });
    }

    /// <summary>
    /// Keeps Metering's state in an embedded SQLite database described entirely by <paramref name="configure"/>, which
    /// must set <see cref="SqliteStoreOptions.ConnectionString"/>. Replaces any store chosen before.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="configure">Sets <see cref="SqliteStoreOptions.ConnectionString"/> and any other setting.</param>
    /// <exception cref="ArgumentException">The connection string names an in-memory database.</exception>
    /// <exception cref="MeteringException">No connection string was set, or an option is out of range; the message names it.</exception>
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        // Run the callback once now: the connection string and out-of-range values fail at the call, naming the setting.
        var probe = new SqliteStoreOptions();
        configure(probe);
        if (string.IsNullOrWhiteSpace(probe.ConnectionString))
        {
            throw new MeteringException(MeteringErrorCode.Configuration, "SqliteStoreOptions.ConnectionString is not set; set it to a database file path such as 'billing.db', or call UseSqlite(\"billing.db\").");
        }

        if (SqliteStoreOptionsValidator.Check(probe) is { Count: > 0 } problems)
        {
            throw new MeteringException(MeteringErrorCode.Configuration, string.Join(" ", problems));
        }

        var connectionString = SqliteMeteringStore.NormalizeConnectionString(probe.ConnectionString);

        // The store reads its options through the options pattern, checked again at startup (later Configure calls too).
        builder.Services.AddOptions<SqliteStoreOptions>().Configure(configure).ValidateOnStart();
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
    /// (<c>"BusyTimeout": "00:00:30"</c>, <c>"Synchronous": "Full"</c>).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="section">The store's configuration section.</param>
    /// <exception cref="MeteringException">The section has no <c>ConnectionString</c>, names an unknown key, or a value is out of range; the message names the key.</exception>
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, IConfiguration section) =>
        builder.UseSqlite(section, static _ => { });

    /// <summary>
    /// Keeps Metering's state in SQLite as configured by <paramref name="section"/> (see
    /// <see cref="UseSqlite(MeteringBuilder, IConfiguration)"/>), then adjusted by <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddMetering</c>.</param>
    /// <param name="section">The store's configuration section.</param>
    /// <param name="configure">Adjusts <see cref="SqliteStoreOptions"/> after binding.</param>
    /// <exception cref="MeteringException">The section has no <c>ConnectionString</c>, names an unknown key, or a value is out of range; the message names the key.</exception>
    public static MeteringBuilder UseSqlite(this MeteringBuilder builder, IConfiguration section, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(configure);
        var connectionString = section["ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new MeteringException(MeteringErrorCode.Configuration, $"Configuration '{(section as IConfigurationSection)?.Path ?? "(root)"}:ConnectionString' is missing; set it to a database file path such as 'billing.db'.");
        }

        return builder.UseSqlite(o =>
        {
            StoreConfiguration.Bind(section, o);
            o.ConnectionString = connectionString;
            configure(o);
        });
    }
}
