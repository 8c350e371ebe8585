namespace Metering.Tests.Subscriptions;

using Metering;

// EntitlementRules decides alone; every figure below is worked out by hand from the subscriptions' instants.
public class EntitlementRulesTest
{
    private static readonly Instant Jan1 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly Instant Jan10 = Instant.FromUtc(2026, 1, 10, 0, 0);
    private static readonly Duration ThreeDays = Duration.FromDays(3);

    private static readonly Plan Team = Plan.Create("team", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10m)
        .WithFeature(Feature.On("export")).WithFeature(Feature.Limited("projects", 5m)).WithFeature(Feature.Off("beta")).Build();

    private static readonly Plan Addon = Plan.Create("addon", Currency.USD, BillingInterval.Months(1)).WithBaseFee(5m)
        .WithFeature(Feature.Limited("projects", 20m)).WithFeature(Feature.On("export")).Build();

    private static readonly Plan Unlimited = Plan.Create("unlimited", Currency.USD, BillingInterval.Months(1)).WithBaseFee(50m)
        .WithFeature(Feature.On("projects")).Build();

    private static Subscription Sub(string id, Plan plan, params string[] seats)
    {
        var schedule = BillingSchedule.FromStart(Jan1, DateTimeZone.Utc, plan.Interval);
        return new Subscription
        {
            SubscriptionId = id,
            CustomerId = "c1",
            PlanKey = plan.Key,
            PlanVersion = plan.Version,
            Schedule = schedule,
            StartedAt = Jan1,
            CurrentPeriod = schedule.PeriodAt(0),
            Seats = 5,
            SeatAssignments = seats,
            Revision = 1,
        };
    }

    private static FeatureAccess Check(IEnumerable<(Subscription, Plan)> subscriptions, string key, Instant now, string? grantee = null, Duration? grace = null) =>
        EntitlementRules.Find(EntitlementRules.Decide(subscriptions, grantee, now, grace ?? ThreeDays), key);

    [Fact]
    public void Running_subscriptions_grant_their_enabled_features_and_the_plan_capability_with_the_highest_limit()
    {
        var all = EntitlementRules.Decide([(Sub("s1", Team), Team), (Sub("s2", Addon), Addon)], null, Jan10, ThreeDays);

        all.Select(f => f.FeatureKey).Should().Equal("export", "plan:addon", "plan:team", "projects");
        all.Single(f => f.FeatureKey == "projects").Should().Be(new FeatureAccess("projects", true, 20m) { Status = FeatureAccessStatus.Active });
        all.Single(f => f.FeatureKey == "plan:team").Should().Be(new FeatureAccess("plan:team", true, null) { Status = FeatureAccessStatus.Active });
        Check([(Sub("s1", Team), Team)], "beta", Jan10).Should().Be(new FeatureAccess("beta", false, null));
    }

    [Fact]
    public void An_unlimited_grant_makes_the_limit_null()
    {
        var access = Check([(Sub("s1", Team), Team), (Sub("s2", Unlimited), Unlimited)], "projects", Jan10);

        access.Limit.Should().BeNull();
        access.IsWithin(1_000_000m).Should().BeTrue();
    }

    [Fact]
    public void A_grantee_is_granted_only_through_subscriptions_where_it_holds_a_seat()
    {
        (Subscription, Plan)[] subscriptions = [(Sub("s1", Team, "alice"), Team), (Sub("s2", Addon, "bob"), Addon)];

        Check(subscriptions, "projects", Jan10, "alice").Limit.Should().Be(5m);
        Check(subscriptions, "projects", Jan10, "bob").Limit.Should().Be(20m);
        Check(subscriptions, "plan:team", Jan10, "bob").Enabled.Should().BeFalse();
        Check(subscriptions, "export", Jan10, "carol").Should().Be(new FeatureAccess("export", false, null) { Status = FeatureAccessStatus.NotGranted });
    }

    [Fact]
    public void Ended_subscription_is_in_grace_until_its_end_plus_the_grace_period()
    {
        (Subscription, Plan)[] ended = [(Sub("s1", Team) with { EndedAt = Jan10 }, Team)];

        Check(ended, "export", Jan10 - Duration.FromTicks(1)).Status.Should().Be(FeatureAccessStatus.Active);
        Check(ended, "export", Jan10 + Duration.FromDays(2)).Should().Be(new FeatureAccess("export", true, null) { Status = FeatureAccessStatus.InGrace, AccessEndsAt = Jan10 + ThreeDays });
        Check(ended, "export", Jan10 + ThreeDays - Duration.FromTicks(1)).Enabled.Should().BeTrue();
        Check(ended, "export", Jan10 + ThreeDays).Should().Be(new FeatureAccess("export", false, null));
        Check(ended, "export", Jan10, grace: Duration.Zero).Enabled.Should().BeFalse();
    }

