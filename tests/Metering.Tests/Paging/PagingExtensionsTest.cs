namespace Metering.Tests.Paging;

using Metering;

public class PagingExtensionsTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 6, 1, 0, 0);

    private static TestMetering Create() => TestMetering.Create(o => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build()), Start);

    [Fact]
    public async Task ListAllTransactionsAsync_MoreThanOnePage_EveryTransactionOnceInLedgerOrder()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");
        for (int i = 1; i <= 205; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(1m, Currency.USD), GrantId = $"g{i}" });
        }

        var all = await billing.Credits.ListAllTransactionsAsync("c1").ToListAsync();

        all.Should().HaveCount(205, "205 grants span two pages of 200");
        all.Select(t => t.Sequence).Should().Equal(Enumerable.Range(1, 205).Select(i => (long)i));
    }

    [Fact]
    public async Task ListAllAsync_ThreeClosedPeriods_InvoicesNewestFirst()
    {
        await using var billing = Create();
        await billing.Subscriptions.CreateCustomerAsync("c1");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        for (int i = 0; i < 3; i++)
        {
            await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        }

        var all = await billing.Invoices.ListAllAsync("c1").ToListAsync();

        all.Select(i => i.Number).Should().Equal(3L, 2L, 1L);
        all.Select(i => i.Period.Start).Should().Equal(Instant.FromUtc(2026, 8, 1, 0, 0), Instant.FromUtc(2026, 7, 1, 0, 0), Start);
    }

    [Fact]
    public async Task EnumerateAsync_StopsAtTheLastPage_AndFetchesLazily()
    {
        var fetched = new List<string?>();
        ValueTask<Page<int>> Fetch(string? cursor, CancellationToken token)
        {
            fetched.Add(cursor);
            return new(cursor switch
            {
                null => new Page<int>([1, 2], "a"),
                "a" => new Page<int>([3], "b"),
                _ => new Page<int>([], null),
            });
        }

        var first = await PagingExtensions.EnumerateAsync<int>(Fetch).Take(2).ToListAsync();
        first.Should().Equal(1, 2);
        fetched.Should().Equal([null], "the second page is not read until needed");

        fetched.Clear();
        (await PagingExtensions.EnumerateAsync<int>(Fetch).ToListAsync()).Should().Equal(1, 2, 3);
        fetched.Should().Equal(null, "a", "b");
    }
}
