namespace Metering.Storage.Conformance;

/// <summary>Total counts on ledger and invoice pages (<see cref="PageRequest.IncludeTotalCount"/>), counted by the store.</summary>
public abstract class PageCountConformance : StoreTestBase
{
    [Fact]
    public async Task Ledger_pages_report_the_total_of_23_entries_on_every_page_when_asked()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");
        for (int i = 0; i < 23; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1.00m), GrantId = $"g{i:00}" });
        }

        var pages = await AllPagesAsync(cursor => billing.Credits.ListTransactionsAsync("c1", new PageRequest { Cursor = cursor, Limit = 10, IncludeTotalCount = true }));
        pages.Select(p => p.Items.Count).Should().Equal(10, 10, 3);
        pages.Select(p => p.TotalCount).Should().Equal(23L, 23L, 23L);
        pages.SelectMany(p => p.Items).Select(t => t.GrantId).Should().Equal(Enumerable.Range(0, 23).Select(i => $"g{i:00}"));

        (await billing.Credits.ListTransactionsAsync("c1", new PageRequest { Limit = 10 })).TotalCount.Should().BeNull();
        (await billing.Credits.ListTransactionsAsync("c1", null, 10)).TotalCount.Should().BeNull();
        (await billing.Credits.ListTransactionsAsync("nobody", new PageRequest { IncludeTotalCount = true })).TotalCount.Should().Be(0);
    }

    [Fact]
    public async Task Invoice_pages_report_the_customers_total_on_every_page_when_asked()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "a");
        await SubscribeAsync(billing, "b");
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 6, 1, 1, 0));
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().HaveCount(10); // 5 months × 2 customers

        var pages = await AllPagesAsync(cursor => billing.Invoices.ListAsync("a", new PageRequest { Cursor = cursor, Limit = 2, IncludeTotalCount = true }));
        pages.Select(p => p.Items.Count).Should().Equal(2, 2, 1);
        pages.Select(p => p.TotalCount).Should().Equal(5L, 5L, 5L);
        (await billing.Invoices.ListAsync("a", new PageRequest())).Items.Should().HaveCount(5);
        (await billing.Invoices.ListAsync("a", new PageRequest())).TotalCount.Should().BeNull();
        (await billing.Invoices.ListAsync("nobody", new PageRequest { IncludeTotalCount = true })).TotalCount.Should().Be(0);
        (await billing.Store.CountInvoicesAsync("b", CancellationToken.None)).Should().Be(5);

        // A void and regenerate adds the replacement: 6 invoices, the void one included.
        var newest = pages[0].Items[0];
        await billing.Invoices.VoidAndRegenerateAsync(newest.InvoiceId);
        (await billing.Invoices.ListAsync("a", new PageRequest { Limit = 1, IncludeTotalCount = true })).TotalCount.Should().Be(6);
    }
}
