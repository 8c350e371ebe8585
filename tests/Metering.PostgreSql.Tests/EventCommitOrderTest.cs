using System.Diagnostics;
using Metering.Storage;
using Metering.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// Issue #14's proof that out-of-order commits lose no event: sequence numbers are taken inside transactions, so a
/// later sequence can commit before an earlier one. Two raw transactions insert events the way the store does
/// (column defaults: the sequence and the writing transaction's id) and commit in the opposite order of their sequence
/// numbers, while a reader walks the log by position exactly as the dispatcher does.
/// </summary>
public sealed class EventCommitOrderTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private sealed class Reader(IMeteringStore store)
    {
        private string? _position;

        public List<long> Delivered { get; } = [];

        /// <summary>Reads everything readable after the position (up to <paramref name="limit"/>), and moves past it, like a dispatcher batch.</summary>
        public async Task<List<long>> ReadAsync(int limit = 1_000)
        {
            var page = await store.ReadEventsAsync(_position, limit, CancellationToken.None);
            if (page.Count > 0)
            {
                _position = page[^1].Position;
            }

            var sequences = page.Select(e => e.Sequence).ToList();
            Delivered.AddRange(sequences);
            return sequences;
        }

        /// <summary>
        /// Reads until at least <paramref name="count"/> events came back (or 30 s passed). The log is read below the
        /// oldest transaction still running on the whole server, and the other test classes' databases share this
        /// server, so a commit of this test may stay held back for as long as one of their transactions runs.
        /// </summary>
        public async Task<List<long>> ReadAtLeastAsync(int count, int limit = 1_000)
        {
            var read = new List<long>();
            var waited = Stopwatch.StartNew();
            while (true)
            {
                read.AddRange(await ReadAsync(limit));
                if (read.Count >= count || waited.Elapsed > TimeSpan.FromSeconds(30))
                {
                    return read;
                }

                await Task.Delay(20);
            }
        }
    }

    private async Task<(TestMetering Billing, string ConnectionString, string EventDoc)> CreateAsync()
    {
        var connectionString = server.CreateDatabase();
        var billing = TestMetering.Create(start: Start, configureBuilder: b => b.UsePostgreSql(connectionString));
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await Grant(billing, "g0");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT doc::text FROM metering.billing_events ORDER BY sequence LIMIT 1", connection);
        return (billing, connectionString, (string)(await command.ExecuteScalarAsync())!);
    }

    private static Task Grant(TestMetering billing, string grantId) =>
        billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(1m, Currency.USD), GrantId = grantId }).AsTask();

    private static async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> BeginWithXidAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, transaction); // the transaction id is taken now
        await xid.ExecuteScalarAsync();
        return (connection, transaction);
    }

    private static async Task<long> InsertEventAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string doc)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO metering.billing_events (doc) VALUES ($1::jsonb) RETURNING sequence", connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = doc });
        return (long)(await insert.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task OlderTransaction_StillOpen_HoldsLaterCommitsBack_ThenBothAreRead()
    {
        var (billing, connectionString, doc) = await CreateAsync();
        await using var _ = billing;
        var reader = new Reader(billing.Store);
        (await reader.ReadAtLeastAsync(1)).Should().HaveCount(1, "the first grant's event");

        var (connection, t1) = await BeginWithXidAsync(connectionString);
        await using var __ = connection;
        var early = await InsertEventAsync(connection, t1, doc);
        await Grant(billing, "g1"); // commits a later sequence while t1 is open
        var later = (await billing.Store.ReadEventsAsync(null, 100, CancellationToken.None)).Count == 1;

        (await reader.ReadAsync()).Should().BeEmpty("the committed grant sorts after the open transaction and is held back, not skipped");
        later.Should().BeTrue("a fresh read is held back the same way");
        await t1.CommitAsync();
        var after = await reader.ReadAtLeastAsync(2);

        after.Should().HaveCount(2);
        after[0].Should().Be(early);
        after[1].Should().BeGreaterThan(early);
    }

    [Fact]
    public async Task LaterSequenceCommittedFirst_IsReadFirst_AndTheEarlierSequenceIsStillDeliveredWhenItCommits()
    {
        var (billing, connectionString, doc) = await CreateAsync();
        await using var _ = billing;
        var reader = new Reader(billing.Store);
        await reader.ReadAtLeastAsync(1);

        // t2 takes its transaction id first; t1 takes the lower sequence; t2 takes the higher one and commits first.
        var (c2, t2) = await BeginWithXidAsync(connectionString);
        var (c1, t1) = await BeginWithXidAsync(connectionString);
        await using var __ = c1;
        await using var ___ = c2;
        var low = await InsertEventAsync(c1, t1, doc);
        var high = await InsertEventAsync(c2, t2, doc);
        high.Should().BeGreaterThan(low);
        await t2.CommitAsync();

        var first = await reader.ReadAtLeastAsync(1);
        await t1.CommitAsync();
        var second = await reader.ReadAtLeastAsync(1);

        first.Should().Equal([high], "t2's transaction is older than every open one, so its event is safe to deliver");
        second.Should().Equal([low], "the reader moved past sequence {0}, yet {1}, committed later, is not skipped", high, low);
        reader.Delivered.Skip(1).Should().BeEquivalentTo([low, high]);
    }

    [Fact]
    public async Task RolledBackTransaction_LeavesAHoleInSequences_AndNothingIsDelivered()
    {
        var (billing, connectionString, doc) = await CreateAsync();
        await using var _ = billing;
        var reader = new Reader(billing.Store);
        await reader.ReadAtLeastAsync(1);

        var (connection, t1) = await BeginWithXidAsync(connectionString);
        await using var __ = connection;
        var lost = await InsertEventAsync(connection, t1, doc);
        await t1.RollbackAsync();
        await Grant(billing, "g1");

        var read = await reader.ReadAtLeastAsync(1);
        read.Should().ContainSingle().Which.Should().BeGreaterThan(lost, "sequences are unique and increasing, not gap-free");
    }

    [Fact]
    public async Task TransactionIdsCrossingAPowerOfTen_AreReadInTransactionOrder_NotAsText()
    {
        var (billing, connectionString, _) = await CreateAsync();
        await using var _ = billing;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand(
            "CREATE PROCEDURE burn_xids(n bigint) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$",
            connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Move the server's transaction ids to just below the next power of ten, then write events across it.
        await using var current = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", connection);
        var now = (long)(await current.ExecuteScalarAsync())!;
        var power = (long)Math.Pow(10, Math.Ceiling(Math.Log10(now + 1_000)));
        await using (var burn = new NpgsqlCommand($"CALL burn_xids({power - now - 50})", connection) { CommandTimeout = 300 })
        {
            await burn.ExecuteNonQueryAsync();
        }

        for (var i = 1; i <= 100; i++)
        {
            await Grant(billing, $"g{i}");
        }

        await using var txs = new NpgsqlCommand("SELECT tx::text::bigint FROM metering.billing_events", connection);
        var ids = new List<long>();
        await using (var rows = await txs.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                ids.Add(rows.GetInt64(0));
            }
        }

        ids.Should().Contain(x => x < power).And.Contain(x => x >= power, "the events straddle {0}, where text order and number order differ", power);
        var reader = new Reader(billing.Store);
        var waited = Stopwatch.StartNew();
        while (reader.Delivered.Count < 101 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await reader.ReadAtLeastAsync(1, limit: 1); // pages of one event
        }

        (await reader.ReadAsync(limit: 1)).Should().BeEmpty("nothing is left to read after the 101 events");

        var granted = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event.SubjectId).ToList();
        granted.Should().Equal(new[] { "g0" }.Concat(Enumerable.Range(1, 100).Select(i => $"g{i}")), "one grant after the other: transaction order");
        reader.Delivered.Should().HaveCount(101).And.OnlyHaveUniqueItems("paging by position neither repeats nor skips an event");
    }
    [Fact]
    public async Task HoldingTransaction_FinishingWhileAReadRuns_NeverMakesTheReadComeBackEmpty()
    {
        // A read that stops at a transaction still running when the read starts must see that committed events are held
        // back by it and wait for them, even when that transaction finishes while the read runs; it must never return an
        // empty page as if nothing were committed. Each round races a read against the commit of such a transaction.
        var (billing, connectionString, doc) = await CreateAsync();
        await using var _ = billing;
        string? position = null;
        var empty = new List<int>();
        for (var round = 0; round < 200; round++)
        {
            var (connection, holder) = await BeginWithXidAsync(connectionString);
            await using (connection)
            {
                await Grant(billing, $"r{round}"); // committed after the holder took its (older) transaction id
                var read = billing.Store.ReadEventsAsync(position, 1_000, CancellationToken.None).AsTask();
                await holder.CommitAsync();
                var page = await read;
                if (page.Count == 0)
                {
                    empty.Add(round);
                    page = await billing.Store.ReadEventsAsync(position, 1_000, CancellationToken.None);
                }

                position = page[^1].Position;
            }
        }

        empty.Should().BeEmpty("every round committed an event before its read, and the holding transaction finished at once");
    }
}
