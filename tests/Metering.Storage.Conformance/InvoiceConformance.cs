namespace Metering.Storage.Conformance;

/// <summary>
/// Stored invoices (DESIGN §2 Invoices): exact round trip, lines summing to the total, the lifecycle
/// Draft -> Finalized -> Paid | Void | Uncollectible with manual approval, and atomic transitions.
/// Standard plan: 10.00 base + 2.00 per call.
/// </summary>
public abstract class InvoiceConformance : StoreTestBase
{
    [Fact]
    public async Task ManualApproval_HoldsDrafts_ApproveFinalizes_ThenPaid()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        var sub = await SubscribeAsync(billing, "c1");
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        var draft = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        draft.Status.Should().Be(InvoiceStatus.Draft);
        draft.FinalizedAt.Should().BeNull();
        draft.Total.Should().Be(Usd(12.00m)); // 10.00 + 1 × 2.00
        (await billing.Invoices.GetAsync(draft.InvoiceId))!.Status.Should().Be(InvoiceStatus.Draft);
        (await EventsOfAsync(billing, BillingEventType.InvoiceFinalized)).Should().BeEmpty();

        var approvedAt = billing.Clock.Advance(Duration.FromDays(1));
        var finalized = await billing.Invoices.ApproveAsync(draft.InvoiceId);

        finalized.Status.Should().Be(InvoiceStatus.Finalized);
        finalized.FinalizedAt.Should().Be(approvedAt);
        finalized.Total.Should().Be(draft.Total);
        (await billing.Invoices.GetAsync(draft.InvoiceId))!.Status.Should().Be(InvoiceStatus.Finalized);
        (await EventsOfAsync(billing, BillingEventType.InvoiceFinalized)).Should().ContainSingle().Which.SubjectId.Should().Be(draft.InvoiceId);

