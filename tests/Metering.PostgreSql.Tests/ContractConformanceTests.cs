namespace Metering.PostgreSql.Tests;

using Metering;
using Metering.Storage.Conformance;

// Customer contracts and the default credit rate card (#17) on PostgreSQL, each test on a fresh database.
public sealed class PostgreSqlDefaultCreditRateCardTests(PostgresServer server) : DefaultCreditRateCardConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }

public sealed class PostgreSqlCustomerContractTests(PostgresServer server) : CustomerContractConformance { protected override void UseStore(MeteringBuilder b) => server.Use(b); }
