using System.Text.Json;
using Metering.Storage;
using static Metering.Tests.Serialization.JsonTestData;

namespace Metering.Tests.Serialization;

public sealed class CreditsJsonTest
{
    [Fact]
    public void CreditBalance_HasTheDocumentedShape_AndRoundTrips()
    {
        var balance = new CreditBalance(Credits, 100m, 25.5m, 0m, 0m, -1.5m, 73.0m);
        var options = WebWithCredits();

        var json = Serialize(balance, options);

        json.Should().Be(Minify("""
            {
              "unit": "credits",
              "granted": 100,
              "consumed": 25.5,
              "expired": 0,
              "voided": 0,
              "adjusted": -1.5,
              "remaining": 73.0,
              "remainingMoney": { "amount": "73.0", "currency": "credits" }
            }
            """));
        Deserialize<CreditBalance>(json, options).Should().Be(balance);
    }

    [Fact]
    public void CreditBalances_InAnIsoCurrency_RoundTripWithTheDefaultTable()
    {
        IReadOnlyList<CreditBalance> balances = [new CreditBalance(Currency.EUR, 50m, 10m, 5m, 0m, 0m, 35m), new CreditBalance(Currency.JPY, 1000m, 0m, 0m, 1000m, 0m, 0m)];

        RoundTrip(balances).Should().Equal(balances);
    }

    [Theory]
    [InlineData("""{"unit":"EUR","granted":1,"consumed":0,"expired":0,"voided":0,"adjusted":0}""", "*remaining*")]
    [InlineData("""{"unit":null,"granted":1,"consumed":0,"expired":0,"voided":0,"adjusted":0,"remaining":1}""", "*unit*")]
    [InlineData("""{"unit":"EUR","granted":"lots","consumed":0,"expired":0,"voided":0,"adjusted":0,"remaining":1}""", "*")]
    public void MalformedCreditBalance_Fails(string json, string message)
    {
        var act = () => Deserialize<CreditBalance>(json);

        act.Should().Throw<JsonException>().WithMessage(message);
    }

    [Fact]
    public void LedgerPage_HasTheDocumentedShape_AndRoundTrips()
    {
        var page = LedgerPage();
        var options = WebWithCredits();

        var json = Serialize(page, options);
        var back = Deserialize<Page<CreditTransaction>>(json, options);

        json.Should().Be(Minify("""
            {
              "items": [
                {
                  "sequence": 1, "transactionId": "tx_1", "customerId": "cus_1", "grantId": "grant_1", "type": "Grant",
                  "amount": { "amount": "100", "currency": "credits" }, "at": "2026-01-01T00:00:00Z",
                  "usageIdempotencyKey": null, "invoiceId": null, "description": "Welcome credits", "effect": 100
                },
                {
                  "sequence": 2, "transactionId": "tx_2", "customerId": "cus_1", "grantId": "grant_1", "type": "Consumption",
                  "amount": { "amount": "0.0025", "currency": "credits" }, "at": "2026-01-01T00:05:00Z",
                  "usageIdempotencyKey": "req-42", "invoiceId": null, "description": null, "effect": -0.0025
                },
                {
                  "sequence": 3, "transactionId": "tx_3", "customerId": "cus_1", "grantId": "grant_1", "type": "Adjustment",
                  "amount": { "amount": "-1.5", "currency": "credits" }, "at": "2026-01-02T00:00:00Z",
                  "usageIdempotencyKey": null, "invoiceId": "inv_1", "description": "Correction", "effect": -1.5
                }
              ],
              "nextCursor": "3"
            }
            """));
        back.NextCursor.Should().Be("3");
        back.Items.Should().Equal(page.Items);
    }

    [Fact]
    public void LastLedgerPage_HasANullCursor()
    {
        var page = new Page<CreditTransaction>([], null);

        Serialize(page).Should().Be("""{"items":[],"nextCursor":null}""");
        Deserialize<Page<CreditTransaction>>("""{"items":[],"nextCursor":null}""").Items.Should().BeEmpty();
    }

    [Fact]
    public void LedgerPage_WithoutItems_Fails()
    {
        var act = () => Deserialize<Page<CreditTransaction>>("""{"nextCursor":"3"}""");

        act.Should().Throw<JsonException>().WithMessage("*items*");
    }

    [Fact]
    public void CreditTransaction_WithoutAmount_Fails()
    {
        var act = () => Deserialize<CreditTransaction>(
            """{"sequence":1,"transactionId":"t","customerId":"c","grantId":"g","type":"Grant","at":"2026-01-01T00:00:00Z"}""");

        act.Should().Throw<JsonException>().WithMessage("*amount*");
    }

    [Fact]
    public void CreditGrant_RoundTrips()
    {
        var grant = new CreditGrant(
            "grant_1",
            "cus_1",
            new Money(100m, Credits),
            CreditCategory.Paid,
            Jan1,
            Feb1,
            priority: 5,
            name: "Starter pack",
            metadata: new Dictionary<string, string> { ["order"] = "o-9" },
            sequence: 1);

        RoundTrip(grant, WebWithCredits()).Should().Be(grant);
    }
    [Fact]
    public void CreditBalanceAlert_HasTheDocumentedShape()
    {
        var alert = new CreditBalanceAlert(new CreditBalance(Currency.EUR, 50m, 45m, 0m, 0m, 0m, 5m), 10m);

        Serialize(alert).Should().Be(Minify("""
            {
              "balance": {
                "unit": "EUR", "granted": 50, "consumed": 45, "expired": 0, "voided": 0, "adjusted": 0, "remaining": 5,
                "remainingMoney": { "amount": "5", "currency": "EUR" }
              },
              "lowThreshold": 10,
              "isLow": true,
              "isExhausted": false
            }
            """));
    }

    [Fact]
    public void CreditTransaction_ThatTheDomainRefuses_FailsWithAJsonExceptionCarryingTheDomainsMessage()
    {
        var act = () => Deserialize<CreditTransaction>(
            """{"sequence":1,"transactionId":"t","customerId":"c","grantId":"g","type":"Grant","amount":{"amount":"0","currency":"EUR"},"at":"2026-01-01T00:00:00Z"}""");

        act.Should().Throw<JsonException>().WithMessage("*in a CreditTransaction*must be a positive magnitude*")
            .WithInnerException<ArgumentException>();
    }

    [Fact]
    public void LedgerPage_WithATransactionTheDomainRefuses_FailsWithAJsonException()
    {
        var act = () => Deserialize<Page<CreditTransaction>>(
            """{"items":[{"sequence":0,"transactionId":"t","customerId":"c","grantId":"g","type":"Grant","amount":{"amount":"1","currency":"EUR"},"at":"2026-01-01T00:00:00Z"}],"nextCursor":null}""");

        act.Should().Throw<JsonException>().WithMessage("*in a Page<CreditTransaction>*Sequence 0 is not positive*");
    }

    [Fact]
    public void CreditGrant_ExpiringBeforeItStarts_FailsWithAJsonException()
    {
        var act = () => Deserialize<CreditGrant>(
            """{"grantId":"g","customerId":"c","amount":{"amount":"1","currency":"EUR"},"category":"Paid","effectiveAt":"2026-02-01T00:00:00Z","expiresAt":"2026-01-01T00:00:00Z","priority":1,"name":"g","metadata":{},"sequence":0}""");

        act.Should().Throw<JsonException>().WithMessage("*in a CreditGrant*ExpiresAt*is not after EffectiveAt*");
    }
}
