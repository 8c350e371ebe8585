using Metering.Sqlite;
using Metering.Storage;
using Microsoft.Data.Sqlite;

namespace Metering.Sqlite.Tests;

/// <summary>
/// Schema version 11: a WITHOUT ROWID table keeps whole rows in its interior pages, so a row larger than an interior
/// cell spills into overflow pages that every search through the table reads from the file, outside SQLite's page cache
/// (a credit ledger's lookup read a dozen of them once its table held a thousand rows). Tables whose rows hold documents
/// or free text are rowid tables; an upgrade rebuilds them keeping every row and every constraint.
/// </summary>
public class DocumentTablesTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    // The tables version 11 rebuilds, with each one's key: what an upgrade must keep, row for row.
    private static readonly (string Table, string Key)[] Rebuilt =
    [
        ("meters", "meter_key"),
        ("plans", "plan_key, version"),
        ("customers", "customer_id"),
        ("credit_grants", "customer_id, grant_id"),
        ("credit_transactions", "customer_id, sequence"),
        ("event_handlers", "handler"),
        ("parked_events", "handler, sequence"),
        ("pending_adjustments", "subscription_id, period_start"),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryWithoutRowidTable_HoldsOnlyItsKey_IntegersAndBoundedText()
    {
        using var db = new TempDatabase();
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            await store.InitializeAsync(Ct);
        }

        // Columns outside the key whose text is bounded by the library, not by the host: an aggregate's value is a
        // decimal's invariant text (at most 31 characters).
        var boundedText = new HashSet<string> { "aggregates.value" };
        await using var connection = await SqliteFile.OpenAsync(db.Path);
        var withoutRowid = await connection.ColumnAsync("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%' ORDER BY name");
        withoutRowid.Should().NotBeEmpty().And.Contain("aggregates");
        var offending = new List<string>();
        foreach (var table in withoutRowid)
        {
            await using var command = new SqliteCommand($"SELECT name, type, pk FROM pragma_table_info('{table}')", connection);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                string column = reader.GetString(0), type = reader.GetString(1);
                bool inKey = reader.GetInt64(2) > 0;
                if (!inKey && type != "INTEGER" && !boundedText.Contains($"{table}.{column}"))
                {
                    offending.Add($"{table}.{column} ({type})");
                }
            }
        }

        offending.Should().BeEmpty("a WITHOUT ROWID table copies its rows into its interior pages: a document or free text there is read from overflow pages on every search");
        foreach (var (table, _) in Rebuilt)
        {
            withoutRowid.Should().NotContain(table);
        }
    }

    [Fact]
    public async Task Upgrade_Version10Database_KeepsEveryRowAndConstraintOfTheRebuiltTables()
    {
        using var db = new TempDatabase();
        var meter = Meter.Sum("api_calls");
        var plan = Plan.Create("p", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(0.001m)).Build();
        CreditLedger written;
        await using (var store = new SqliteMeteringStore(db.Path))
        {
            await store.UpsertMeterAsync(meter, Ct);
            await store.PublishPlanAsync(plan, Ct);
            (await store.AddCustomerAsync(new Customer("c1", "Ada, \"Ltd\"", "Europe/Paris", Start), Ct)).Should().BeTrue();
            await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(new CreditGrant("g1", "c1", new Money(100m, Currency.USD), CreditCategory.Paid, Start, Start + Duration.FromDays(30))), []), Ct);
            await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(new CreditGrant("g0", "c1", new Money(5m, Currency.USD), CreditCategory.Promotional, Start)), []), Ct);
            for (var i = 1; i <= 40; i++)
            {
                await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Consume(new Money(1.5m, Currency.USD), Start + Duration.FromMinutes(i), $"k{i}").Ledger, []), Ct);
            }

            written = await store.LoadLedgerAsync("c1", Ct);
        }

        // The file as version 10 left it: the same tables WITHOUT ROWID, with the rows the store wrote and the event
        // delivery and backfill rows this test writes itself.
        await using (var connection = await SqliteFile.OpenAsync(db.Path))
        {
            await connection.ExecuteAsync("BEGIN IMMEDIATE");
            foreach (var (table, key) in Rebuilt)
            {
                var create = (await connection.ColumnAsync($"SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '{table}'")).Single();
                await connection.ExecuteAsync($"ALTER TABLE {table} RENAME TO {table}_v11");
                await connection.ExecuteAsync(create + " WITHOUT ROWID");
                await connection.ExecuteAsync($"INSERT INTO {table} SELECT * FROM {table}_v11 ORDER BY {key}");
                await connection.ExecuteAsync($"DROP TABLE {table}_v11");
            }

            await connection.ExecuteAsync("CREATE INDEX ix_credit_grants_expiry ON credit_grants (expires_at) WHERE expires_at IS NOT NULL");
            await connection.ExecuteAsync("CREATE INDEX ix_credit_transactions_grant ON credit_transactions (customer_id, grant_id, type)");
            await connection.ExecuteAsync("CREATE INDEX ix_pending_adjustments_created ON pending_adjustments (created_at)");
            await connection.ExecuteAsync("INSERT INTO event_handlers VALUES ('webhooks', 7, 'host-1', 99), ('audit', 3, NULL, NULL)");
            await connection.ExecuteAsync($"INSERT INTO parked_events VALUES ('webhooks', 5, 3, '{new string('x', 2_000)}', 42, 1), ('audit', 2, 1, 'timeout', 41, 0)");
            await connection.ExecuteAsync("INSERT INTO pending_adjustments VALUES ('s1', 10, 'backfill of 3 records', 50), ('s0', 20, 'late', 40)");
            await connection.ExecuteAsync("DROP INDEX ix_subscriptions_revision");
            await connection.ExecuteAsync("DELETE FROM schema_version WHERE version >= 11");
            await connection.ExecuteAsync("COMMIT");
            (await connection.ColumnAsync("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'"))
                .Should().Contain(Rebuilt.Select(r => r.Table));
        }

        var before = await DumpAsync(db.Path);
        before["credit_transactions"].Should().HaveCount(42);
        before["parked_events"].Should().HaveCount(2);

        await using (var upgraded = new SqliteMeteringStore(db.Path))
        {
            await upgraded.InitializeAsync(Ct);

            // Every row kept, column for column, in key order.
            (await DumpAsync(db.Path)).Should().BeEquivalentTo(before, o => o.WithStrictOrdering());

            // And read back through the store as written.
            (await upgraded.ListMetersAsync(Ct)).Should().ContainSingle().Which.Should().Be(meter);
            (await upgraded.FindPlanAsync("p", null, Ct))!.Key.Should().Be("p");
            (await upgraded.FindCustomerAsync("c1", Ct))!.Name.Should().Be("Ada, \"Ltd\"");
            var ledger = await upgraded.LoadLedgerAsync("c1", Ct);
            ledger.LastSequence.Should().Be(written.LastSequence).And.Be(42);
            ledger.Transactions.Select(t => t.TransactionId).Should().Equal(written.Transactions.Select(t => t.TransactionId));
            ledger.RemainingOf("g1", Start + Duration.FromDays(1)).Should().Be(written.RemainingOf("g1", Start + Duration.FromDays(1)));
            (await upgraded.FindCustomersWithExpiringCreditsAsync(Start + Duration.FromDays(31), 10, Ct)).Should().Equal("c1");

            // The keys are still unique, and a burn after the upgrade appends after the kept history.
            var again = await upgraded.UpdateLedgerAsync("c1", l => new LedgerChange(l.Consume(new Money(1m, Currency.USD), Start + Duration.FromHours(2), "k-after").Ledger, []), Ct);
            again.LastSequence.Should().Be(43);
        }

        await using (var connection = await SqliteFile.OpenAsync(db.Path))
        {
            (await connection.ColumnAsync("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'"))
                .Should().NotContain(Rebuilt.Select(r => r.Table));
            (await connection.ColumnAsync("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'ix_%' AND tbl_name IN ('credit_grants', 'credit_transactions', 'pending_adjustments') ORDER BY name"))
                .Should().Equal("ix_credit_grants_expiry", "ix_credit_transactions_grant", "ix_pending_adjustments_created");
            foreach (var duplicate in new[]
                     {
                         "INSERT INTO meters VALUES ('api_calls', '{}')",
                         "INSERT INTO plans SELECT plan_key, version, data FROM plans",
                         "INSERT INTO customers VALUES ('c1', NULL, 'UTC', 0, NULL)",
                         "INSERT INTO credit_grants VALUES ('c1', 'g1', NULL, '{}')",
                         "INSERT INTO credit_transactions VALUES ('c1', 1, 'g1', 0, '{}')",
                         "INSERT INTO event_handlers VALUES ('audit', 0, NULL, NULL)",
                         "INSERT INTO parked_events VALUES ('audit', 2, 0, '', 0, 0)",
                         "INSERT INTO pending_adjustments VALUES ('s1', 10, '', 0)",
                     })
            {
                var insert = async () => await connection.ExecuteAsync(duplicate);
                (await insert.Should().ThrowAsync<SqliteException>(duplicate)).Which.Message.Should().Contain("UNIQUE");
            }
        }
    }

    // Every row of every rebuilt table, columns joined, in key order.
    private static async Task<Dictionary<string, List<string>>> DumpAsync(string path)
    {
        await using var connection = await SqliteFile.OpenAsync(path);
        var dump = new Dictionary<string, List<string>>();
        foreach (var (table, key) in Rebuilt)
        {
            var rows = new List<string>();
            await using var command = new SqliteCommand($"SELECT * FROM {table} ORDER BY {key}", connection);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : $"{reader.GetFieldType(i).Name}:{reader.GetValue(i)}")));
            }

            dump[table] = rows;
        }

        return dump;
    }
}