        var again = await FluentActions.Awaiting(async () => await billing.Invoices.ApproveAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>();
        again.Which.From.Should().Be(InvoiceStatus.Finalized);
        again.Which.InvoiceId.Should().Be(draft.InvoiceId);

        var paidAt = billing.Clock.Advance(Duration.FromDays(2));
        var paid = await billing.Invoices.MarkPaidAsync(draft.InvoiceId);
        paid.Status.Should().Be(InvoiceStatus.Paid);
        paid.SettledAt.Should().Be(paidAt);
        (await billing.Invoices.GetAsync(draft.InvoiceId))!.Status.Should().Be(InvoiceStatus.Paid);
        var paidEvent = (await EventsOfAsync(billing, BillingEventType.InvoicePaid)).Should().ContainSingle().Subject;
        paidEvent.Payload.Should().Be(new InvoiceEventPayload(
            draft.InvoiceId,
            draft.Number,
            sub.SubscriptionId,
            sub.CurrentPeriod,
            InvoiceReason.PeriodEnd,
            InvoiceStatus.Paid,
            Usd(12.00m),
            0,
            [new InvoiceLineSummary(InvoiceLineKind.BaseFee, null, Usd(10.00m)), new InvoiceLineSummary(InvoiceLineKind.Usage, "api_calls", Usd(2.00m))]));
        var draftCreated = (await EventsOfAsync(billing, BillingEventType.InvoiceCreated)).Single().Payload.Should().BeOfType<InvoiceEventPayload>().Subject;
        draftCreated.Status.Should().Be(InvoiceStatus.Draft, "the created event shows the invoice as it was created");
        draftCreated.Number.Should().Be(draft.Number);

        (await FluentActions.Awaiting(async () => await billing.Invoices.VoidAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>())
            .Which.From.Should().Be(InvoiceStatus.Paid);
        await FluentActions.Awaiting(async () => await billing.Invoices.MarkPaidAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>();
        (await billing.Invoices.GetAsync(draft.InvoiceId))!.Status.Should().Be(InvoiceStatus.Paid);
    }

    [Fact]
    public async Task Draft_CanBeVoided_AndAVoidInvoiceCannotBeApprovedOrPaid()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        var sub = await SubscribeAsync(billing, "c1");
        var draft = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        (await FluentActions.Awaiting(async () => await billing.Invoices.MarkPaidAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>())
            .Which.From.Should().Be(InvoiceStatus.Draft);
        var voided = await billing.Invoices.VoidAsync(draft.InvoiceId);

        voided.Status.Should().Be(InvoiceStatus.Void);
        (await billing.Invoices.ListAsync("c1")).Items.Single().Status.Should().Be(InvoiceStatus.Void);
        await FluentActions.Awaiting(async () => await billing.Invoices.ApproveAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>();
        await FluentActions.Awaiting(async () => await billing.Invoices.MarkPaidAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>();
        await FluentActions.Awaiting(async () => await billing.Invoices.VoidAsync(draft.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>();
        (await billing.Invoices.GetAsync(draft.InvoiceId))!.Status.Should().Be(InvoiceStatus.Void);
    }

    [Fact]
    public async Task FinalizedInvoice_PaymentFailures_ThenUncollectible()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Status.Should().Be(InvoiceStatus.Finalized);
        (await FluentActions.Awaiting(async () => await billing.Invoices.ApproveAsync(invoice.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>())
            .Which.From.Should().Be(InvoiceStatus.Finalized);

        await billing.Invoices.MarkPaymentFailedAsync(invoice.InvoiceId);
        var twice = await billing.Invoices.MarkPaymentFailedAsync(invoice.InvoiceId);
        twice.PaymentFailures.Should().Be(2);
        twice.Status.Should().Be(InvoiceStatus.Finalized);
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.PaymentFailures.Should().Be(2);

        (await billing.Invoices.MarkUncollectibleAsync(invoice.InvoiceId)).Status.Should().Be(InvoiceStatus.Uncollectible);
        await FluentActions.Awaiting(async () => await billing.Invoices.MarkPaidAsync(invoice.InvoiceId)).Should().ThrowAsync<InvalidInvoiceTransitionException>();
        (await EventsOfAsync(billing, BillingEventType.InvoicePaymentFailed)).Select(e => ((InvoiceEventPayload)e.Payload).PaymentFailures).Should().Equal(1, 2);
        (await EventsOfAsync(billing, BillingEventType.InvoiceUncollectible)).Single().Payload.Should().BeOfType<InvoiceEventPayload>()
            .Which.Status.Should().Be(InvoiceStatus.Uncollectible);
        (await billing.Invoices.GetAsync(invoice.InvoiceId))!.Status.Should().Be(InvoiceStatus.Uncollectible);
    }

    [Fact]
    public async Task UnknownInvoice_IsNull_AndCannotTransition()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");

        (await billing.Invoices.GetAsync("in_nope")).Should().BeNull();
        var thrown = await FluentActions.Awaiting(async () => await billing.Invoices.ApproveAsync("in_nope")).Should().ThrowAsync<MeteringException>();
        thrown.Which.Should().NotBeOfType<InvalidInvoiceTransitionException>();
        thrown.Which.Message.Should().Contain("in_nope");
    }

    [Fact]
    public async Task ConcurrentApprovalsOfOneDraft_ExactlyOneWins()
    {
        await using var billing = CreateStandard(o => o.InvoiceApproval = InvoiceApproval.Manual);
        var sub = await SubscribeAsync(billing, "c1");
        var draft = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var approvals = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            try
            {
                await billing.Invoices.ApproveAsync(draft.InvoiceId);
                return true;
            }
            catch (InvalidInvoiceTransitionException)
            {
                return false;
            }
        })).ToArray();
        gate.SetResult();
        var results = await Task.WhenAll(approvals);

        results.Count(won => won).Should().Be(1);
        (await EventsOfAsync(billing, BillingEventType.InvoiceFinalized)).Should().ContainSingle();
        (await billing.Invoices.GetAsync(draft.InvoiceId))!.Status.Should().Be(InvoiceStatus.Finalized);
    }

    [Fact]
    public async Task StoredInvoice_RoundTripsExactly_AndItsLinesSumToTheTotal()
    {
        await using var billing = CreateMetering(o => o
            .AddMeter(Meter.Sum("api_calls"))
            .AddMeter(Meter.Max("storage_gb"))
            .AddPlan(Plan.Create("tiered", Currency.EUR, BillingInterval.Months(1))
                .WithBaseFee(9.99m)
                .WithCharge("api_calls", PricingModel.Graduated([new PriceTier(100m, 0m), new PriceTier(1_000m, 0.002m), new PriceTier(null, 0.001m, 1.00m)]))
                .WithCharge("storage_gb", PricingModel.PerUnit(0.25m, includedUnits: 10m))
                .Build()));
        var sub = await SubscribeAsync(billing, "c1", "tiered");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = new Money(5.00m, Currency.EUR), Name = "Welcome" });
        billing.Clock.Advance(Duration.FromDays(1));
        var now = billing.Clock.Now;
        var outcomes = await billing.Recorder.RecordBatchAsync(
        [
            Usage("c1", 1_500m, now, "calls"),
            Usage("c1", 12m, now, "s1", meterKey: "storage_gb"),
            Usage("c1", 30m, now, "s2", meterKey: "storage_gb"),
            Usage("c1", 25m, now, "s3", meterKey: "storage_gb"),
        ]);
        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);

        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        // Base 9.99. Calls 1,500 graduated: 100 free, 900 × 0.002 = 1.80, 500 × 0.001 + 1.00 flat = 1.50 → 3.30.
        // Storage max 30 GB, 10 included: 20 × 0.25 = 5.00. Subtotal 18.29; 5.00 credits applied; total 13.29.
        invoice.Content.Lines.Select(l => l.Amount.Amount).Should().Equal(9.99m, 3.30m, 5.00m, -5.00m);
        UsageLine(invoice).Tiers.Select(t => t.Amount).Should().Equal(0m, 1.80m, 1.50m);
        UsageLine(invoice, "storage_gb").Quantity.Should().Be(30m);
        invoice.Content.Subtotal.Should().Be(new Money(18.29m, Currency.EUR));
        invoice.Content.CreditsApplied.Should().Be(new Money(5.00m, Currency.EUR));
        invoice.Total.Should().Be(new Money(13.29m, Currency.EUR));
        invoice.Content.Lines.Sum(l => l.Amount.Amount).Should().Be(invoice.Total.Amount);

        (await billing.Invoices.GetAsync(invoice.InvoiceId)).Should().Be(invoice);
        (await billing.Invoices.ListAsync("c1")).Items.Should().ContainSingle().Which.Should().Be(invoice);
        var balance = (await billing.Credits.GetBalancesAsync("c1")).Single();
        balance.Consumed.Should().Be(5.00m);
        balance.Remaining.Should().Be(0m);
    }

    private static async Task<List<BillingEvent>> EventsOfAsync(TestMetering billing, BillingEventType type) =>
        (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.Type == type).ToList();
}
