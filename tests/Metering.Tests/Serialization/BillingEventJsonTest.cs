using System.Text.Json;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class BillingEventJsonTest
{
    private static BillingEvent Event() => new(
        "evt_1",
        BillingEventType.InvoiceFinalized,
        "cus_1",
        "inv_1",
        Feb1 + Duration.FromHours(1),
        new Dictionary<string, string> { ["total"] = "22.50", ["currency"] = "EUR" });

    [Fact]
    public void BillingEvent_HasTheDocumentedShape()
    {
        Serialize(Event()).Should().Be(Minify("""
            {
              "eventId": "evt_1",
              "type": "InvoiceFinalized",
              "customerId": "cus_1",
              "subjectId": "inv_1",
              "occurredAt": "2026-02-01T01:00:00Z",
              "data": { "total": "22.50", "currency": "EUR" }
            }
            """));
    }

    [Fact]
    public void BillingEvent_RoundTrips()
    {
        var back = RoundTrip(Event());

        back.Should().BeEquivalentTo(Event(), o => o.ComparingByMembers<BillingEvent>());
    }

    [Theory]
    [InlineData("""{"eventId":"e","type":"InvoicePaid","customerId":"c","subjectId":"s","data":{}}""", "*occurredAt*")]
    [InlineData("""{"eventId":"e","type":7,"customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z","data":{}}""", "*")]
    [InlineData("""{"eventId":"e","type":"InvoicePaid","customerId":"c","subjectId":"s","occurredAt":"2026-01-01T00:00:00Z","data":null}""", "*data*")]
    public void MalformedBillingEvent_Fails(string json, string message)
    {
        var act = () => Deserialize<BillingEvent>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }
}
