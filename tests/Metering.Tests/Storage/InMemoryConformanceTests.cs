namespace Metering.Tests.Storage;

using Metering;
using Metering.Storage.Conformance;

// The in-memory store runs the whole storage conformance suite first (DESIGN §4).
public sealed class InMemoryIdempotencyTests : IdempotencyConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryInstantPrecisionTests : InstantPrecisionConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryPeriodAttributionTests : PeriodAttributionConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryBatchTests : BatchConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryConcurrencyTests : ConcurrencyConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryPeriodCloseTests : PeriodCloseConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemorySubscriptionLifecycleTests : SubscriptionLifecycleConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryPlanChangeAnchorTests : PlanChangeAnchorConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryInvoiceTests : InvoiceConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCreditTests : CreditConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCreditNoteTests : CreditNoteConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryPaginationTests : PaginationConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryBoundaryTests : BoundaryConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryErrorCodeTests : ErrorCodeConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCloseFaultIsolationTests : CloseFaultIsolationConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryHostileInputTests : HostileInputConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemorySimulationTests : SimulationConformance
{
    protected override int CiSeeds => 12;

    protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore();
}

public sealed class InMemoryUsageLimitTests : UsageLimitConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryInvoiceVoidTests : InvoiceVoidConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryInvoiceRegenerationTests : InvoiceRegenerationConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCreditAlertTests : CreditAlertConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryUsageAlertTests : UsageAlertConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryEventDeliveryTests : EventDeliveryConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryEventDispatchTests : EventDispatchConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCustomerUpdateTests : CustomerUpdateConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCreditAdjustmentTests : CreditAdjustmentConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryGroupedChargeTests : GroupedChargeConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCatalogTests : CatalogConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryDailyUsageTests : DailyUsageConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryInvoiceStatusListTests : InvoiceStatusListConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCreditRateCardTests : CreditRateCardConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryEntitlementTests : EntitlementConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryInvoiceApprovalTests : InvoiceApprovalConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemorySubscriptionMetadataTests : SubscriptionMetadataConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryPageCountTests : PageCountConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryContractTests : ContractConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryBackfillTests : BackfillConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }
