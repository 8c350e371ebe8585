using System.Text.Json;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class UsageJsonTest
{
    public static TheoryData<string, string> Outcomes => new()
    {
        { "accepted", """{"kind":"Accepted","subscriptionId":"sub_1","periodStart":"2026-01-01T00:00:00Z","rejection":null}""" },
        { "duplicate", """{"kind":"Duplicate","subscriptionId":"sub_1","periodStart":"2026-01-01T00:00:00Z","rejection":null}""" },
        { "rejected", """{"kind":"Rejected","subscriptionId":null,"periodStart":null,"rejection":{"reason":"UnknownMeter","message":"Meter 'gpu' is not defined."}}""" },
        { "rejected-with-subscription", """{"kind":"Rejected","subscriptionId":"sub_1","periodStart":null,"rejection":{"reason":"PeriodClosed","message":"Too late."}}""" },
        {
            "conflict",
            """{"kind":"Conflict","subscriptionId":null,"periodStart":null,"rejection":{"reason":"IdempotencyKeyConflict","message":"Idempotency key 'k1' was already used for a record with different content; use a new key for a new record, or resend the original content to retry."}}"""
        },
    };

    private static UsageOutcome Outcome(string name) => name switch
    {
        "accepted" => UsageOutcome.Accepted("sub_1", Jan1),
        "duplicate" => UsageOutcome.Duplicate("sub_1", Jan1),
        "rejected" => UsageOutcome.Rejected(new UsageRejection(UsageRejectionReason.UnknownMeter, "Meter 'gpu' is not defined.")),
        "rejected-with-subscription" => UsageOutcome.Rejected(new UsageRejection(UsageRejectionReason.PeriodClosed, "Too late."), "sub_1"),
        _ => UsageOutcome.Conflict("k1"),
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void UsageOutcome_HasTheDocumentedShape_AndRoundTrips(string name, string expected)
    {
        var outcome = Outcome(name);

        var json = Serialize(outcome);
        var back = Deserialize<UsageOutcome>(expected);

        json.Should().Be(Minify(expected));
        back.Should().Be(outcome);
        back.IsCounted.Should().Be(outcome.IsCounted);
        back.Reason.Should().Be(outcome.Reason);
    }

    [Fact]
    public void UsageOutcomes_OfABatch_RoundTrip()
    {
        IReadOnlyList<UsageOutcome> batch = [.. new[] { "accepted", "duplicate", "rejected", "conflict" }.Select(Outcome)];

        RoundTrip(batch).Should().Equal(batch);
    }

    [Theory]
    [InlineData("""{"subscriptionId":"s","periodStart":"2026-01-01T00:00:00Z"}""", "*has no 'kind'*")]
    [InlineData("""{"kind":"Accepted","periodStart":"2026-01-01T00:00:00Z"}""", "*'subscriptionId' is missing or null*")]
    [InlineData("""{"kind":"Accepted","subscriptionId":"s","periodStart":null}""", "*'periodStart' is missing or null*")]
    [InlineData("""{"kind":"Accepted","subscriptionId":"s","periodStart":"2026-01-01T00:00:00Z","rejection":{"reason":"UnknownMeter","message":"m"}}""", "*'rejection' must be null when the kind is Accepted*")]
    [InlineData("""{"kind":"Rejected"}""", "*'rejection' is missing or null*")]
    [InlineData("""{"kind":"Rejected","periodStart":"2026-01-01T00:00:00Z","rejection":{"reason":"UnknownMeter","message":"m"}}""", "*'periodStart' must be null when the kind is Rejected*")]
    [InlineData("""{"kind":"Rejected","rejection":{"reason":"UnknownMeter"}}""", "*usage rejection has no 'message'*")]
    [InlineData("""{"kind":"Rejected","rejection":{"reason":"NoSuchReason","message":"m"}}""", "*'reason' is \"NoSuchReason\"; it must be one of*UnknownMeter*")]
    [InlineData("""{"kind":"Rejected","rejection":{"reason":3,"message":"m"}}""", "*'reason' must be a string, but is a number*")]
    [InlineData("""{"kind":"Conflict","rejection":{"reason":"UnknownMeter","message":"m"}}""", "*Conflict usage outcome has reason IdempotencyKeyConflict*")]
    [InlineData("""{"kind":"Maybe","subscriptionId":"s"}""", "*'kind' is \"Maybe\"*")]
    [InlineData("""{"kind":"Accepted","subscriptionId":"s","periodStart":"soon"}""", "*'periodStart' is \"soon\", which is not an ISO-8601 UTC instant*")]
    [InlineData("""null""", "*usage outcome cannot be null*")]
    public void MalformedUsageOutcome_Fails(string json, string message)
    {
        var act = () => Deserialize<UsageOutcome>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void CurrentUsage_RoundTrips_AndASummaryHasTheDocumentedShape()
    {
        var summary = new UsageSummary("sub_1", "api_calls", January, 1500m, 42, UsageSummaryStatus.Current);
        var current = new CurrentUsage(
            "sub_1",
            January,
            [summary, new UsageSummary("sub_1", "storage_gb", January, 0m, 0, UsageSummaryStatus.Current)],
            SmallInvoice().Content);

        Serialize(summary).Should().Be(Minify("""
            {
              "subscriptionId": "sub_1",
              "meterKey": "api_calls",
              "period": { "index": 0, "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z" },
              "quantity": 1500,
              "recordCount": 42,
              "status": "Current"
            }
            """));
        var back = RoundTrip(current);
        back.SubscriptionId.Should().Be("sub_1");
        back.Period.Should().Be(January);
        back.Usage.Should().Equal(current.Usage);
        back.Estimate.Should().Be(current.Estimate);
    }

    [Fact]
    public void UsageSummary_MissingQuantity_Fails()
    {
        var act = () => Deserialize<UsageSummary>("""{"subscriptionId":"s","meterKey":"m","period":{"index":0,"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"},"recordCount":1,"status":"Current"}""");

        act.Should().Throw<JsonException>().WithMessage("*quantity*");
    }

    [Fact]
    public void UsageRecord_AnInput_RoundTrips()
    {
        var record = new UsageRecord("cus_1", "api_calls", 2.5m, Jan1, "req-1", UsageAction.Set, new Dictionary<string, string> { ["region"] = "eu" }, "sub_1");

        var json = Serialize(record);

        json.Should().Be("""{"customerId":"cus_1","meterKey":"api_calls","quantity":2.5,"timestamp":"2026-01-01T00:00:00Z","idempotencyKey":"req-1","action":"Set","properties":{"region":"eu"},"subscriptionId":"sub_1"}""");
        Deserialize<UsageRecord>(json).Should().Be(record);
        Deserialize<UsageRecord>("""{"customerId":"cus_1","meterKey":"api_calls","quantity":1,"timestamp":"2026-01-01T00:00:00Z","idempotencyKey":"req-2"}""")
            .Should().Be(new UsageRecord("cus_1", "api_calls", 1m, Jan1, "req-2"));
    }
}
