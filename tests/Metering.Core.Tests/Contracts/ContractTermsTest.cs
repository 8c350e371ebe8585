namespace Metering.Tests.Contracts;

using Metering;

public class ContractTermsTest
{
    // January 2026: [Jan 1, Feb 1) UTC.
    private static readonly Instant Jan1 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly BillingPeriod January = new(0, Jan1, Instant.FromUtc(2026, 2, 1, 0, 0));

    private static readonly InvoiceCalculator Calculator = new();

    private static Plan Metered() =>
        Plan.Create("metered", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(0.002m)).Build();

    private static ContractTerms Contract(decimal? minimum = 50.00m, decimal discount = 0m) => new()
    {
        ContractId = "ct_acme",
        StartsAt = Jan1,
        ChargeOverrides = [new ChargeOverride("api_calls", PricingModel.PerUnit(0.0015m))],
        MinimumCommitment = minimum is { } m ? new Money(m, Currency.USD) : null,
        DiscountPercent = discount,
    };

    private static CalculatedInvoice Invoice(decimal calls, ContractTerms? terms) =>
        Calculator.Calculate(new InvoiceInput(Metered(), January, new Dictionary<string, decimal> { ["api_calls"] = calls }) { Contract = terms });

    [Fact]
    public void ContractPrice_BelowMinimum_TrueUpLineMakesUpTheMinimum()
    {
        var invoice = Invoice(20_000m, Contract());

        // 20,000 × 0.0015 = 30.00; minimum 50.00 → true-up 20.00.
        invoice.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().Equal((InvoiceLineKind.Usage, 30.00m), (InvoiceLineKind.MinimumCommitment, 20.00m));
        invoice.Total.Should().Be(new Money(50.00m, Currency.USD));
        invoice.ContractId.Should().Be("ct_acme");
        invoice.Lines[0].UnitPrice.Should().Be(0.0015m);
    }

    [Fact]
    public void ContractPrice_AboveMinimum_NoTrueUp()
    {
        var invoice = Invoice(40_000m, Contract());

        invoice.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().Equal((InvoiceLineKind.Usage, 60.00m));
        invoice.Total.Amount.Should().Be(60.00m);
    }

    [Fact]
    public void NoContract_PlanPrice()
    {
        var invoice = Invoice(20_000m, null);

        invoice.Total.Amount.Should().Be(40.00m);
        invoice.ContractId.Should().BeNull();
    }

    [Fact]
    public void Discount_TakesPercentOffTheUsageLines_BeforeTheMinimum()
    {
        // 50,000 × 0.0015 = 75.00; 10% off = -7.50; 67.50 is above the 50.00 minimum.
        var invoice = Invoice(50_000m, Contract(discount: 10m));
        invoice.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().Equal((InvoiceLineKind.Usage, 75.00m), (InvoiceLineKind.Discount, -7.50m));
        invoice.Total.Amount.Should().Be(67.50m);

        // 40,000 × 0.0015 = 60.00; -6.00 → 54.00... with a 60.00 minimum the true-up is 6.00.
        var trued = Invoice(40_000m, Contract(minimum: 60.00m, discount: 10m));
        trued.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().Equal((InvoiceLineKind.Usage, 60.00m), (InvoiceLineKind.Discount, -6.00m), (InvoiceLineKind.MinimumCommitment, 6.00m));
        trued.Total.Amount.Should().Be(60.00m);
    }

    [Fact]
    public void Minimum_PartialPeriod_IsProrated()
    {
        // Covered from Jan 16: 16 of 31 days; 62.00 × 16 / 31 = 32.00; 10,000 × 0.0015 = 15.00 → true-up 17.00.
        var invoice = Calculator.Calculate(new InvoiceInput(Metered(), January, new Dictionary<string, decimal> { ["api_calls"] = 10_000m })
        {
            Contract = Contract(minimum: 62.00m),
            CoveredFrom = Instant.FromUtc(2026, 1, 16, 0, 0),
        });

        invoice.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().Equal((InvoiceLineKind.Usage, 15.00m), (InvoiceLineKind.MinimumCommitment, 17.00m));
    }

