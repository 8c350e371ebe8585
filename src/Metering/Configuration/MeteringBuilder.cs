using Metering.Storage;
using Metering.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Metering;

/// <summary>Returned by <c>AddMetering(...)</c>: picks the store and adds declarations.</summary>
public sealed class MeteringBuilder
{
    internal MeteringBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection Metering is registered in (for store providers).</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The configuration section given to <c>AddMetering(IConfiguration)</c>, or null: <c>RunInBackground()</c> binds its
    /// <c>Background</c> sub-section, and stores bind theirs (e.g. <c>Sqlite</c>, <c>PostgreSql</c>) when asked to.
    /// </summary>
    public Microsoft.Extensions.Configuration.IConfiguration? Configuration { get; internal set; }

    /// <summary>Keeps all state in process memory (tests and prototypes). Replaces any store chosen before.</summary>
    public MeteringBuilder UseInMemoryStore()
    {
        Services.Replace(ServiceDescriptor.Singleton<IMeteringStore, InMemoryMeteringStore>());
        return this;
    }

    /// <summary>Uses a store built by <paramref name="factory"/> (providers call this). Replaces any store chosen before.</summary>
    public MeteringBuilder UseStore(Func<IServiceProvider, IMeteringStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    /// <summary>Changes options after <c>AddMetering</c>.</summary>
    public MeteringBuilder Configure(Action<MeteringOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }
}
