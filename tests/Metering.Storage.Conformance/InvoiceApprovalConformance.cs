namespace Metering.Storage.Conformance;

/// <summary>
/// Per-customer invoice approval (<see cref="Customer.InvoiceApproval"/>) stored with the customer and honoured by the
/// period close, an immediate cancellation and a void-and-regenerate, over the global option.
/// </summary>
public abstract class InvoiceApprovalConformance : StoreTestBase
{
    [Fact]
    public async Task Manual_customer_gets_a_draft_and_automatic_customer_a_finalized_invoice_under_a_global_automatic_option()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Automatic);
        var a = await billing.Subscriptions.CreateCustomerAsync("a", new CustomerDetails { InvoiceApproval = InvoiceApproval.Manual });
        a.InvoiceApproval.Should().Be(InvoiceApproval.Manual);
        (await billing.Subscriptions.GetCustomerAsync("a"))!.InvoiceApproval.Should().Be(InvoiceApproval.Manual);
        await billing.Subscriptions.CreateCustomerAsync("b", new CustomerDetails());
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "a", PlanKey = "standard", SubscriptionId = "sa" });
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "b", PlanKey = "standard", SubscriptionId = "sb" });

        billing.Clock.AdvanceTo(February + Grace);
        var closed = (await billing.PeriodCloser.CloseDueAsync()).Invoices;
        var ofA = closed.Single(i => i.CustomerId == "a");
        var ofB = closed.Single(i => i.CustomerId == "b");
        ofA.Status.Should().Be(InvoiceStatus.Draft);
        ofA.FinalizedAt.Should().BeNull();
        ofB.Status.Should().Be(InvoiceStatus.Finalized);
        (await billing.Invoices.GetAsync(ofA.InvoiceId))!.Status.Should().Be(InvoiceStatus.Draft);

        // Swap: a follows the global option again, b is reviewed by hand.
        (await billing.Subscriptions.UpdateCustomerAsync("a", new CustomerDetails { UseGlobalInvoiceApproval = true })).InvoiceApproval.Should().BeNull();
        (await billing.Subscriptions.GetCustomerAsync("a"))!.InvoiceApproval.Should().BeNull();
        await billing.Subscriptions.UpdateCustomerAsync("b", new CustomerDetails { InvoiceApproval = InvoiceApproval.Manual });

        var regeneratedA = await billing.Invoices.VoidAndRegenerateAsync(ofA.InvoiceId);
        regeneratedA.Replacement.Status.Should().Be(InvoiceStatus.Finalized);
        var regeneratedB = await billing.Invoices.VoidAndRegenerateAsync(ofB.InvoiceId);
        regeneratedB.Replacement.Status.Should().Be(InvoiceStatus.Draft);

        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 2, 10, 0, 0));
        (await billing.Subscriptions.CancelNowAsync("sa")).Status.Should().Be(InvoiceStatus.Finalized);
        (await billing.Subscriptions.CancelNowAsync("sb")).Status.Should().Be(InvoiceStatus.Draft);
    }

    [Fact]
    public async Task Backfill_adjustments_follow_the_customers_approval_too()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Automatic);
        await billing.Subscriptions.CreateCustomerAsync("a", new CustomerDetails { InvoiceApproval = InvoiceApproval.Manual });
        await billing.Subscriptions.CreateCustomerAsync("b", new CustomerDetails());
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "a", PlanKey = "standard", SubscriptionId = "sa" });
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "b", PlanKey = "standard", SubscriptionId = "sb" });
        billing.Clock.AdvanceTo(February + Grace);
        await billing.PeriodCloser.CloseDueAsync();

        var late = Start + Duration.FromDays(20);
        var backfill = await billing.Recorder.BackfillAsync([Usage("a", 2, late, "late-a"), Usage("b", 3, late, "late-b")], "usage reported late by the gateway");

        // a: 2 × 2.00 held for review; b: 3 × 2.00 finalized, as the global option says.
        backfill.Adjustments.Select(i => (i.CustomerId, i.Total.Amount, i.Status)).Should().BeEquivalentTo(new[]
        {
            ("a", 4.00m, InvoiceStatus.Draft),
            ("b", 6.00m, InvoiceStatus.Finalized),
        });
    }

    [Fact]
    public async Task Automatic_customer_is_finalized_under_a_global_manual_option_and_bad_values_are_refused()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        await billing.Subscriptions.CreateCustomerAsync("a", new CustomerDetails { InvoiceApproval = InvoiceApproval.Automatic });
        await billing.Subscriptions.CreateCustomerAsync("b", new CustomerDetails());
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "a", PlanKey = "standard" });
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "b", PlanKey = "standard" });

        var both = () => billing.Subscriptions.UpdateCustomerAsync("a", new CustomerDetails { InvoiceApproval = InvoiceApproval.Manual, UseGlobalInvoiceApproval = true }).AsTask();
        (await both.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        var undefined = () => billing.Subscriptions.UpdateCustomerAsync("a", new CustomerDetails { InvoiceApproval = (InvoiceApproval)7 }).AsTask();
        (await undefined.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await billing.Subscriptions.GetCustomerAsync("a"))!.InvoiceApproval.Should().Be(InvoiceApproval.Automatic);

        billing.Clock.AdvanceTo(February + Grace);
        var closed = (await billing.PeriodCloser.CloseDueAsync()).Invoices;
        closed.Single(i => i.CustomerId == "a").Status.Should().Be(InvoiceStatus.Finalized);
        closed.Single(i => i.CustomerId == "b").Status.Should().Be(InvoiceStatus.Draft);
    }
}
