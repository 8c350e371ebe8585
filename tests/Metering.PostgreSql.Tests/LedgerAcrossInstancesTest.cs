using Metering.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// A ledger another instance changed is read by extending the ledger this instance holds with the rows stored after
/// it, not rebuilt from every row: with credits burned per record on one instance and balances read on another, a
/// rebuild would make each read grow with the records burned. What is read is always the stored ledger.
/// </summary>
public sealed class LedgerAcrossInstancesTest(PostgresServer server)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    private static LedgerChange Burn(CreditLedger ledger, int i) =>
        new(ledger.Consume(new Money(1m, Currency.USD), Start + Duration.FromMinutes(i), $"k{i}").Ledger, []);

    [Fact]
    public async Task ALedgerChangedByAnotherInstance_IsExtendedWithTheNewRows_AndReadsAsStored()
    {
        var connectionString = server.CreateDatabase();
        await using var writer = TestMetering.Create(start: Start, configureBuilder: b => b.UsePostgreSql(connectionString));
        await using var reader = TestMetering.Create(start: Start, configureBuilder: b => b.UsePostgreSql(connectionString));
        await writer.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await writer.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(100m, Currency.USD), GrantId = "g1", EffectiveAt = Start });
        for (var i = 1; i <= 10; i++)
        {
            await writer.Store.UpdateLedgerAsync("c1", l => Burn(l, i), CancellationToken.None);
        }

        var first = await reader.Store.LoadLedgerAsync("c1", CancellationToken.None);
        first.LastSequence.Should().Be(11);

        // The writer goes on: a backdated burn, a second grant, more burns.
        await writer.Store.UpdateLedgerAsync("c1", l => Burn(l, 0), CancellationToken.None);
        await writer.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(5m, Currency.USD), GrantId = "g2", EffectiveAt = Start });
        for (var i = 11; i <= 15; i++)
        {
            await writer.Store.UpdateLedgerAsync("c1", l => Burn(l, i), CancellationToken.None);
        }

        var second = await reader.Store.LoadLedgerAsync("c1", CancellationToken.None);
        var stored = await writer.Store.LoadLedgerAsync("c1", CancellationToken.None);

        second.LastSequence.Should().Be(18).And.Be(stored.LastSequence);
        second.Transactions[0].Should().BeSameAs(first.Transactions[0], "the reader extended the ledger it held instead of decoding every row again");
        second.Transactions.Select(t => t.TransactionId).Should().Equal(stored.Transactions.Select(t => t.TransactionId));
        second.Grants.Select(g => g.GrantId).Should().Equal("g1", "g2");
        second.RemainingOf("g1", Start + Duration.FromDays(1)).Should().Be(stored.RemainingOf("g1", Start + Duration.FromDays(1)));
        second.BalancesAt(Start + Duration.FromDays(1)).Should().BeEquivalentTo(stored.BalancesAt(Start + Duration.FromDays(1)));
        (await reader.Credits.GetBalancesAsync("c1")).Single().Remaining.Should().Be(stored.BalancesAt(reader.Clock.Now).Single().Remaining);
    }
}