    [Fact]
    public void Scheduled_cancellation_is_active_with_its_access_end_and_not_yet_started_grants_nothing()
    {
        var feb1 = Instant.FromUtc(2026, 2, 1, 0, 0);
        Check([(Sub("s1", Team) with { CancelAt = feb1 }, Team)], "export", Jan10)
            .Should().Be(new FeatureAccess("export", true, null) { Status = FeatureAccessStatus.Active, AccessEndsAt = feb1 + ThreeDays });
        Check([(Sub("s1", Team) with { StartedAt = Jan10 }, Team)], "export", Jan10 - Duration.FromTicks(1)).Enabled.Should().BeFalse();
    }

    [Fact]
    public void Failed_payment_is_in_grace_then_held_back_and_another_running_subscription_still_grants()
    {
        var failed = Sub("s1", Team) with { PaymentFailedAt = Jan10, PaymentFailedInvoiceId = "inv" };

        Check([(failed, Team)], "projects", Jan10 + Duration.FromDays(1)).Should().Be(new FeatureAccess("projects", true, 5m) { Status = FeatureAccessStatus.InGrace, AccessEndsAt = Jan10 + ThreeDays });
        Check([(failed, Team)], "projects", Jan10 + ThreeDays).Should().Be(new FeatureAccess("projects", false, null) { Status = FeatureAccessStatus.PaymentFailed });
        Check([(failed, Team)], "projects", Jan10, grace: Duration.Zero).Status.Should().Be(FeatureAccessStatus.PaymentFailed);

        // The held-back team grant does not lower the addon's limit; only enabling grants count.
        Check([(failed, Team), (Sub("s2", Addon), Addon)], "projects", Jan10 + ThreeDays).Should().Be(new FeatureAccess("projects", true, 20m) { Status = FeatureAccessStatus.Active });
        // Both in grace: the later end wins (ended Jan 10 + 3 days vs failed Jan 11 + 3 days).
        var endedAddon = Sub("s2", Addon) with { EndedAt = Jan10 };
        var failedLater = failed with { PaymentFailedAt = Jan10 + Duration.FromDays(1) };
        Check([(failedLater, Team), (endedAddon, Addon)], "export", Jan10 + Duration.FromDays(2)).AccessEndsAt.Should().Be(Jan10 + Duration.FromDays(4));
    }

    [Fact]
    public void Payment_state_is_recorded_on_the_first_failure_and_cleared_when_that_invoice_is_paid_or_voided()
    {
        var sub = Sub("s1", Team);
        var invoice = new Invoice
        {
            InvoiceId = "inv1",
            Number = 1,
            SubscriptionId = "s1",
            CustomerId = "c1",
            PlanKey = "team",
            PlanVersion = 1,
            Period = sub.CurrentPeriod,
            Reason = InvoiceReason.PeriodEnd,
            Status = InvoiceStatus.Finalized,
            Content = new CalculatedInvoice(
                "team", 1, Currency.USD, sub.CurrentPeriod,
                [new InvoiceLine(InvoiceLineKind.BaseFee, "Base fee", null, null, 1m, null, [], 10.00m, new Money(10.00m, Currency.USD), null)],
                new Money(10.00m, Currency.USD), new Money(0m, Currency.USD), new Money(10.00m, Currency.USD)),
            CreatedAt = Jan10,
        };

        EntitlementRules.AfterPayment(sub, invoice, Jan10).Should().Be(sub);
        var failed = EntitlementRules.AfterPayment(sub, invoice with { PaymentFailures = 1 }, Jan10);
        failed.PaymentFailedAt.Should().Be(Jan10);
        failed.PaymentFailedInvoiceId.Should().Be("inv1");
        EntitlementRules.AfterPayment(failed, invoice with { PaymentFailures = 2 }, Jan10 + ThreeDays).Should().Be(failed);
        EntitlementRules.AfterPayment(failed, invoice with { InvoiceId = "inv2", Status = InvoiceStatus.Paid }, Jan10).Should().Be(failed);
        EntitlementRules.AfterPayment(failed, invoice with { Status = InvoiceStatus.Paid }, Jan10).Should().Be(sub);
        EntitlementRules.AfterPayment(failed, invoice with { Status = InvoiceStatus.Void }, Jan10).Should().Be(sub);
    }
}
