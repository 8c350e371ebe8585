using System.Text.Json.Nodes;
using Metering.Storage;

namespace Metering.Tests.Storage;

/// <summary>The stored plan and invoice documents keep a charge's grouping and a line's group; older documents still load.</summary>
public sealed class GroupedChargeDocumentTest
{
    private static readonly BillingPeriod January = new(0, Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0));

    private static Plan Grouped() => Plan.Create("llm", Currency.USD, BillingInterval.Months(1))
        .WithCharge(Meter.Sum("tokens").WithGroupBy("region", "model"), PricingModel.PerUnit(0.10m), c => c.GroupedBy("model", "region"))
        .WithCharge("storage_gb", PricingModel.PerUnit(1m))
        .Build(3);

    private static Invoice InvoiceOf(CalculatedInvoice content) => new()
    {
        InvoiceId = "inv_1",
        Number = 1,
        SubscriptionId = "s1",
        CustomerId = "c1",
        PlanKey = content.PlanKey,
        PlanVersion = content.PlanVersion,
        Period = January,
        Reason = InvoiceReason.PeriodEnd,
        Status = InvoiceStatus.Finalized,
        Content = content,
        CreatedAt = January.End,
        FinalizedAt = January.End,
    };

    private static CalculatedInvoice GroupedContent() => new InvoiceCalculator().Calculate(new InvoiceInput(Grouped(), January, new Dictionary<string, decimal> { ["storage_gb"] = 2m })
    {
        UsageByGroup = new Dictionary<string, IReadOnlyList<ChargeGroupUsage>>
        {
            ["tokens"] = [new(["gpt", "eu|us"], 30m), new([null, "eu"], 3m), new(["gpt", null], 12m)],
        },
    });

    /// <summary>The document as an older version wrote it: without the member <paramref name="member"/> anywhere.</summary>
    private static string Without(string json, string member)
    {
        var root = JsonNode.Parse(json)!;
        Remove(root, member).Should().BeGreaterThan(0, $"the document has '{member}' to take out");
        return root.ToJsonString();

        static int Remove(JsonNode? node, string name)
        {
            int removed = 0;
            switch (node)
            {
                case JsonObject obj:
                    if (obj.Remove(name))
                    {
                        removed++;
                    }

                    foreach (var (_, child) in obj.ToList())
                    {
                        removed += Remove(child, name);
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array)
                    {
                        removed += Remove(child, name);
                    }

                    break;
            }

            return removed;
        }
    }

    [Fact]
    public void Plan_GroupedCharge_RoundTrips()
    {
        var back = StoreDocuments.ToPlan(StoreDocuments.Json(Grouped()));

        back.DefinitionEquals(Grouped()).Should().BeTrue();
        back.Version.Should().Be(3);
        back.Charges[0].GroupBy.Should().Equal("model", "region");
        back.Charges[1].GroupBy.Should().BeEmpty();
    }

    [Fact]
    public void Plan_DocumentWithoutGroupBy_LoadsUngrouped()
    {
        var plain = Plan.Create("pro", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build();

        var back = StoreDocuments.ToPlan(Without(StoreDocuments.Json(plain), "GroupBy"));

        back.DefinitionEquals(plain).Should().BeTrue();
        back.Charges.Single().GroupBy.Should().BeEmpty();
    }

    [Fact]
    public void Invoice_GroupLines_RoundTripWithTheirGroups()
    {
        var invoice = InvoiceOf(GroupedContent());

        var back = StoreDocuments.ToInvoice(StoreDocuments.Json(invoice));

        back.Content.Should().Be(invoice.Content);
        back.Content.Lines.Select(l => l.Group is null ? "-" : string.Join(",", l.Group.Select(p => $"{p.Key}={p.Value ?? "(none)"}")))
            .Should().Equal("model=gpt,region=eu|us", "model=gpt,region=(none)", "model=(none),region=eu", "-");
        back.Content.Total.Should().Be(new Money(6.50m, Currency.USD), "30 × 0.10 + 12 × 0.10 + 3 × 0.10 + 2 × 1");
    }

    [Fact]
    public void Invoice_DocumentWithoutGroup_LoadsWithUngroupedLines()
    {
        var content = new InvoiceCalculator().Calculate(new InvoiceInput(
            Plan.Create("pro", Currency.USD, BillingInterval.Months(1)).WithBaseFee(5m).WithCharge("api_calls", PricingModel.PerUnit(1m)).Build(),
            January,
            new Dictionary<string, decimal> { ["api_calls"] = 2m }));
        var invoice = InvoiceOf(content);

        var back = StoreDocuments.ToInvoice(Without(StoreDocuments.Json(invoice), "Group"));

        back.Content.Should().Be(content);
        back.Content.Lines.Should().OnlyContain(l => l.Group == null);
    }
}
