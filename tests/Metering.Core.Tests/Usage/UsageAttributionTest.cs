namespace Metering.Tests.Usage;

using Metering;

public class UsageAttributionTest
{
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly BillingSchedule Monthly = BillingSchedule.FromStart(Start, DateTimeZone.Utc, BillingInterval.Months(1));

    private static Subscription Subscription(int currentPeriod = 0, Instant? endedAt = null, Instant? cancelAt = null) => new()
    {
        SubscriptionId = "s1",
        CustomerId = "c1",
        PlanKey = "standard",
        PlanVersion = 1,
        Schedule = Monthly,
        StartedAt = Start,
        CurrentPeriod = Monthly.PeriodAt(currentPeriod),
        EndedAt = endedAt,
        CancelAt = cancelAt,
    };

    private static UsageRecord At(Instant timestamp) => new("c1", "api_calls", 1m, timestamp, "k1");

    [Fact]
    public void PeriodStartOf_OpenPeriod_IsItsStart()
    {
        UsageAttribution.PeriodStartOf(Subscription(), Start + Duration.FromDays(3)).Should().Be(Start);
    }

    [Fact]
    public void PeriodStartOf_ClosedPeriod_IsThatPeriodsStart()
    {
        var feb = Instant.FromUtc(2026, 2, 10, 0, 0);

        UsageAttribution.PeriodStartOf(Subscription(currentPeriod: 2), feb).Should().Be(Instant.FromUtc(2026, 2, 1, 0, 0));
    }

    [Fact]
    public void PeriodStartOf_AfterTheCurrentPeriod_IsTheScheduledPeriodContainingIt()
    {
        var march = Instant.FromUtc(2026, 3, 5, 0, 0);

        UsageAttribution.PeriodStartOf(Subscription(), march).Should().Be(Instant.FromUtc(2026, 3, 1, 0, 0));
    }

    [Fact]
    public void Claims_ClosedPeriodOfEndedSubscription_StillGoesToTheStore()
    {
        var ended = Instant.FromUtc(2026, 1, 20, 0, 0);
        var subscription = Subscription(endedAt: ended, cancelAt: ended);

        UsageAttribution.Claims(subscription, Instant.FromUtc(2026, 1, 10, 0, 0)).Should().BeTrue("a retry there must be answered Duplicate by the store");
        UsageAttribution.Claims(subscription, Instant.FromUtc(2026, 1, 25, 0, 0)).Should().BeFalse("after the end nothing is covered");
        UsageAttribution.Claims(subscription, Start - Duration.FromSeconds(1)).Should().BeFalse("before the start nothing is covered");
    }

    [Fact]
    public void CheckStored_NoSubscription_NoActiveSubscription()
    {
        var rejection = UsageAttribution.CheckStored(At(Start), "s1", "standard", 1, null);

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
    }

    [Fact]
    public void CheckStored_ClosedPeriod_PeriodClosedWithThatPeriod()
    {
        var rejection = UsageAttribution.CheckStored(At(Instant.FromUtc(2026, 1, 31, 23, 0)), "s1", "standard", 1, Subscription(currentPeriod: 1));

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        rejection.Value.Message.Should().Contain("2026-01-01").And.Contain("2026-02-01");
    }

    [Fact]
    public void ClosedPeriodContaining_APlanChangeThatKeptTheAnchor_IsThePartBeforeTheChange()
    {
        // The plan changed on 16 January 12:00 keeping the anchor: 1-16 January was invoiced, the current period runs
        // from the change to 1 February.
        var change = Instant.FromUtc(2026, 1, 16, 12, 0);
        var subscription = Subscription() with { CurrentPeriod = new BillingPeriod(0, change, Instant.FromUtc(2026, 2, 1, 0, 0)) };
        var before = Instant.FromUtc(2026, 1, 10, 0, 0);

        var closed = UsageAttribution.ClosedPeriodContaining(subscription, before);
        var rejection = UsageAttribution.PeriodClosed("api_calls", subscription, before);

        closed.Should().Be(new BillingPeriod(0, Start, change));
        rejection.Message.Should().Contain("[2026-01-01T00:00:00Z, 2026-01-16T12:00:00Z)").And.Contain("closed at 2026-01-16T12:00:00Z");
    }

    [Fact]
    public void CheckStored_PlanChangedSincePrepared_InvalidRecordAskingForARetry()
    {
        var rejection = UsageAttribution.CheckStored(At(Start), "s1", "standard", 2, Subscription());

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidRecord);
        rejection.Value.Message.Should().Contain("send it again with the same idempotency key");
    }

    [Fact]
    public void CheckStored_CoveredOpenPeriodSamePlan_Null()
    {
        UsageAttribution.CheckStored(At(Start + Duration.FromHours(1)), "s1", "standard", 1, Subscription()).Should().BeNull();
    }
}
