using System.Text.Json;
using System.Text.Json.Nodes;
using Metering.Storage;

namespace Metering.Tests.Serialization;

/// <summary>Options, a JSON text normalizer and sample values shared by the serialization tests.</summary>
internal static class JsonTestData
{
    public static readonly Instant Jan1 = Instant.FromUtc(2026, 1, 1, 0, 0);
    public static readonly Instant Feb1 = Instant.FromUtc(2026, 2, 1, 0, 0);
    public static readonly BillingPeriod January = new(0, Jan1, Feb1);
    public static readonly Currency Credits = Currency.Custom("credits", 4);

    /// <summary>What an ASP.NET Core host uses: the web defaults (camelCase, case-insensitive) plus Metering.</summary>
    public static JsonSerializerOptions Web() => new JsonSerializerOptions(JsonSerializerDefaults.Web).ConfigureForMetering();

    /// <summary>Web options whose currency table knows the custom <see cref="Credits"/> unit.</summary>
    public static JsonSerializerOptions WebWithCredits() =>
        new JsonSerializerOptions(JsonSerializerDefaults.Web).ConfigureForMetering(CurrencyTable.Iso4217.With(Credits));

    /// <summary>
    /// Removes the insignificant whitespace of hand-written JSON (member order, number text such as <c>2.000</c> and
    /// string contents are kept), so a test can compare serializer output with an indented literal.
    /// </summary>
    public static string Minify(string json) => JsonNode.Parse(json)!.ToJsonString();

    public static string Serialize<T>(T value, JsonSerializerOptions? options = null) => JsonSerializer.Serialize(value, options ?? Web());

    public static T Deserialize<T>(string json, JsonSerializerOptions? options = null) => JsonSerializer.Deserialize<T>(json, options ?? Web())!;

