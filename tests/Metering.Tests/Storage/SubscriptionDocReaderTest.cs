using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.Storage;

namespace Metering.Tests.Storage;

/// <summary>
/// The hand-written reader of stored subscription documents reads exactly what the serializer reads: every member, in
/// any order (PostgreSQL's jsonb reorders them), unknown members skipped, missing ones defaulted, escapes undone.
/// </summary>
public sealed class SubscriptionDocReaderTest
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // Every member set to something that is not its default, so a member the reader misses shows up as a difference.
    private static SubscriptionDoc Full() => new(
        "sub-\"quoted\"",
        "cust-é",
        "team",
        3,
        new ScheduleDoc("2026-01-31T09:30:00", "Europe/Paris", "P1M"),
        "2026-01-31T08:30:00Z",
        new PeriodDoc(7, "2026-08-31T07:30:00Z", "2026-09-30T07:30:00.123456789Z"),
        "2026-02-14T08:30:00Z",
        5,
        ["alice@example.com", "bob\u2603@example.com"],
        "2026-12-31T23:00:00Z",
        "2027-01-01T00:00:00Z",
        42,
        [new SubscriptionUsageAlertDoc("api", UsageAlertKind.Amount, "150.25"), new SubscriptionUsageAlertDoc("storage", UsageAlertKind.Quantity, "1000")],
        [new SeatChangeDoc("2026-09-01T00:00:00Z", 2, 5)],
        new Dictionary<string, string>(StringComparer.Ordinal) { ["région"] = "Île-de-France", ["tab"] = "a\tb" },
        "2026-09-02T00:00:00Z",
        "in_sub_1",
        new ContractDoc(
            "ctr-1",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
            [new ChargeOverrideDoc("api", new PricingDoc("Graduated", "10", null, null, null, PackageRounding.Down, [new TierDoc("100", "0.01", "0"), new TierDoc(null, "0.005", "1.5")]))],
            "12.5",
            [new ContractFeeDoc("Support", new MoneyDoc("99.00", new CurrencyDoc("EUR", 2, false)), "P1M", FeeTiming.InArrears)],
            new MoneyDoc("1000.00", new CurrencyDoc("EUR", 2, false))),
        true);

    private static SubscriptionDoc Plain() => new(
        "sub-1", "cust-1", "load", 1, new ScheduleDoc("2026-01-01T00:00:00", "UTC", "P1M"), "2026-01-01T00:00:00Z",
        new PeriodDoc(0, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"), null, 1, [], null, null, 1);

    private static string Json(SubscriptionDoc doc) => JsonSerializer.Serialize(doc, DocumentContext.Default.SubscriptionDoc);

    private static SubscriptionDoc Serializer(string json) => JsonSerializer.Deserialize(json, DocumentContext.Default.SubscriptionDoc)!;

    public static TheoryData<string> Documents() => new() { Json(Full()), Json(Plain()) };

    [Fact]
    public void FullFixture_SetsEveryMember()
    {
        // Guards the fixture: a member added to SubscriptionDoc must be set here, or the reader could skip it unnoticed.
        var members = JsonNode.Parse(Json(Full()))!.AsObject();
        members.Select(m => m.Key).Should().BeEquivalentTo(typeof(SubscriptionDoc).GetProperties().Select(p => p.Name).Where(n => n != "EqualityContract"));
        foreach (var (name, value) in members)
        {
            value.Should().NotBeNull($"member {name} is set in the fixture");
            value!.ToJsonString().Should().NotBe("false").And.NotBe("0").And.NotBe("[]", $"member {name} has a value that is not its default");
        }
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void ReadsWhatTheSerializerReads(string json)
    {
        var expected = Serializer(json);

        SubscriptionDocReader.Read(json).Should().BeEquivalentTo(expected);
        SubscriptionDocReader.Read(Encoding.UTF8.GetBytes(json)).Should().BeEquivalentTo(expected);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void MembersInAnyOrder_IndentedAndEscaped(string json)
    {
        var expected = Serializer(json);
        var reversed = new JsonObject();
        foreach (var (name, value) in JsonNode.Parse(json)!.AsObject().Reverse().ToList())
        {
            reversed[name] = value?.DeepClone();
        }

        // Indented, with every non-ASCII character escaped (\uXXXX), as another writer might store it.
        var text = reversed.ToJsonString(Indented);

        text.Should().NotBe(json);
        SubscriptionDocReader.Read(text).Should().BeEquivalentTo(expected);
    }

    [Fact]
    public void UnknownMembersAreSkipped_MissingOnesDefaulted()
    {
        var node = JsonNode.Parse(Json(Full()))!.AsObject();
        node.Remove("SeatChanges");
        node.Remove("ContractInherited");
        node.Remove("Metadata");
        node["AddedLater"] = new JsonObject { ["Nested"] = new JsonArray(1, "two", new JsonObject { ["x"] = null }) };
        node["AlsoLater"] = new JsonArray();
        var json = node.ToJsonString();

        var doc = SubscriptionDocReader.Read(json);

        doc.Should().BeEquivalentTo(Serializer(json));
        doc.SeatChanges.Should().BeNull();
        doc.Metadata.Should().BeNull();
        doc.ContractInherited.Should().BeFalse();
        doc.Revision.Should().Be(42);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"SubscriptionId\":\"s\"")]
    [InlineData("{\"Schedule\":[]}")]
    public void NotADocument_IsAJsonException(string json)
    {
        var act = () => SubscriptionDocReader.Read(json);

        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void LongDocument_ReadsWholeFromItsText()
    {
        // A document several times the usual size (200 seat holders) still reads whole from its text.
        var doc = Plain() with { SeatAssignments = [.. Enumerable.Range(0, 200).Select(i => $"holder-{i}@example.com")], Seats = 200 };
        var json = Json(doc);
        json.Length.Should().BeGreaterThan(4096);

        SubscriptionDocReader.Read(json).Should().BeEquivalentTo(Serializer(json));
    }
}
