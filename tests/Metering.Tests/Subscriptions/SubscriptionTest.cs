namespace Metering.Tests.Subscriptions;

using Metering;

public class SubscriptionTest
{
    private static Subscription Create(params string[] seats)
    {
        var schedule = BillingSchedule.FromStart(Instant.FromUtc(2026, 1, 1, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));
        return new Subscription
        {
            SubscriptionId = "s1",
            CustomerId = "c1",
            PlanKey = "basic",
            PlanVersion = 1,
            Schedule = schedule,
            StartedAt = schedule.StartOf(0),
            CurrentPeriod = schedule.PeriodAt(0),
            Seats = 3,
            SeatAssignments = seats,
            Revision = 1,
        };
    }

    [Fact]
    public void Equals_ComparesSeatAssignmentsByContent()
    {
        Create("ana", "ben").Should().Be(Create("ana", "ben"));
        Create("ana", "ben").Should().NotBe(Create("ana", "cy"));
    }
}
