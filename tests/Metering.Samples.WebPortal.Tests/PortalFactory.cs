using Metering.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Metering.Samples.WebPortal.Tests;

/// <summary>
/// The portal on a fresh SQLite file and a test clock at 2026-03-16 17:00Z (noon in Kingston): the seed subscribes the
/// merchants on 1 February (local), records every day up to now and closes February.
/// </summary>
public sealed class PortalFactory : PortalFactoryBase
{
    /// <summary>"Now" for the seeded portal.</summary>
    public static readonly Instant Now = Instant.FromUtc(2026, 3, 16, 17, 0);
}

/// <summary>The portal on a fresh SQLite file and a test clock at <see cref="PortalFactory.Now"/>.</summary>
public abstract class PortalFactoryBase : WebApplicationFactory<Program>
{

    private readonly string _directory = Directory.CreateTempSubdirectory("metering-portal-").FullName;

    /// <summary>The portal's clock.</summary>
    public TestClock Clock { get; } = new(PortalFactory.Now);

    /// <inheritdoc/>
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Portal:Database", Path.Combine(_directory, "portal.db"));
        builder.ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton<IClock>(Clock)));
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing connection: the temp directory is cleaned up by the OS.
        }

        GC.SuppressFinalize(this);
    }
}
