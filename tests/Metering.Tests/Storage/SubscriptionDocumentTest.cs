using System.Text.RegularExpressions;
using Metering.Storage;

namespace Metering.Tests.Storage;

/// <summary>The stored subscription document keeps the seat history, and documents written before it still load.</summary>
public sealed class SubscriptionDocumentTest
{
    private static Subscription Subscription(params SeatChange[] changes)
    {
        var schedule = BillingSchedule.FromStart(Instant.FromUtc(2026, 11, 1, 0, 0), DateTimeZone.Utc, BillingInterval.Months(1));
        return new Subscription
        {
            SubscriptionId = "s1",
            CustomerId = "c1",
            PlanKey = "team",
            PlanVersion = 1,
            Schedule = schedule,
            StartedAt = schedule.StartOf(0),
            CurrentPeriod = new BillingPeriod(0, Instant.FromUtc(2026, 11, 16, 0, 0), Instant.FromUtc(2026, 12, 1, 0, 0)),
            Seats = changes.Length == 0 ? 2 : changes[^1].Seats,
            SeatChanges = changes,
            Revision = 3,
        };
    }

    [Fact]
    public void SeatChanges_RoundTripThroughTheDocument()
    {
        var subscription = Subscription(
            new SeatChange(Instant.FromUtc(2026, 11, 20, 9, 30, 15) + Duration.FromMilliseconds(250), 2, 5),
            new SeatChange(Instant.FromUtc(2026, 11, 25, 0, 0), 5, 3));

        var back = StoreDocuments.ToSubscription(StoreDocuments.Json(subscription));

        back.Should().Be(subscription);
        back.SeatChanges.Should().Equal(subscription.SeatChanges);
        back.CurrentPeriod.Start.Should().Be(Instant.FromUtc(2026, 11, 16, 0, 0), "a partial period after a plan change is stored as is");
    }

    [Fact]
    public void Utf8Document_ReadsBackLikeItsText()
    {
        // The SQLite store hands the column's UTF-8 bytes to the decoder: the same subscription, field for field.
        var subscription = Subscription(new SeatChange(Instant.FromUtc(2026, 11, 20, 9, 30), 2, 4)) with
        {
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["région"] = "Île-de-France ✓" },
            TrialEndsAt = Instant.FromUtc(2026, 11, 8, 0, 0),
        };
        var json = StoreDocuments.Json(subscription);

        var fromText = StoreDocuments.ToSubscription(json);
        var fromUtf8 = StoreDocuments.ToSubscription(System.Text.Encoding.UTF8.GetBytes(json));

        fromUtf8.Should().Be(subscription);
        fromUtf8.Should().BeEquivalentTo(fromText);
        fromUtf8.Metadata.Should().Equal(subscription.Metadata);
    }

    [Fact]
    public void DocumentWrittenBeforeSeatHistory_LoadsWithNoSeatChanges()
    {
        var subscription = Subscription();
        var json = StoreDocuments.Json(subscription);
        var old = Regex.Replace(json, ",\"SeatChanges\":null", string.Empty, RegexOptions.IgnoreCase);
        old.Should().NotContainEquivalentOf("SeatChanges", "the document is shaped like one written before seat history");

        var back = StoreDocuments.ToSubscription(old);

        back.SeatChanges.Should().BeEmpty();
        back.Should().Be(subscription);
    }
}
