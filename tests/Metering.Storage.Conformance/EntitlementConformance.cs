namespace Metering.Storage.Conformance;

/// <summary>
/// Entitlements through the store: a seat holder is granted only through subscriptions where it holds a seat, a plan is
/// a capability (<c>plan:&lt;key&gt;</c>), limits are the highest granted, and access continues for the grace period
/// after a cancellation or a failed payment (returning when paid). Figures by hand from the plans below.
/// </summary>
public abstract class EntitlementConformance : StoreTestBase
{
    private static readonly Duration ThreeDays = Duration.FromDays(3);

    // team: export on, projects up to 5, seats up to 10. addon: projects up to 20, sso on.
    private TestMetering CreateWithPlans(Duration? grace = null) =>
        CreateMetering(o =>
        {
            o.AddMeter(Meter.Sum("api_calls"))
                .AddPlan(Plan.Create("team", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(2.00m))
                    .WithFeature(Feature.On("export")).WithFeature(Feature.Limited("projects", 5m)).WithFeature(Feature.Limited("seats", 10m)).Build())
                .AddPlan(Plan.Create("addon", Currency.USD, BillingInterval.Months(1)).WithBaseFee(5.00m)
                    .WithFeature(Feature.Limited("projects", 20m)).WithFeature(Feature.On("sso")).Build());
            o.EntitlementGracePeriod = grace ?? Duration.Zero;
        });

