using System.Text.Json;
using Metering.Storage;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

/// <summary>The remaining public results and inputs a host may put on the wire.</summary>
public sealed class OtherShapesJsonTest
{
    private static Subscription Subscription() => new()
    {
        SubscriptionId = "sub_1",
        CustomerId = "cus_1",
        PlanKey = "pro",
        PlanVersion = 2,
        Schedule = new BillingSchedule(new LocalDateTime(2026, 1, 31, 0, 0), DateTimeZoneProviders.Tzdb["Europe/Paris"], BillingInterval.Months(1)),
        StartedAt = Instant.FromUtc(2026, 1, 30, 23, 0),
        CurrentPeriod = new BillingPeriod(0, Instant.FromUtc(2026, 1, 30, 23, 0), Instant.FromUtc(2026, 2, 27, 23, 0)),
        TrialEndsAt = null,
        Seats = 3,
        SeatAssignments = ["u1", "u2"],
        SeatChanges = [new SeatChange(Instant.FromUtc(2026, 2, 10, 8, 30), 2, 3)],
        CancelAt = Instant.FromUtc(2026, 2, 27, 23, 0),
        EndedAt = null,
        Revision = 4,
        UsageAlerts = [new SubscriptionUsageAlert("api_calls", UsageAlertKind.Amount, 500.00m)],
        Metadata = new Dictionary<string, string> { ["order"] = "o-17" },
    };

    [Fact]
    public void Subscription_HasTheDocumentedShape_AndRoundTrips()
    {
        var json = Serialize(Subscription());

        json.Should().Be(Minify("""
            {
              "subscriptionId": "sub_1",
              "customerId": "cus_1",
              "planKey": "pro",
              "planVersion": 2,
              "schedule": { "anchor": "2026-01-31T00:00:00", "zone": "Europe/Paris", "interval": "P1M" },
              "startedAt": "2026-01-30T23:00:00Z",
              "currentPeriod": { "index": 0, "start": "2026-01-30T23:00:00Z", "end": "2026-02-27T23:00:00Z" },
              "trialEndsAt": null,
              "seats": 3,
              "seatAssignments": ["u1", "u2"],
              "seatChanges": [{ "at": "2026-02-10T08:30:00Z", "previousSeats": 2, "seats": 3 }],
              "cancelAt": "2026-02-27T23:00:00Z",
              "endedAt": null,
              "revision": 4,
              "usageAlerts": [{ "chargeKey": "api_calls", "kind": "Amount", "threshold": 500.00 }],
              "metadata": { "order": "o-17" },
              "paymentFailedAt": null,
              "paymentFailedInvoiceId": null,
              "contract": null,
              "contractInherited": false
            }
            """));
        Deserialize<Subscription>(json).Should().Be(Subscription());
    }

    [Fact]
    public void Subscription_WithAnUnknownTimeZone_Fails()
    {
        var json = Serialize(Subscription()).Replace("Europe/Paris", "Europe/Atlantis", StringComparison.Ordinal);

        var act = () => Deserialize<Subscription>(json);

        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void PlanChangeResult_RoundTrips()
    {
        var result = new PlanChangeResult(SmallInvoice(), Subscription());

        var back = RoundTrip(result);

        back.Invoice.Should().Be(result.Invoice);
        back.Subscription.Should().Be(result.Subscription);
    }

    [Fact]
    public void UsageHistoryPage_RoundTrips()
    {
        var page = new Page<PeriodUsage>(
            [new PeriodUsage("sub_1", January, UsageSummaryStatus.Recorded, [new UsageSummary("sub_1", "api_calls", January, 12.5m, 3, UsageSummaryStatus.Recorded)], "inv_1")],
            "1");

        var back = RoundTrip(page);

        back.NextCursor.Should().Be("1");
        back.Items.Should().ContainSingle().Which.Should().BeEquivalentTo(page.Items[0], o => o.ComparingByMembers<PeriodUsage>());
    }

    [Fact]
    public void SmallResultsAndInputs_RoundTrip()
    {
        RoundTrip(new FeatureAccess("max_projects", true, 25m)).Should().Be(new FeatureAccess("max_projects", true, 25m));
        var inGrace = new FeatureAccess("export", true, null) { Status = FeatureAccessStatus.InGrace, AccessEndsAt = Feb1 };
        Serialize(inGrace).Should().Be("""{"featureKey":"export","enabled":true,"limit":null,"status":"InGrace","accessEndsAt":"2026-02-01T00:00:00Z"}""");
        RoundTrip(inGrace).Should().Be(inGrace);
        var manual = new Customer("cus_3", null, "UTC", Jan1) { InvoiceApproval = InvoiceApproval.Manual };
        RoundTrip(manual).Should().Be(manual).And.NotBe(manual with { InvoiceApproval = null });
        Serialize(new Page<Invoice>([], null) { TotalCount = 23 }).Should().Be("""{"items":[],"nextCursor":null,"totalCount":23}""");
        RoundTrip(new Page<Invoice>([], null) { TotalCount = 23 }).TotalCount.Should().Be(23);
        RoundTrip(new Customer("cus_1", null, "Europe/Paris", Jan1)).Should().Be(new Customer("cus_1", null, "Europe/Paris", Jan1));
        var detailed = new Customer("cus_2", "Acme", "Asia/Tokyo", Jan1) { Email = "billing@acme.test", Metadata = new Dictionary<string, string> { ["crm_id"] = "A-17" }, UpdatedAt = Feb1 };
        RoundTrip(detailed).Should().Be(detailed).And.NotBe(detailed with { Metadata = new Dictionary<string, string> { ["crm_id"] = "B" } });
        var onContract = detailed with { Contract = new ContractTerms { ContractId = "ct_acme", StartsAt = Jan1, DiscountPercent = 10m } };
        Serialize(onContract).Should().Contain(""","invoiceApproval":null,"contract":{"contractId":"ct_acme",""");
        RoundTrip(onContract).Should().Be(onContract).And.NotBe(detailed);
        var changes = new CustomerDetails { TimeZoneId = "Asia/Tokyo", Email = "", Metadata = new Dictionary<string, string> { ["tier"] = "" } };
        RoundTrip(changes).Should().BeEquivalentTo(changes);
        var subscribe = new SubscribeRequest { CustomerId = "cus_1", PlanKey = "pro", StartAt = Jan1, Anchor = new LocalDateTime(2026, 1, 31, 9, 30), Seats = 2 };
        RoundTrip(subscribe).Should().Be(subscribe);
        var grant = new CreditGrantRequest { CustomerId = "cus_1", Amount = new Money(50m, Currency.EUR), ExpiresAt = Feb1, Category = CreditCategory.Paid };
        RoundTrip(grant).Should().BeEquivalentTo(grant);
        var alert = new CreditBalanceAlert(new CreditBalance(Currency.EUR, 50m, 45m, 0m, 0m, 0m, 5m), 10m);
        RoundTrip(alert).Should().Be(alert);
    }

    [Fact]
    public void CreditGrantRequest_WithoutAmount_Fails()
    {
        var act = () => Deserialize<CreditGrantRequest>("""{"customerId":"cus_1"}""");

        act.Should().Throw<JsonException>().WithMessage("*amount*");
    }
}
