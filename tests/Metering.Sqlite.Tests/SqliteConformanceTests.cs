using Metering.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>Fresh database files for one test class instance, deleted when the instance is disposed.</summary>
public sealed class SqliteFiles : IDisposable
{
    private readonly List<TempDatabase> _databases = [];

    public string NewDatabase()
    {
        var database = new TempDatabase();
        _databases.Add(database);
        return database.Path;
    }

    public void Dispose() => _databases.ForEach(d => d.Dispose());
}

public sealed class SqliteIdempotencyTests : IdempotencyConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteInstantPrecisionTests : InstantPrecisionConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqlitePeriodAttributionTests : PeriodAttributionConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteBatchTests : BatchConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteConcurrencyTests : ConcurrencyConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqlitePeriodCloseTests : PeriodCloseConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteSubscriptionLifecycleTests : SubscriptionLifecycleConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqlitePlanChangeAnchorTests : PlanChangeAnchorConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteInvoiceTests : InvoiceConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCreditTests : CreditConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqlitePaginationTests : PaginationConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteBoundaryTests : BoundaryConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteErrorCodeTests : ErrorCodeConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCloseFaultIsolationTests : CloseFaultIsolationConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteHostileInputTests : HostileInputConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteSimulationTests : SimulationConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override int CiSeeds => 10;

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteUsageLimitTests : UsageLimitConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteInvoiceVoidTests : InvoiceVoidConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteInvoiceRegenerationTests : InvoiceRegenerationConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCreditNoteTests : CreditNoteConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCreditAlertTests : CreditAlertConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteUsageAlertTests : UsageAlertConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteEventDeliveryTests : EventDeliveryConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteEventDispatchTests : EventDispatchConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCustomerUpdateTests : CustomerUpdateConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCreditAdjustmentTests : CreditAdjustmentConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteGroupedChargeTests : GroupedChargeConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCatalogTests : CatalogConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteDailyUsageTests : DailyUsageConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteEntitlementTests : EntitlementConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteInvoiceStatusListTests : InvoiceStatusListConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteInvoiceApprovalTests : InvoiceApprovalConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteCreditRateCardTests : CreditRateCardConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteSubscriptionMetadataTests : SubscriptionMetadataConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqlitePageCountTests : PageCountConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteContractTests : ContractConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteBackfillTests : BackfillConformance, IDisposable
{
    private readonly SqliteFiles _files = new();

    protected override void UseStore(MeteringBuilder b) => b.UseSqlite(_files.NewDatabase());

    public void Dispose() => _files.Dispose();
}