    [Fact]
    public async Task Seat_holder_is_granted_only_through_subscriptions_where_it_holds_a_seat()
    {
        await using var billing = CreateWithPlans();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", Seats = 3, SubscriptionId = "s-team" });
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "addon", SubscriptionId = "s-addon" });
        await billing.Subscriptions.AssignSeatAsync("s-team", "alice");

        var customer = await billing.Entitlements.CheckAsync("c1", "projects");
        customer.Should().Be(new FeatureAccess("projects", true, 20m) { Status = FeatureAccessStatus.Active });
        customer.IsWithin(20m).Should().BeTrue();
        customer.IsWithin(21m).Should().BeFalse();
        (await billing.Entitlements.ListAsync("c1")).Select(f => f.FeatureKey).Should().Equal("export", "plan:addon", "plan:team", "projects", "seats", "sso");

        var alice = await billing.Entitlements.CheckAsync("c1", "projects", "alice");
        alice.Should().Be(new FeatureAccess("projects", true, 5m) { Status = FeatureAccessStatus.Active });
        alice.IsWithin(5m).Should().BeTrue();
        alice.IsWithin(6m).Should().BeFalse();
        (await billing.Entitlements.ListAsync("c1", "alice")).Select(f => f.FeatureKey).Should().Equal("export", "plan:team", "projects", "seats");
        (await billing.Entitlements.CheckAsync("c1", "sso", "alice")).Should().Be(new FeatureAccess("sso", false, null) { Status = FeatureAccessStatus.NotGranted });
        (await billing.Entitlements.CheckAsync("c1", "plan:team", "alice")).Enabled.Should().BeTrue();

        var bob = await billing.Entitlements.CheckAsync("c1", "export", "bob");
        bob.Enabled.Should().BeFalse();
        bob.Status.Should().Be(FeatureAccessStatus.NotGranted);
        bob.IsWithin(0m).Should().BeFalse();
        (await billing.Entitlements.ListAsync("c1", "bob")).Should().BeEmpty();

        await billing.Subscriptions.UnassignSeatAsync("s-team", "alice");
        (await billing.Entitlements.CheckAsync("c1", "export", "alice")).Enabled.Should().BeFalse();
    }

    [Fact]
    public async Task Cancellation_keeps_access_for_the_grace_period_then_ends_it()
    {
        await using var billing = CreateWithPlans(ThreeDays);
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", Seats = 2, SubscriptionId = "s1" });
        await billing.Subscriptions.AssignSeatAsync("s1", "alice");
        var canceledAt = Instant.FromUtc(2026, 1, 10, 12, 0);
        billing.Clock.AdvanceTo(canceledAt);
        await billing.Subscriptions.CancelNowAsync("s1");

        billing.Clock.AdvanceTo(canceledAt + Duration.FromDays(2));
        var inGrace = new FeatureAccess("export", true, null) { Status = FeatureAccessStatus.InGrace, AccessEndsAt = canceledAt + ThreeDays };
        (await billing.Entitlements.CheckAsync("c1", "export")).Should().Be(inGrace);
        (await billing.Entitlements.CheckAsync("c1", "export", "alice")).Should().Be(inGrace);
        (await billing.Entitlements.CheckAsync("c1", "plan:team")).Status.Should().Be(FeatureAccessStatus.InGrace);

        billing.Clock.AdvanceTo(canceledAt + ThreeDays);
        (await billing.Entitlements.CheckAsync("c1", "export")).Should().Be(new FeatureAccess("export", false, null));
        (await billing.Entitlements.ListAsync("c1")).Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_grace_period_cancellation_ends_access_at_once_and_a_scheduled_end_is_reported()
    {
        await using var billing = CreateWithPlans();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", SubscriptionId = "s1" });
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 1, 10, 0, 0));
        await billing.Subscriptions.CancelAtPeriodEndAsync("s1");
        (await billing.Entitlements.CheckAsync("c1", "export")).Should().Be(new FeatureAccess("export", true, null) { Status = FeatureAccessStatus.Active, AccessEndsAt = February });

        billing.Clock.AdvanceTo(February);
        (await billing.Entitlements.CheckAsync("c1", "export")).Enabled.Should().BeFalse();
    }

    [Fact]
    public async Task Failed_payment_keeps_access_for_the_grace_period_and_payment_restores_it()
    {
        await using var billing = CreateWithPlans(ThreeDays);
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "team", SubscriptionId = "s1" });
        billing.Clock.AdvanceTo(February + Grace);
        var invoice = (await billing.PeriodCloser.CloseDueAsync()).Invoices.Single();
        invoice.Status.Should().Be(InvoiceStatus.Finalized);

        var failedAt = Instant.FromUtc(2026, 2, 2, 0, 0);
        billing.Clock.AdvanceTo(failedAt);
        await billing.Invoices.MarkPaymentFailedAsync(invoice.InvoiceId);
        var subscription = await billing.Subscriptions.GetAsync("s1");
        subscription!.PaymentFailedAt.Should().Be(failedAt);
        subscription.PaymentFailedInvoiceId.Should().Be(invoice.InvoiceId);

        billing.Clock.AdvanceTo(failedAt + Duration.FromDays(1));
        await billing.Invoices.MarkPaymentFailedAsync(invoice.InvoiceId); // a retry failing again keeps the first failure's clock
        (await billing.Entitlements.CheckAsync("c1", "projects")).Should().Be(new FeatureAccess("projects", true, 5m) { Status = FeatureAccessStatus.InGrace, AccessEndsAt = failedAt + ThreeDays });

        billing.Clock.AdvanceTo(failedAt + ThreeDays);
        var held = await billing.Entitlements.CheckAsync("c1", "projects");
        held.Should().Be(new FeatureAccess("projects", false, null) { Status = FeatureAccessStatus.PaymentFailed });
        held.IsWithin(1m).Should().BeFalse();

        billing.Clock.AdvanceTo(failedAt + Duration.FromDays(4));
        await billing.Invoices.MarkPaidAsync(invoice.InvoiceId);
        (await billing.Entitlements.CheckAsync("c1", "projects")).Should().Be(new FeatureAccess("projects", true, 5m) { Status = FeatureAccessStatus.Active });
        subscription = await billing.Subscriptions.GetAsync("s1");
        subscription!.PaymentFailedAt.Should().BeNull();
        subscription.PaymentFailedInvoiceId.Should().BeNull();
    }
}
