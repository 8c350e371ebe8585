using System.Text.Json;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class ValueJsonTest
{
    [Fact]
    public void BillingPeriod_IsIndexStartAndEnd()
    {
        var period = new BillingPeriod(3, Instant.FromUtc(2026, 4, 1, 0, 0), Instant.FromUtc(2026, 5, 1, 0, 0, 30) + Duration.FromMilliseconds(250));

        var json = Serialize(period);

        json.Should().Be("""{"index":3,"start":"2026-04-01T00:00:00Z","end":"2026-05-01T00:00:30.25Z"}""");
        Deserialize<BillingPeriod>(json).Should().Be(period);
    }

    [Theory]
    [InlineData("""{"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"}""", "*has no 'index'*")]
    [InlineData("""{"index":0,"end":"2026-02-01T00:00:00Z"}""", "*has no 'start'*")]
    [InlineData("""{"index":0,"start":"2026-01-01T00:00:00Z"}""", "*has no 'end'*")]
    [InlineData("""{"index":0,"start":"2026-01-01","end":"2026-02-01T00:00:00Z"}""", "*'start' is \"2026-01-01\", which is not an ISO-8601 UTC instant*")]
    [InlineData("""{"index":0,"start":"2026-01-01T00:00:00+01:00","end":"2026-02-01T00:00:00Z"}""", "*'start'*not an ISO-8601 UTC instant*")]
    [InlineData("""{"index":0,"start":1767225600,"end":"2026-02-01T00:00:00Z"}""", "*'start' must be a string, but is a number*")]
    [InlineData("""{"index":"0","start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"}""", "*'index' must be a whole number, but is a string*")]
    [InlineData("""{"index":0,"start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}""", "*end*is not after its start*")]
    [InlineData("""null""", "*billing period cannot be null*")]
    public void MalformedBillingPeriod_Fails(string json, string message)
    {
        var act = () => Deserialize<BillingPeriod>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Theory]
    [InlineData(IntervalUnit.Month, 1, "\"P1M\"")]
    [InlineData(IntervalUnit.Month, 3, "\"P3M\"")]
    [InlineData(IntervalUnit.Week, 2, "\"P2W\"")]
    [InlineData(IntervalUnit.Day, 10, "\"P10D\"")]
    [InlineData(IntervalUnit.Year, 1, "\"P1Y\"")]
    public void BillingInterval_IsIsoLikeText(IntervalUnit unit, int count, string expected)
    {
        var interval = new BillingInterval(unit, count);

        Serialize(interval).Should().Be(expected);
        Deserialize<BillingInterval>(expected).Should().Be(interval);
    }

    [Fact]
    public void BillingInterval_AlsoReadsTheDisplayForm()
    {
        Deserialize<BillingInterval>("\"3 months\"").Should().Be(BillingInterval.Months(3));
    }

    [Theory]
    [InlineData("\"P0M\"", "*\"P0M\" is not a billing interval*")]
    [InlineData("\"monthly\"", "*\"monthly\" is not a billing interval*")]
    [InlineData("1", "*billing interval is a string*number*")]
    [InlineData("null", "*billing interval is a string*null*")]
    public void MalformedBillingInterval_Fails(string json, string message)
    {
        var act = () => Deserialize<BillingInterval>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void Instant_IsIso8601Utc()
    {
        Serialize(Instant.FromUtc(2026, 1, 31, 23, 59, 59)).Should().Be("\"2026-01-31T23:59:59Z\"");
        Deserialize<Instant>("\"2026-01-31T23:59:59Z\"").Should().Be(Instant.FromUtc(2026, 1, 31, 23, 59, 59));
        var act = () => Deserialize<Instant>("\"next tuesday\"");
        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void Enums_AreTheirMemberNames_AndNumbersAreRefused()
    {
        Serialize(InvoiceStatus.Uncollectible).Should().Be("\"Uncollectible\"");
        Serialize(UsageRejectionReason.TimestampInFuture).Should().Be("\"TimestampInFuture\"");
        Deserialize<CreditTransactionType>("\"Expiration\"").Should().Be(CreditTransactionType.Expiration);

        var number = () => Deserialize<InvoiceStatus>("1");
        var unknown = () => Deserialize<InvoiceStatus>("\"Refunded\"");

        number.Should().Throw<JsonException>();
        unknown.Should().Throw<JsonException>();
    }

    [Fact]
    public void EveryPublicMeteringEnum_IsWrittenAsAString()
    {
        var enums = new[] { typeof(Money).Assembly, typeof(Invoice).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsEnum)
            .ToList();
        var options = Web();

        enums.Should().NotBeEmpty();
        foreach (var type in enums)
        {
            var first = Enum.GetValues(type).GetValue(0)!;
            JsonSerializer.Serialize(first, type, options).Should().Be($"\"{first}\"", $"{type.Name} is part of Metering's JSON and must be a name");
        }
    }

    [Fact]
    public void HostEnums_AreLeftAsTheHostConfiguredThem()
    {
        Serialize(DayOfWeek.Monday).Should().Be("1", "ConfigureForMetering adds converters for Metering's enums only");
    }
    private sealed record HostDto(string Name, int Count);

    [Fact]
    public void HostTypes_KeepTheirOwnReadingRules()
    {
        // Metering's strict reading (missing or null members fail) is for Metering's types only.
        var options = Web();

        var dto = JsonSerializer.Deserialize<HostDto>("""{"name":null}""", options)!;

        dto.Name.Should().BeNull();
        dto.Count.Should().Be(0);
        options.RespectNullableAnnotations.Should().BeFalse();
        options.RespectRequiredConstructorParameters.Should().BeFalse();
    }
    [Fact]
    public void EveryPublicMeteringRecord_HasAMeteringConverter_OrIsListedAsNotForTheWire()
    {
        // Store plumbing, calculator inputs and operational reports (which hold exceptions) have no JSON shape.
        string[] notForTheWire =
        [
            "AggregateTarget", "BillingEventDelivery", "Charge", "ChargeGroupUsage", "ChargePrice", "CreditAllocation", "CreditBurnResult", "CreditDraw", "CreditExpiryFailure", "CreditNoteContext", "CreditNoteDecision", "CreditNoteResult", "CustomerChange", "EventHandlerCheckpoint",
            "GrantBalance", "InvoiceCalculatorOptions", "InvoiceInput", "InvoiceRegenerationContext", "InvoiceRegenerationDecision", "InvoiceTransition", "LedgerChange", "MeteringBackgroundStatus", "PageRequest", "ParkedBillingEvent",
            "BackfillPeriod", "BackfillResult", "PendingAdjustment", "PeriodAdjustmentContext", "PeriodAdjustmentDecision", "PeriodCloseAttempt", "PeriodCloseContext", "PeriodCloseDecision", "PeriodCloseItem", "CurrentUsageState", "PeriodCloseFailure", "PeriodCloseReport", "PeriodCloseResult", "PreparedUsage",
            "RoundingPolicy", "StoredAggregate", "StoredBillingEvent", "UsageAggregate", "UsageAlert",
        ];
        var options = Web();

        var records = new[] { typeof(Money).Assembly, typeof(Invoice).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => !t.IsGenericTypeDefinition && t.GetMethod("PrintMembers", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance) is not null)
            .ToList();
        records.Should().Contain([typeof(Invoice), typeof(BillingPeriod), typeof(UsageOutcome), typeof(CreditBalance)]);

        var uncovered = records
            .Where(t => !notForTheWire.Contains(t.Name))
            .Where(t => options.GetConverter(t).GetType().Namespace != "Metering.Serialization")
            .Select(t => t.Name)
            .ToList();

        uncovered.Should().BeEmpty("a public record that hosts may return needs its JSON shape decided (add it in ConfigureForMetering and docs/json.md)");
    }
}
