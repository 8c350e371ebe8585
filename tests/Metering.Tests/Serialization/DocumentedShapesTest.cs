using System.Text.Json;
using Metering.Storage;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

/// <summary>
/// The examples in README.md and docs/json.md are the public contract: each is read into its type and written back to
/// exactly the same JSON, so the documentation cannot drift from the code.
/// </summary>
public sealed class DocumentedShapesTest
{
    private static readonly string Root = FindRoot();

    [Theory]
    [InlineData("README.md", "An invoice (`Invoice`, abridged to one line):")]
    [InlineData("docs/json.md", "`Invoice` (from `IInvoiceService`, `IPeriodCloser`), in full:")]
    public void DocumentedInvoice_RoundTripsToTheSameText(string file, string anchor) => Check<Invoice>(file, anchor);

    [Fact]
    public void DocumentedContractTerms_RoundTripsToTheSameText() => Check<ContractTerms>("docs/json.md", "`contract` is the subscription's `ContractTerms`");

    [Fact]
    public void DocumentedGroupedInvoiceLine_RoundTripsToTheSameText() => Check<InvoiceLine>("docs/json.md", "A usage line of a grouped charge");

    [Fact]
    public void DocumentedGroupedInvoiceLine_ReadsItsGroup()
    {
        var line = Deserialize<InvoiceLine>(Block("docs/json.md", "A usage line of a grouped charge"), WebWithCredits());

        line.Group.Should().BeEquivalentTo(new Dictionary<string, string?> { ["region"] = "eu" });
        line.Amount.Should().Be(new Money(2.80m, Currency.EUR));
    }

    [Fact]
    public void DocumentedGroupUsage_RoundTripsToTheSameText() => Check<GroupUsage>("docs/json.md", "`CurrentUsage` also has `\"groups\"");

    [Fact]
    public void DocumentedDailyUsage_RoundTripsToTheSameText() => Check<DailyUsage>("docs/json.md", "`DailyUsage` (from `IUsageQuery.GetDailyUsageAsync`");

    [Fact]
    public void DocumentedDailyUsage_ReadsLocalDates()
    {
        var daily = Deserialize<DailyUsage>(Block("docs/json.md", "`DailyUsage` (from `IUsageQuery.GetDailyUsageAsync`"), WebWithCredits());

        daily.Meters.Single().Days.Should().Equal(new DayUsage(new LocalDate(2026, 3, 1), 3m, 2), new DayUsage(new LocalDate(2026, 3, 2), 0m, 0));
    }

    [Fact]
    public void DocumentedPlan_ReadsTheGrouping_AndOnlyTheGroupedChargeHasIt()
    {
        var plan = Deserialize<Plan>(Block("docs/json.md", "A `Plan` version"), WebWithCredits());

        plan.Charges.Select(c => string.Join(",", c.GroupBy)).Should().Equal("", "", "region,model", "");
    }

    [Fact]
    public void DocumentedPlan_RoundTripsToTheSameText() => Check<Plan>("docs/json.md", "A `Plan` version");

    [Fact]
    public void DocumentedCreditRateCard_RoundTripsToTheSameText_AndIsARateCard()
    {
        Check<Plan>("docs/json.md", "A credit rate card (");
        var card = Deserialize<Plan>(Block("docs/json.md", "A credit rate card ("), WebWithCredits());
        card.IsCreditRateCard.Should().BeTrue();
        card.Charges.Single().BurnsCreditsInRealTime.Should().BeTrue();
        var overage = Block("docs/json.md", "A credit rate card (").Replace("\"Block\"", "\"Overage\"", StringComparison.Ordinal);
        FluentActions.Invoking(() => Deserialize<Plan>(overage, WebWithCredits())).Should().Throw<JsonException>().WithMessage("*blocks usage*");
    }

    [Fact]
    public void DocumentedCreditBalance_RoundTripsToTheSameText() => Check<CreditBalance>("docs/json.md", "`CreditBalance` (`remainingMoney` is derived");

