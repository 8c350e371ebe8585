namespace Metering.PostgreSql.Tests;

using Metering;
using Metering.Storage.Conformance;

// The PostgreSQL store runs the whole storage conformance suite, each test on a fresh database.
public sealed class PostgreSqlIdempotencyTests(PostgresServer server) : IdempotencyConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlInstantPrecisionTests(PostgresServer server) : InstantPrecisionConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlPeriodAttributionTests(PostgresServer server) : PeriodAttributionConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlBatchTests(PostgresServer server) : BatchConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlConcurrencyTests(PostgresServer server) : ConcurrencyConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlPeriodCloseTests(PostgresServer server) : PeriodCloseConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlSubscriptionLifecycleTests(PostgresServer server) : SubscriptionLifecycleConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlPlanChangeAnchorTests(PostgresServer server) : PlanChangeAnchorConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlInvoiceTests(PostgresServer server) : InvoiceConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCreditTests(PostgresServer server) : CreditConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlPaginationTests(PostgresServer server) : PaginationConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlBoundaryTests(PostgresServer server) : BoundaryConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlErrorCodeTests(PostgresServer server) : ErrorCodeConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCloseFaultIsolationTests(PostgresServer server) : CloseFaultIsolationConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlHostileInputTests(PostgresServer server) : HostileInputConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlSimulationTests(PostgresServer server) : SimulationConformance
{
    protected override int CiSeeds => 5;

    protected override void UseStore(MeteringBuilder b) => server.Use(b);
}

public sealed class PostgreSqlUsageLimitTests(PostgresServer server) : UsageLimitConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlInvoiceVoidTests(PostgresServer server) : InvoiceVoidConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlInvoiceRegenerationTests(PostgresServer server) : InvoiceRegenerationConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlBackfillTests(PostgresServer server) : BackfillConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCreditNoteTests(PostgresServer server) : CreditNoteConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCreditAlertTests(PostgresServer server) : CreditAlertConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlUsageAlertTests(PostgresServer server) : UsageAlertConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlEventDeliveryTests(PostgresServer server) : EventDeliveryConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlEventDispatchTests(PostgresServer server) : EventDispatchConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCustomerUpdateTests(PostgresServer server) : CustomerUpdateConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCreditAdjustmentTests(PostgresServer server) : CreditAdjustmentConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlGroupedChargeTests(PostgresServer server) : GroupedChargeConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCatalogTests(PostgresServer server) : CatalogConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlDailyUsageTests(PostgresServer server) : DailyUsageConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlInvoiceStatusListTests(PostgresServer server) : InvoiceStatusListConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCreditRateCardTests(PostgresServer server) : CreditRateCardConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlEntitlementTests(PostgresServer server) : EntitlementConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlInvoiceApprovalTests(PostgresServer server) : InvoiceApprovalConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlSubscriptionMetadataTests(PostgresServer server) : SubscriptionMetadataConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlPageCountTests(PostgresServer server) : PageCountConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlContractTests(PostgresServer server) : ContractConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }
