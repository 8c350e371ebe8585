using System.Collections.Concurrent;
using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// Issue #14's multi-instance proof: two store instances (their own connection pools and owners) deliver one handler
/// through its lease while writers commit 10,000 events concurrently; one instance stops without releasing its lease
/// (a crash) and the other takes over: every event delivered, none lost. Out-of-order commits: EventCommitOrderTest.
/// </summary>
public sealed class PostgreSqlTwoInstanceDeliveryTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public async Task TwoInstances_OneHandler_TenThousandEvents_NoneLost_DuplicatesOnlyAtTheTakeover()
    {
        const int Total = 10_000;
        const int BatchSize = 100;
        var connectionString = server.CreateDatabase();
        await using (var billing = TestMetering.Create(o => { }, Start, b => b.UsePostgreSql(connectionString)))
        {
            await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(1m, Currency.USD), GrantId = "g0" });
        }

        await using var writerSource = NpgsqlDataSource.Create(connectionString);
        var existing = await CountAsync(writerSource);
        existing.Should().BePositive();

        await using var sourceA = NpgsqlDataSource.Create(connectionString);
        await using var sourceB = NpgsqlDataSource.Create(connectionString);
        await using var storeA = new PostgreSqlMeteringStore(sourceA);
        await using var storeB = new PostgreSqlMeteringStore(sourceB);
        var deliveries = new ConcurrentQueue<(string Owner, long Sequence)>();
        using var stopA = new CancellationTokenSource();
        using var stopAll = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ttl = Duration.FromSeconds(2);

        // Writers: 40 transactions of 250 events each, 8 at a time, committing in whatever order they finish.
        var writers = Task.Run(async () =>
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                await using var connection = await writerSource.OpenConnectionAsync(ct);
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await using var command = new NpgsqlCommand(
                    "INSERT INTO metering.billing_events (doc) SELECT e.doc FROM generate_series(1, 250), LATERAL (SELECT doc FROM metering.billing_events ORDER BY sequence LIMIT 1) e",
                    connection,
                    transaction);
                await command.ExecuteNonQueryAsync(ct);
                await Task.Delay(i % 5 * 10, ct);
                await transaction.CommitAsync(ct);
            });
        });

        async Task DeliverAsync(PostgreSqlMeteringStore store, string owner, CancellationToken stop)
        {
            try
            {
                while (!stopAll.IsCancellationRequested)
                {
                    stop.ThrowIfCancellationRequested();
                    var checkpoint = await store.TryAcquireEventLeaseAsync("h", owner, SystemClock.Instance.GetCurrentInstant(), ttl, EventHandlerStart.Beginning, stopAll.Token);
                    if (checkpoint is null)
                    {
                        await Task.Delay(20, stopAll.Token);
                        continue;
                    }

                    var batch = await store.ReadEventsAsync(checkpoint.Position, BatchSize, stopAll.Token);
                    if (batch.Count == 0)
                    {
                        if (deliveries.Select(d => d.Sequence).Distinct().Count() >= existing + Total)
                        {
                            return;
                        }

                        await Task.Delay(10, stopAll.Token);
                        continue;
                    }

                    foreach (var stored in batch)
                    {
                        deliveries.Enqueue((owner, stored.Sequence));
                    }

                    // Stopped between delivering and advancing: the batch is delivered again by the next owner.
                    stop.ThrowIfCancellationRequested();
                    await store.AdvanceEventCheckpointAsync("h", owner, batch[^1].Position, stopAll.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // This instance stopped without releasing its lease (a crash): the other one takes over after the TTL.
            }
        }

        // A takes the lease first; B polls for it all along and gets it only once A stops renewing it.
        var a = Task.Run(() => DeliverAsync(storeA, "instance-a", stopA.Token));
        while (deliveries.IsEmpty && !stopAll.IsCancellationRequested)
        {
            await Task.Delay(5);
        }

        var b = Task.Run(() => DeliverAsync(storeB, "instance-b", CancellationToken.None));
        while (deliveries.Count(d => d.Owner == "instance-a") < 3_000 && !a.IsCompleted && !stopAll.IsCancellationRequested)
        {
            await Task.Delay(5);
        }

        await stopA.CancelAsync();
        await a;
        var deliveredByA = deliveries.Where(d => d.Owner == "instance-a").Select(d => d.Sequence).ToHashSet();
        await writers;
        await b;

        var all = await SequencesAsync(writerSource);
        all.Should().HaveCount(existing + Total);
        var delivered = deliveries.ToArray();
        delivered.Select(d => d.Sequence).Distinct().Should().BeEquivalentTo(all, "no event is lost");
        delivered.Should().Contain(d => d.Owner == "instance-a").And.Contain(d => d.Owner == "instance-b");

        // Delivered twice only at the takeover: the last batch A delivered without advancing, redelivered by B.
        var duplicates = delivered.GroupBy(d => d.Sequence).Where(g => g.Count() > 1).ToArray();
        // (None when A stopped right after advancing.)
        duplicates.Should().NotContain(g => g.Count() != 2 || g.First().Owner != "instance-a" || g.Last().Owner != "instance-b");
        duplicates.Length.Should().BeLessThanOrEqualTo(BatchSize);
        duplicates.Select(g => g.Key).Should().BeSubsetOf(deliveredByA);
    }

    private static async Task<int> CountAsync(NpgsqlDataSource source) => (await SequencesAsync(source)).Count;

    private static async Task<List<long>> SequencesAsync(NpgsqlDataSource source)
    {
        await using var connection = await source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT sequence FROM metering.billing_events", connection);
        var sequences = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sequences.Add(reader.GetInt64(0));
        }

        return sequences;
    }
}
