namespace Metering.Tests.Storage;

using Metering;
using Metering.Storage.Conformance;

// Customer contracts and the default credit rate card (#17) on the in-memory store.
public sealed class InMemoryDefaultCreditRateCardTests : DefaultCreditRateCardConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }

public sealed class InMemoryCustomerContractTests : CustomerContractConformance { protected override void UseStore(MeteringBuilder b) => b.UseInMemoryStore(); }
