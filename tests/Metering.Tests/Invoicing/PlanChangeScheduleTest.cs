namespace Metering.Tests.Invoicing;

/// <summary>The pure decisions behind a plan change that keeps the anchor (issue #17): the next schedule and period, and the full period a partial one is prorated against.</summary>
public sealed class PlanChangeScheduleTest
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    // Monthly on the 31st at 00:00 Paris time: Jan 31, Feb 28, Mar 31 (CEST from Mar 29), Apr 30, ...
    private static readonly BillingSchedule Monthly = new(new LocalDateTime(2026, 1, 31, 0, 0), Paris, BillingInterval.Months(1));

    private static Instant Paris0(int month, int day) => new LocalDateTime(2026, month, day, 0, 0).InZoneLeniently(Paris).ToInstant();

    [Fact]
    public void Keep_SameInterval_SameSchedule_PartialPeriodToTheNextAnchorDate()
    {
        var change = Paris0(3, 10) + Duration.FromHours(15);

        var (schedule, period) = BillingEngine.PlanChangeSchedule(Monthly, BillingInterval.Months(1), change, PlanChangeAnchor.Keep);

        schedule.Should().BeSameAs(Monthly);
        period.Should().Be(new BillingPeriod(1, change, Paris0(3, 31)), "period 1 is [Feb 28, Mar 31) Paris time");
    }

    [Fact]
    public void Keep_OtherInterval_SameLocalAnchor_EndsAtTheFirstNewStartAfterTheChange()
    {
        // Weekly from Sat Jan 31 00:00 Paris: ..., Mar 7, Mar 14, ... The change on Wed Mar 11 runs to Sat Mar 14.
        var change = Paris0(3, 11) + Duration.FromHours(9);

        var (schedule, period) = BillingEngine.PlanChangeSchedule(Monthly, BillingInterval.Weeks(1), change, PlanChangeAnchor.Keep);

        schedule.Should().Be(new BillingSchedule(new LocalDateTime(2026, 1, 31, 0, 0), Paris, BillingInterval.Weeks(1)));
        period.Should().Be(new BillingPeriod(5, change, Paris0(3, 14)));
    }

    [Fact]
    public void Reset_AnchorsAFullPeriodAtTheChange()
    {
        var change = Paris0(3, 10) + Duration.FromHours(15);

        var (schedule, period) = BillingEngine.PlanChangeSchedule(Monthly, BillingInterval.Months(1), change, PlanChangeAnchor.Reset);

        schedule.Anchor.Should().Be(new LocalDateTime(2026, 3, 10, 15, 0));
        period.Should().Be(new BillingPeriod(0, change, Paris0(4, 10) + Duration.FromHours(15)));
    }

    [Fact]
    public void NominalPeriod_OfAPartialPeriod_IsTheSchedulePeriodItEndsWith_OtherwiseItself()
    {
        var subscription = new Subscription
        {
            SubscriptionId = "s1",
            CustomerId = "c1",
            PlanKey = "p",
            PlanVersion = 1,
            Schedule = Monthly,
            StartedAt = Monthly.StartOf(0),
            CurrentPeriod = Monthly.PeriodAt(1),
        };
        var partial = new BillingPeriod(1, Paris0(3, 10), Paris0(3, 31));

        BillingEngine.NominalPeriodOf(subscription, partial).Should().Be(Monthly.PeriodAt(1));
        BillingEngine.NominalPeriodOf(subscription, Monthly.PeriodAt(2)).Should().Be(Monthly.PeriodAt(2));
        var cut = new BillingPeriod(1, Paris0(3, 10), Paris0(3, 20));
        BillingEngine.NominalPeriodOf(subscription, cut).Should().Be(cut, "only a period that ends on a schedule start is prorated against it");
    }
}
