using Metering.Sqlite;
using Metering.Storage;

namespace Metering.Sqlite.Tests;

/// <summary>
/// Ledger reads (balances, current usage, expiry candidates) find a ledger at its stored version instead of rebuilding
/// it from its whole history: a customer burning credits per record would otherwise make every read replay every burn.
/// What a read returns is always the stored ledger: a ledger of a transaction that failed is never found, and a change
/// written by another connection to the file is read, by extending the ledger held with the rows stored after it.
/// </summary>
public class LedgerReadCacheTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Currency Usd = Currency.USD;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CreditGrant Grant(string id, decimal amount = 1_000m) => new(id, "c1", new Money(amount, Usd), CreditCategory.Paid, Start);

    private static LedgerChange Burn(CreditLedger ledger, int i) => new(ledger.Consume(new Money(1m, Usd), Start + Duration.FromMinutes(i), $"k{i}").Ledger, []);

    [Fact]
    public async Task ALedgerWrittenByThisStore_IsReadAsCommitted_WithoutRebuildingItsHistory()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(Grant("g1")), []), Ct);
        CreditLedger written = null!;
        for (var i = 1; i <= 200; i++)
        {
            written = await store.UpdateLedgerAsync("c1", l => Burn(l, i), Ct);
        }

        var read = await store.LoadLedgerAsync("c1", Ct);
        var again = await store.LoadLedgerAsync("c1", Ct);

        read.Should().BeSameAs(written, "the writer's committed ledger is found at the stored last sequence, not rebuilt");
        again.Should().BeSameAs(read);
        read.LastSequence.Should().Be(201);

        // What it holds is what is stored: a second store on the file rebuilds the same ledger from its rows.
        await using var other = new SqliteMeteringStore(db.Path);
        var rebuilt = await other.LoadLedgerAsync("c1", Ct);
        rebuilt.Should().NotBeSameAs(read);
        rebuilt.LastSequence.Should().Be(read.LastSequence);
        rebuilt.Transactions.Select(t => t.TransactionId).Should().Equal(read.Transactions.Select(t => t.TransactionId));
        rebuilt.RemainingOf("g1", Start + Duration.FromDays(1)).Should().Be(800m).And.Be(read.RemainingOf("g1", Start + Duration.FromDays(1)));
    }

    [Fact]
    public async Task AChangeWrittenThroughAnotherConnection_IsRead_AndAFailedOneNever()
    {
        using var db = new TempDatabase();
        await using var store = new SqliteMeteringStore(db.Path);
        await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(Grant("g1")), []), Ct);
        var before = await store.LoadLedgerAsync("c1", Ct);
        before.Grants.Should().ContainSingle();

        await using (var other = new SqliteMeteringStore(db.Path))
        {
            await other.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(Grant("g2", 50m)), []), Ct);
        }

        var afterOther = await store.LoadLedgerAsync("c1", Ct);
        afterOther.Grants.Select(g => g.GrantId).Should().Equal("g1", "g2");
        afterOther.LastSequence.Should().Be(2);
        afterOther.Transactions[0].Should().BeSameAs(before.Transactions[0], "the ledger held was extended with the row stored after it, not rebuilt");

        // A grant whose transaction fails at COMMIT is not stored, and no read finds it.
        store.Writer!.InjectFault = point => point == "commit" ? new Microsoft.Data.Sqlite.SqliteException("disk I/O error", SQLitePCL.raw.SQLITE_IOERR) : null;
        var failing = async () => await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(Grant("g3", 7m)), []), Ct);
        await failing.Should().ThrowAsync<MeteringException>();
        store.Writer.InjectFault = null;

        var afterFailure = await store.LoadLedgerAsync("c1", Ct);
        afterFailure.Grants.Select(g => g.GrantId).Should().Equal("g1", "g2");
        afterFailure.LastSequence.Should().Be(2);

        // The same sequence committed next with other content is read as stored, not as the failed attempt had it.
        await store.UpdateLedgerAsync("c1", l => new LedgerChange(l.Grant(Grant("g4", 9m)), []), Ct);
        var afterRetry = await store.LoadLedgerAsync("c1", Ct);
        afterRetry.Grants.Select(g => g.GrantId).Should().Equal("g1", "g2", "g4");
        afterRetry.LastSequence.Should().Be(3);
    }
}