    [Fact]
    public void DocumentedLedgerPage_RoundTripsToTheSameText() => Check<Page<CreditTransaction>>("docs/json.md", "A ledger page, `Page<CreditTransaction>`");

    [Theory]
    [InlineData("An invoice event (`InvoiceEventPayload`)")]
    [InlineData("A subscription event (`SubscriptionEventPayload`")]
    [InlineData("A grant event (`CreditGrantEventPayload`)")]
    [InlineData("A balance alert (`CreditBalanceEventPayload`")]
    [InlineData("A usage alert (`UsageThresholdEventPayload`")]
    [InlineData("A credit note (`CreditNoteEventPayload`")]
    [InlineData("An event stored before payloads were typed")]
    public void DocumentedBillingEvent_RoundTripsToTheSameText(string anchor) => Check<BillingEvent>("docs/json.md", anchor);

    [Fact]
    public void DocumentedCreditNote_RoundTripsToTheSameText() => Check<CreditNote>("docs/json.md", "`CreditNote` (from");

    [Fact]
    public void DocumentedBillingEvents_CoverEveryPayloadType()
    {
        var text = File.ReadAllText(Path.Combine(Root, "docs/json.md"));
        var section = text[text.IndexOf("## Billing events", StringComparison.Ordinal)..text.IndexOf("## Plans", StringComparison.Ordinal)];

        foreach (var type in Enum.GetValues<BillingEventType>())
        {
            section.Should().Contain($"`{type}`", "every event type is in the table of payloads");
            section.Should().Contain($"`{BillingEventPayload.TypeFor(type).Name}`");
        }
    }

    [Fact]
    public void DocumentedBillableItem_RoundTripsToTheSameText() => Check<BillableItem>("docs/json.md", "`BillableItem` (from");

    [Fact]
    public void DocumentedCatalogPlan_ReadsAndWritesArchivedWithThePlan()
    {
        var options = WebWithCredits();
        var plan = Deserialize<Plan>(Block("docs/json.md", "A `Plan` version"), options);

        var json = Serialize(new CatalogPlan(plan, Archived: true), options);
        var back = Deserialize<CatalogPlan>(json, options);

        json.Should().StartWith("{\"plan\":{\"key\":\"pro\",\"version\":3,").And.EndWith(",\"archived\":true}");
        back.Archived.Should().BeTrue();
        back.Plan.DefinitionEquals(plan).Should().BeTrue();
        back.Plan.Version.Should().Be(3);
    }

    [Fact]
    public void DocumentedSubscription_RoundTripsToTheSameText() => Check<Subscription>("docs/json.md", "## Subscriptions and customers");

    [Fact]
    public void DocumentedUsageRecord_RoundTripsToTheSameText() => Check<UsageRecord>("docs/json.md", "`UsageRecord` (an input):");

    [Fact]
    public void DocumentedUsageOutcomes_RoundTripToTheSameText()
    {
        var lines = Block("docs/json.md", "`UsageOutcome` (from").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        lines.Should().HaveCount(4);
        foreach (var line in lines)
        {
            Serialize(Deserialize<UsageOutcome>(line)).Should().Be(Minify(line));
        }
    }

    private static void Check<T>(string file, string anchor)
    {
        var json = Block(file, anchor);
        var options = WebWithCredits();

        Serialize(Deserialize<T>(json, options), options).Should().Be(Minify(json), $"the example after '{anchor}' in {file} is what the code writes");
    }

    /// <summary>The first ```json block after <paramref name="anchor"/> in <paramref name="file"/>.</summary>
    private static string Block(string file, string anchor)
    {
        var text = File.ReadAllText(Path.Combine(Root, file)).ReplaceLineEndings("\n");
        var at = text.IndexOf(anchor, StringComparison.Ordinal);
        at.Should().BeGreaterThanOrEqualTo(0, $"{file} has '{anchor}'");
        var start = text.IndexOf("```json\n", at, StringComparison.Ordinal) + "```json\n".Length;
        var end = text.IndexOf("```", start, StringComparison.Ordinal);
        return text[start..end];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Metering.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Metering.sln not found above the test directory.");
    }
}
