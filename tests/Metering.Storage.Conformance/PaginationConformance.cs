using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Cursor pagination (DESIGN §2, §3): invoices (newest number first), credit transactions (oldest first) and
/// per-period usage history (newest period first) page through every item once, with no item missing or
/// repeated, no empty page, and a cursor that stays valid while new items are written.
/// </summary>
public abstract class PaginationConformance : StoreTestBase
{
    [Fact]
    public async Task Invoices_PageNewestFirst_EveryInvoiceOnce()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "a");
        await SubscribeAsync(billing, "b");
        billing.Clock.AdvanceTo(Instant.FromUtc(2027, 1, 1, 1, 0));
        var closed = (await billing.PeriodCloser.CloseDueAsync()).Invoices;
        closed.Should().HaveCount(24); // 12 months × 2 customers
        var ofA = closed.Where(i => i.CustomerId == "a").Select(i => i.InvoiceId).ToList();

        foreach (var (limit, sizes) in new[] { (5, new[] { 5, 5, 2 }), (4, new[] { 4, 4, 4 }), (12, new[] { 12 }), (50, new[] { 12 }) })
        {
            var pages = await AllPagesAsync(cursor => billing.Invoices.ListAsync("a", cursor, limit));
            pages.Select(p => p.Items.Count).Should().Equal(sizes, $"pages of {limit}");
            var items = pages.SelectMany(p => p.Items).ToList();
            items.Select(i => i.InvoiceId).Should().BeEquivalentTo(ofA).And.OnlyHaveUniqueItems();
            items.Select(i => i.Number).Should().BeInDescendingOrder();
            items.Should().OnlyContain(i => i.CustomerId == "a");
        }

        (await billing.Invoices.ListAsync("nobody")).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task InvoiceCursor_StaysValid_WhileNewInvoicesAreCreated()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "a");
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 7, 1, 1, 0));
        var firstSix = (await billing.PeriodCloser.CloseDueAsync()).Invoices.Select(i => i.InvoiceId).ToList();
        var page1 = await billing.Invoices.ListAsync("a", null, 4);

        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 8, 1, 1, 0));
        var newer = (await billing.PeriodCloser.CloseDueAsync()).Invoices.Single();
        var page2 = await billing.Invoices.ListAsync("a", page1.NextCursor, 4);

        // Newest first: page 1 had numbers 6..3; page 2 continues with 2, 1 and never repeats or skips.
        page1.Items.Select(i => i.Number).Should().Equal(6L, 5L, 4L, 3L);
        page2.Items.Select(i => i.Number).Should().Equal(2L, 1L);
        page2.NextCursor.Should().BeNull();
        page1.Items.Concat(page2.Items).Select(i => i.InvoiceId).Should().BeEquivalentTo(firstSix);
        (await billing.Invoices.ListAsync("a", null, 1)).Items.Single().InvoiceId.Should().Be(newer.InvoiceId);
    }

    [Fact]
    public async Task CreditTransactions_PageOldestFirst_EveryTransactionOnce_WhileMoreAreWritten()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");
        for (int i = 0; i < 25; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1.00m), GrantId = $"g{i:00}" });
        }

        var pages = await AllPagesAsync(cursor => billing.Credits.ListTransactionsAsync("c1", cursor, 10));
        pages.Select(p => p.Items.Count).Should().Equal(10, 10, 5);
        var all = pages.SelectMany(p => p.Items).ToList();
        all.Select(t => t.GrantId).Should().Equal(Enumerable.Range(0, 25).Select(i => $"g{i:00}"));
        all.Select(t => t.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();

        // Read one page, write three more grants, read on: the rest (15 + 3) follow, nothing repeats.
        var first = await billing.Credits.ListTransactionsAsync("c1", null, 10);
        for (int i = 25; i < 28; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1.00m), GrantId = $"g{i:00}" });
        }

        var rest = await AllPagesAsync(cursor => billing.Credits.ListTransactionsAsync("c1", cursor ?? first.NextCursor, 10));
        first.Items.Concat(rest.SelectMany(p => p.Items)).Select(t => t.GrantId)
            .Should().Equal(Enumerable.Range(0, 28).Select(i => $"g{i:00}"));
    }

    [Fact]
    public async Task UsageHistory_PagesNewestPeriodFirst_EveryPeriodOnce()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        // 15 monthly periods (Jan 2026 .. Mar 2027); period m gets m + 1 calls; the first 14 are closed.
        var starts = new List<Instant>();
        for (int m = 0; m < 15; m++)
        {
            var period = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.CurrentPeriod;
            starts.Add(period.Start);
            billing.Clock.AdvanceTo(period.Start + Duration.FromDays(1));
            (await billing.Recorder.RecordAsync(Usage("c1", m + 1, billing.Clock.Now, $"m{m}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
            if (m < 14)
            {
                await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
            }
        }

        var pages = await AllPagesAsync(cursor => billing.Usage.GetHistoryAsync(sub.SubscriptionId, cursor, 4));

        pages.Select(p => p.Items.Count).Should().Equal(4, 4, 4, 3);
        var items = pages.SelectMany(p => p.Items).ToList();
        items.Select(i => i.Period.Start).Should().Equal(Enumerable.Reverse(starts));
        items.Select(i => i.Meters.Single().Quantity).Should().Equal(Enumerable.Range(1, 15).Reverse().Select(q => (decimal)q));
        items[0].Status.Should().Be(UsageSummaryStatus.Current);
        items.Skip(1).Should().OnlyContain(i => i.Status == UsageSummaryStatus.Recorded && i.InvoiceId != null);
        items.Select(i => i.InvoiceId).Where(id => id != null).Should().OnlyHaveUniqueItems().And.HaveCount(14);
    }

    [Fact]
    public async Task UsageHistory_ListsTheOpenPeriodOnce_EvenWithoutUsage()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        for (int m = 0; m < 3; m++)
        {
            (await billing.Recorder.RecordAsync(Usage("c1", 1m, billing.Clock.Now, $"m{m}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
            await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        }

        var pages = await AllPagesAsync(cursor => billing.Usage.GetHistoryAsync(sub.SubscriptionId, cursor, 2));

        // April (open, no usage yet), March, February, January.
        var items = pages.SelectMany(p => p.Items).ToList();
        items.Select(i => i.Period.Start).Should().Equal(
            Instant.FromUtc(2026, 4, 1, 0, 0), Instant.FromUtc(2026, 3, 1, 0, 0), February, Start);
        items.Select(i => i.Status).Should().Equal(UsageSummaryStatus.Current, UsageSummaryStatus.Recorded, UsageSummaryStatus.Recorded, UsageSummaryStatus.Recorded);
        items.Select(i => i.Meters.Single().Quantity).Should().Equal(0m, 1m, 1m, 1m);
    }
}