    [Fact]
    public void AnnualFeeInAdvance_DueOnlyInThePeriodItsCycleStarts_InArrearsInThePeriodItEnds()
    {
        var terms = Contract() with
        {
            Fees =
            [
                new ContractFee("Platform fee", new Money(1_200.00m, Currency.USD), BillingInterval.Years(1), FeeTiming.InAdvance),
                new ContractFee("Support", new Money(300.00m, Currency.USD), BillingInterval.Months(3), FeeTiming.InArrears),
            ],
        };
        var schedule = BillingSchedule.FromStart(Jan1, DateTimeZone.Utc, BillingInterval.Months(1));
        var due = Enumerable.Range(0, 13).Select(i => schedule.PeriodAt(i)).Select(p => terms.FeesDue(DateTimeZone.Utc, p.Start, p.End)).ToList();

        due[0].Select(c => c.Fee.Name).Should().Equal("Platform fee");
        due[1].Should().BeEmpty();
        due[2].Select(c => (c.Fee.Name, c.CycleStart, c.CycleEnd)).Should().Equal(("Support", Jan1, Instant.FromUtc(2026, 4, 1, 0, 0)));
        due.Count(d => d.Any(c => c.Fee.Name == "Platform fee")).Should().Be(2, "billed in January 2026 and January 2027");
        due[12].Select(c => c.Fee.Name).Should().Equal("Platform fee");
        due[11].Select(c => c.Fee.Name).Should().Equal("Support");
        due.Sum(d => d.Count(c => c.Fee.Name == "Support")).Should().Be(4);

        var invoice = Calculator.Calculate(new InvoiceInput(Metered(), January, new Dictionary<string, decimal>()) { Contract = terms, ContractFees = due[0] });
        invoice.Lines.Select(l => (l.Kind, l.Amount.Amount)).Should().Equal((InvoiceLineKind.Usage, 0m), (InvoiceLineKind.ContractFee, 1_200.00m));
        invoice.Total.Amount.Should().Be(1_200.00m, "the fee covers the 50.00 minimum");
    }

    [Fact]
    public void FeesDue_StopAtTheContractEnd()
    {
        var terms = Contract() with
        {
            EndsAt = Instant.FromUtc(2026, 3, 15, 0, 0),
            Fees = [new ContractFee("Monthly", new Money(10m, Currency.USD), BillingInterval.Months(1), FeeTiming.InAdvance)],
        };

        terms.FeesDue(DateTimeZone.Utc, Instant.FromUtc(2026, 3, 1, 0, 0), Instant.FromUtc(2026, 4, 1, 0, 0)).Should().HaveCount(1);
        terms.FeesDue(DateTimeZone.Utc, Instant.FromUtc(2026, 4, 1, 0, 0), Instant.FromUtc(2026, 5, 1, 0, 0)).Should().BeEmpty();
    }

    [Fact]
    public void AppliesTo_TermsInEffectAtThePeriodEnd()
    {
        var terms = Contract() with { StartsAt = Instant.FromUtc(2026, 1, 15, 0, 0), EndsAt = Instant.FromUtc(2026, 3, 1, 0, 0) };

        terms.AppliesTo(Instant.FromUtc(2026, 2, 1, 0, 0)).Should().BeTrue("started mid-January: prices all of January");
        terms.AppliesTo(Instant.FromUtc(2026, 3, 1, 0, 0)).Should().BeTrue("ends exactly at the end of February");
        terms.AppliesTo(Instant.FromUtc(2026, 4, 1, 0, 0)).Should().BeFalse();
        terms.AppliesTo(Instant.FromUtc(2026, 1, 15, 0, 0)).Should().BeFalse("a range ending at the start is before the terms");
    }

    [Fact]
    public void CheckAgainst_RejectsUnknownCharge_OtherCurrency_AndOutOfBoundsValues()
    {
        var plan = Metered();
        var unknown = Contract() with { ChargeOverrides = [new ChargeOverride("storage_gb", PricingModel.PerUnit(1m))] };
        var euro = Contract() with { MinimumCommitment = new Money(50m, Currency.EUR) };
        var discount = Contract(discount: 100.5m);
        var fee = Contract() with { Fees = [new ContractFee("Huge", new Money(MeteringLimits.MaxPrice + 1m, Currency.USD), BillingInterval.Months(1), FeeTiming.InAdvance)] };
        var backwards = Contract() with { EndsAt = Jan1 };

        foreach (var (terms, text) in new[] { (unknown, "storage_gb"), (euro, "EUR"), (discount, "100.5"), (fee, "Huge"), (backwards, "ends at") })
        {
            var act = () => terms.CheckAgainst(plan);
            act.Should().Throw<MeteringException>().Where(e => e.ErrorCode == MeteringErrorCode.InvalidArgument && e.Message.Contains(text));
        }

        Contract().Invoking(t => t.CheckAgainst(plan)).Should().NotThrow();
    }

    [Fact]
    public void PriceOf_ReplacesOnlyOverriddenCharges_KeepsKeyAndVersion()
    {
        var plan = Plan.Create("two", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.002m))
            .WithCharge("storage_gb", PricingModel.PerUnit(0.10m))
            .Build(3);

        var effective = Contract().PriceOf(plan);

        effective.Key.Should().Be("two");
        effective.Version.Should().Be(3);
        effective.FindCharge("api_calls")!.Pricing.Should().Be(PricingModel.PerUnit(0.0015m));
        effective.FindCharge("storage_gb")!.Pricing.Should().Be(PricingModel.PerUnit(0.10m));
    }
}
