using Metering.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

// Customer contracts and the default credit rate card (#17) on SQLite, each test on fresh database files.
public sealed class SqliteDefaultCreditRateCardTests : DefaultCreditRateCardConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCustomerContractTests : CustomerContractConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}
