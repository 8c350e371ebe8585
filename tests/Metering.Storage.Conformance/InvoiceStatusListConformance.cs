namespace Metering.Storage.Conformance;

/// <summary>
/// <see cref="IInvoiceService.ListByStatusAsync"/>: every customer's invoices in one status, oldest number first, in
/// gap-free pages; an invoice that changes status leaves the list without moving the others.
/// </summary>
public abstract class InvoiceStatusListConformance : StoreTestBase
{
    /// <summary>Customers c1..c<paramref name="count"/>, c<i>i</i> with <i>i</i> calls; January closed into drafts, returned in number order.</summary>
    private async Task<(TestMetering Billing, IReadOnlyList<Invoice> Drafts)> CloseDraftsAsync(int count)
    {
        var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        billing.Clock.AdvanceTo(Start + Duration.FromDays(2));
        for (int i = 1; i <= count; i++)
        {
            await billing.Subscriptions.CreateCustomerAsync($"c{i}", $"c{i}", "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{i}", PlanKey = "standard", SubscriptionId = $"s{i}", StartAt = Start });
            (await billing.Recorder.RecordAsync(Usage($"c{i}", i, Start + Duration.FromDays(1), $"k{i}"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        }

        billing.Clock.AdvanceTo(February + Grace);
        var report = await billing.PeriodCloser.CloseDueAsync();
        report.Invoices.Should().HaveCount(count).And.OnlyContain(i => i.Status == InvoiceStatus.Draft);
        return (billing, report.Invoices.OrderBy(i => i.Number).ToArray());
    }

    [Fact]
    public async Task EachStatus_ListsEveryCustomersInvoicesInIt_OldestFirst()
    {
        var (billing, drafts) = await CloseDraftsAsync(3);
        await using var _ = billing;
        await billing.Invoices.ApproveAsync(drafts[1].InvoiceId);
        await billing.Invoices.VoidAsync(drafts[2].InvoiceId);

        var stillDraft = await billing.Invoices.ListByStatusAsync(InvoiceStatus.Draft);
        var finalized = await billing.Invoices.ListByStatusAsync(InvoiceStatus.Finalized);
        var voided = await billing.Invoices.ListByStatusAsync(InvoiceStatus.Void);
        var paid = await billing.Invoices.ListByStatusAsync(InvoiceStatus.Paid);

        // Closes number the invoices in any customer order; c<i> owes 10.00 + i × 2.00.
        static decimal Owed(Invoice invoice) => 10.00m + 2.00m * int.Parse(invoice.CustomerId[1..], System.Globalization.CultureInfo.InvariantCulture);
        stillDraft.Items.Select(i => (i.InvoiceId, i.Total.Amount)).Should().Equal((drafts[0].InvoiceId, Owed(drafts[0])));
        finalized.Items.Select(i => (i.InvoiceId, i.Total.Amount, i.Status)).Should().Equal((drafts[1].InvoiceId, Owed(drafts[1]), InvoiceStatus.Finalized));
        voided.Items.Select(i => i.InvoiceId).Should().Equal(drafts[2].InvoiceId);
        paid.Items.Should().BeEmpty();
        new[] { stillDraft, finalized, voided, paid }.Should().OnlyContain(p => p.NextCursor == null);
    }

    [Fact]
    public async Task Pages_AreGapFree_AndAnInvoiceApprovedWhilePagingLeavesWithoutMovingTheOthers()
    {
        var (billing, drafts) = await CloseDraftsAsync(5);
        await using var _ = billing;

        var first = await billing.Invoices.ListByStatusAsync(InvoiceStatus.Draft, limit: 2);
        await billing.Invoices.ApproveAsync(drafts[2].InvoiceId);
        var second = await billing.Invoices.ListByStatusAsync(InvoiceStatus.Draft, first.NextCursor, limit: 2);
        var third = second.NextCursor is { } cursor ? await billing.Invoices.ListByStatusAsync(InvoiceStatus.Draft, cursor, limit: 2) : null;

        first.Items.Select(i => i.Number).Should().Equal(drafts[0].Number, drafts[1].Number);
        second.Items.Select(i => i.Number).Should().Equal(drafts[3].Number, drafts[4].Number);
        (third?.Items ?? []).Should().BeEmpty();
        var all = new List<Invoice>();
        await foreach (var invoice in billing.Invoices.ListAllByStatusAsync(InvoiceStatus.Draft))
        {
            all.Add(invoice);
        }

        all.Select(i => i.InvoiceId).Should().Equal(drafts[0].InvoiceId, drafts[1].InvoiceId, drafts[3].InvoiceId, drafts[4].InvoiceId);
    }

    [Fact]
    public async Task AnUndefinedStatusOrLimit_IsATypedError()
    {
        await using var billing = CreateStandard();

        await FluentActions.Awaiting(() => billing.Invoices.ListByStatusAsync((InvoiceStatus)42).AsTask())
            .Should().ThrowAsync<MeteringException>().Where(e => e.ErrorCode == MeteringErrorCode.InvalidArgument).WithMessage("*Draft*");
        await FluentActions.Awaiting(() => billing.Invoices.ListByStatusAsync(InvoiceStatus.Draft, limit: 0).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>();
    }
}