    public static T RoundTrip<T>(T value, JsonSerializerOptions? options = null)
    {
        options ??= Web();
        return JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, options), options)!;
    }

    /// <summary>A small invoice with a base fee, a two-tier usage line and a credit line, built by hand.</summary>
    public static Invoice SmallInvoice()
    {
        var eur = Currency.EUR;
        var content = new CalculatedInvoice(
            "pro",
            2,
            eur,
            January,
            [
                new InvoiceLine(InvoiceLineKind.BaseFee, "Pro plan", null, null, 1m, 29.00m, [], 29.00m, new Money(29.00m, eur), null),
                new InvoiceLine(
                    InvoiceLineKind.Usage,
                    "API calls",
                    "api_calls",
                    "api_calls",
                    1500m,
                    null,
                    [
                        new TierPrice(1, 0m, 1000m, 1000m, 0.002m, 0m, 2.000m),
                        new TierPrice(2, 1000m, null, 500m, 0.001m, 1.00m, 1.500m),
                    ],
                    3.500m,
                    new Money(3.50m, eur),
                    null),
                new InvoiceLine(InvoiceLineKind.Credit, "Credits applied", null, null, 1m, null, [], -10.00m, new Money(-10.00m, eur), null),
            ],
            new Money(32.50m, eur),
            new Money(10.00m, eur),
            new Money(22.50m, eur));
        return new Invoice
        {
            InvoiceId = "inv_1",
            Number = 1,
            SubscriptionId = "sub_1",
            CustomerId = "cus_1",
            PlanKey = "pro",
            PlanVersion = 2,
            Period = January,
            Reason = InvoiceReason.PeriodEnd,
            Status = InvoiceStatus.Finalized,
            Content = content,
            CreatedAt = Feb1 + Duration.FromHours(1),
            FinalizedAt = Feb1 + Duration.FromHours(1),
            SettledAt = null,
            PaymentFailures = 0,
        };
    }

    /// <summary>The hand-written JSON of <see cref="SmallInvoice"/> under the web defaults.</summary>
    public const string SmallInvoiceJson = """
        {
          "invoiceId": "inv_1",
          "number": 1,
          "subscriptionId": "sub_1",
          "customerId": "cus_1",
          "planKey": "pro",
          "planVersion": 2,
          "period": { "index": 0, "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z" },
          "reason": "PeriodEnd",
          "status": "Finalized",
          "content": {
            "planKey": "pro",
            "planVersion": 2,
            "currency": "EUR",
            "period": { "index": 0, "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z" },
            "lines": [
              {
                "kind": "BaseFee",
                "description": "Pro plan",
                "chargeKey": null,
                "meterKey": null,
                "quantity": 1,
                "unitPrice": 29.00,
                "tiers": [],
                "exactAmount": 29.00,
                "amount": { "amount": "29.00", "currency": "EUR" },
                "prorationFraction": null,
                "group": null
              },
              {
                "kind": "Usage",
                "description": "API calls",
                "chargeKey": "api_calls",
                "meterKey": "api_calls",
                "quantity": 1500,
                "unitPrice": null,
                "tiers": [
                  { "tier": 1, "from": 0, "upTo": 1000, "quantity": 1000, "unitPrice": 0.002, "flatFee": 0, "amount": 2.000 },
                  { "tier": 2, "from": 1000, "upTo": null, "quantity": 500, "unitPrice": 0.001, "flatFee": 1.00, "amount": 1.500 }
                ],
                "exactAmount": 3.500,
                "amount": { "amount": "3.50", "currency": "EUR" },
                "prorationFraction": null,
                "group": null
              },
              {
                "kind": "Credit",
                "description": "Credits applied",
                "chargeKey": null,
                "meterKey": null,
                "quantity": 1,
                "unitPrice": null,
                "tiers": [],
                "exactAmount": -10.00,
                "amount": { "amount": "-10.00", "currency": "EUR" },
                "prorationFraction": null,
                "group": null
              }
            ],
            "subtotal": { "amount": "32.50", "currency": "EUR" },
            "creditsApplied": { "amount": "10.00", "currency": "EUR" },
            "total": { "amount": "22.50", "currency": "EUR" },
            "contractId": null
          },
          "createdAt": "2026-02-01T01:00:00Z",
          "finalizedAt": "2026-02-01T01:00:00Z",
          "settledAt": null,
          "paymentFailures": 0,
          "creditedAmount": 0,
          "revision": 0,
          "replacesInvoiceId": null,
          "replacedByInvoiceId": null,
          "adjustsInvoiceId": null,
          "adjustmentReason": null,
          "total": { "amount": "22.50", "currency": "EUR" },
          "creditableAmount": { "amount": "22.50", "currency": "EUR" }
        }
        """;

    /// <summary>A plan with a base fee, per-unit, package (filtered) and graduated charges, and two features.</summary>
    public static Plan SamplePlan() =>
        Plan.Create("pro", Currency.EUR, BillingInterval.Months(1))
            .WithDisplayName("Pro")
            .WithBaseFee(29.00m)
            .WithTrialDays(14)
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m, includedUnits: 1000m))
            .WithCharge("storage_gb", PricingModel.Package(100m, 5.00m, rounding: PackageRounding.Down), o => o.Where("region", "eu").Key = "storage_eu")
            .WithCharge("seats", PricingModel.Graduated([new PriceTier(10m, 10.00m, FlatFee: 0m), new PriceTier(null, 8.50m)]), o => o.DisplayName = "Seats")
            .WithFeature(Feature.On("sso"))
            .WithFeature(Feature.Limited("max_projects", 25m))
            .Build(3);

    /// <summary>The hand-written JSON of <see cref="SamplePlan"/> under the web defaults.</summary>
    public const string SamplePlanJson = """
        {
          "key": "pro",
          "version": 3,
          "displayName": "Pro",
          "currency": "EUR",
          "interval": "P1M",
          "baseFee": 29.00,
          "baseFeePerSeat": false,
          "trialDays": 14,
          "whenCreditsRunOut": "Overage",
          "charges": [
            {
              "key": "api_calls",
              "meterKey": "api_calls",
              "displayName": null,
              "pricing": { "model": "PerUnit", "unitPrice": 0.002, "includedUnits": 1000 },
              "filter": {},
              "burnsCreditsInRealTime": false
            },
            {
              "key": "storage_eu",
              "meterKey": "storage_gb",
              "displayName": null,
              "pricing": { "model": "Package", "packageSize": 100, "packagePrice": 5.00, "rounding": "Down", "includedUnits": 0 },
              "filter": { "region": "eu" },
              "burnsCreditsInRealTime": false
            },
            {
              "key": "seats",
              "meterKey": "seats",
              "displayName": "Seats",
              "pricing": {
                "model": "Graduated",
                "tiers": [
                  { "upTo": 10, "unitPrice": 10.00, "flatFee": 0 },
                  { "upTo": null, "unitPrice": 8.50, "flatFee": 0 }
                ],
                "includedUnits": 0
              },
              "filter": {},
              "burnsCreditsInRealTime": false
            }
          ],
          "features": [
            { "key": "sso", "enabled": true, "limit": null },
            { "key": "max_projects", "enabled": true, "limit": 25 }
          ]
        }
        """;

    /// <summary>A ledger page of a grant, a consumption and a (signed) adjustment in the custom credits unit.</summary>
    public static Page<CreditTransaction> LedgerPage() => new(
        [
            new CreditTransaction(1, "tx_1", "cus_1", "grant_1", CreditTransactionType.Grant, new Money(100m, Credits), Jan1, description: "Welcome credits"),
            new CreditTransaction(2, "tx_2", "cus_1", "grant_1", CreditTransactionType.Consumption, new Money(0.0025m, Credits), Jan1 + Duration.FromMinutes(5), usageIdempotencyKey: "req-42"),
            new CreditTransaction(3, "tx_3", "cus_1", "grant_1", CreditTransactionType.Adjustment, new Money(-1.5m, Credits), Jan1 + Duration.FromDays(1), invoiceId: "inv_1", description: "Correction"),
        ],
        "3");
}
