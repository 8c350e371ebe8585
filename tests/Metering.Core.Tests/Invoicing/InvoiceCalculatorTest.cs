namespace Metering.Tests.Invoicing;

using Metering;

public class InvoiceCalculatorTest
{
    // April 2025: 30 days, [Apr 1, May 1) UTC.
    private static readonly BillingPeriod April = new(3, Instant.FromUtc(2025, 4, 1, 0, 0), Instant.FromUtc(2025, 5, 1, 0, 0));

    // January 2025: 31 days, [Jan 1, Feb 1) UTC.
    private static readonly BillingPeriod January = new(0, Instant.FromUtc(2025, 1, 1, 0, 0), Instant.FromUtc(2025, 2, 1, 0, 0));

    private static readonly InvoiceCalculator Calculator = new();

    private static Dictionary<string, decimal> Usage(params (string Key, decimal Quantity)[] usage) =>
        usage.ToDictionary(u => u.Key, u => u.Quantity);

    private static void ShouldAddUp(CalculatedInvoice invoice)
    {
        Money.Sum(invoice.Lines.Select(l => l.Amount), invoice.Currency).Should().Be(invoice.Total);
        invoice.Total.Should().Be(invoice.Subtotal - invoice.CreditsApplied);
    }

    private static Plan BaseFeeOnly(decimal fee, Currency? currency = null, bool perSeat = false) =>
        Plan.Create("base", currency ?? Currency.USD, BillingInterval.Months(1)).WithBaseFee(fee, perSeat).Build();

    private static Plan PerRequest(decimal rate, Currency currency) =>
        Plan.Create("api", currency, BillingInterval.Months(1)).WithCharge("requests", PricingModel.PerUnit(rate)).Build();

    [Fact]
    public void Calculate_ShippingPlanJmd_ThreeLinesAddUpToTotal()
    {
        var plan = Plan.Create("shipping", Currency.JMD, BillingInterval.Months(1))
            .WithBaseFee(2_999.00m)
            .WithCharge("packages", PricingModel.PerUnit(50.00m), o => o.DisplayName = "Packages shipped")
            .WithCharge("returns", PricingModel.PerUnit(100.00m))
            .Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("packages", 150m), ("returns", 12m))));

        // 2,999 + 150 × 50 + 12 × 100 = 2,999 + 7,500 + 1,200 = 11,699.00 JMD
        invoice.Lines.Should().HaveCount(3);
        invoice.Lines.Select(l => l.Kind).Should().Equal(InvoiceLineKind.BaseFee, InvoiceLineKind.Usage, InvoiceLineKind.Usage);
        invoice.Lines.Select(l => l.Amount).Should().Equal(
            new Money(2_999.00m, Currency.JMD), new Money(7_500.00m, Currency.JMD), new Money(1_200.00m, Currency.JMD));
        invoice.Lines[1].Description.Should().Be("Packages shipped");
        invoice.Lines[1].ChargeKey.Should().Be("packages");
        invoice.Lines[1].MeterKey.Should().Be("packages");
        invoice.Lines[1].Quantity.Should().Be(150m);
        invoice.Lines[1].UnitPrice.Should().Be(50.00m);
        invoice.Subtotal.Should().Be(new Money(11_699.00m, Currency.JMD));
        invoice.CreditsApplied.Should().Be(Money.Zero(Currency.JMD));
        invoice.Total.Should().Be(new Money(11_699.00m, Currency.JMD));
        invoice.PlanKey.Should().Be("shipping");
        invoice.Period.Should().Be(April);
        ShouldAddUp(invoice);
    }

    [Theory]
    [InlineData(18_420, "36.84")] // 18,420 × 0.002 = 36.84
    [InlineData(1, "0.00")]       // 0.002 rounds to 0.00
    [InlineData(2_500, "5.00")]   // 2,500 × 0.002 = 5.000
    [InlineData(2_503, "5.01")]   // 5.006 → 5.01
    public void Calculate_SubCentRateEur_RoundsOncePerLine(int requests, string expected)
    {
        var invoice = Calculator.Calculate(new InvoiceInput(PerRequest(0.002m, Currency.EUR), April, Usage(("requests", requests))));

        invoice.Lines.Should().ContainSingle().Which.ExactAmount.Should().Be(requests * 0.002m);
        invoice.Total.Should().Be(new Money(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), Currency.EUR));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_MidpointAmount_HalfUpVersusHalfEven()
    {
        // 2 × 0.0025 = 0.005: half-up → 0.01, half-even → 0.00 (0 is even)
        var input = new InvoiceInput(PerRequest(0.0025m, Currency.EUR), April, Usage(("requests", 2m)));

        new InvoiceCalculator().Calculate(input).Total.Amount.Should().Be(0.01m);
        new InvoiceCalculator(new InvoiceCalculatorOptions { Rounding = RoundingPolicy.HalfEven }).Calculate(input).Total.Amount.Should().Be(0.00m);
    }

    [Fact]
    public void Calculate_Jpy_RoundsToWholeYen()
    {
        // 3 × 0.5 = 1.5 JPY → 2 half-up; 5 × 0.5 = 2.5 → 3 half-up, 2 half-even
        Calculator.Calculate(new InvoiceInput(PerRequest(0.5m, Currency.JPY), April, Usage(("requests", 3m)))).Total
            .Should().Be(new Money(2m, Currency.JPY));
        new InvoiceCalculator(new() { Rounding = RoundingPolicy.HalfEven }).Calculate(new InvoiceInput(PerRequest(0.5m, Currency.JPY), April, Usage(("requests", 5m)))).Total
            .Should().Be(new Money(2m, Currency.JPY));
    }

    [Fact]
    public void Calculate_Kwd_RoundsToThreeDigits()
    {
        // 3 × 0.0015 = 0.0045 KWD → 0.005 half-up (3 digits), 0.004 half-even
        var input = new InvoiceInput(PerRequest(0.0015m, Currency.KWD), April, Usage(("requests", 3m)));

        Calculator.Calculate(input).Total.Should().Be(new Money(0.005m, Currency.KWD));
        new InvoiceCalculator(new() { Rounding = RoundingPolicy.HalfEven }).Calculate(input).Total.Should().Be(new Money(0.004m, Currency.KWD));
    }

    [Fact]
    public void Calculate_GraduatedAndVolumeCharges_LinesCarryTiers()
    {
        PriceTier[] tiers = [new(100m, 1.00m), new(1000m, 0.80m), new(null, 0.50m)];
        var plan = Plan.Create("tiered", Currency.USD, BillingInterval.Months(1))
            .WithCharge("calls", PricingModel.Graduated(tiers), o => o.Key = "graduated")
            .WithCharge("calls", PricingModel.Volume(tiers), o => o.Key = "volume")
            .Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("graduated", 1_500m), ("volume", 1_500m))));

        // graduated: 100 × 1 + 900 × 0.8 + 500 × 0.5 = 1,070; volume: 1,500 × 0.5 = 750; total 1,820
        invoice.Lines[0].Amount.Amount.Should().Be(1_070.00m);
        invoice.Lines[0].Tiers.Select(t => t.Quantity).Should().Equal(100m, 900m, 500m);
        invoice.Lines[0].UnitPrice.Should().BeNull();
        invoice.Lines[1].Amount.Amount.Should().Be(750.00m);
        invoice.Lines[1].Tiers.Should().ContainSingle().Which.Tier.Should().Be(3);
        invoice.Lines[1].UnitPrice.Should().Be(0.50m);
        invoice.Total.Amount.Should().Be(1_820.00m);
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_IncludedUnits_DescribedAndFree()
    {
        var plan = Plan.Create("free_tier", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.01m, includedUnits: 1_000m))
            .Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("api_calls", 1_250m))));

        // (1,250 - 1,000) × 0.01 = 2.50
        var line = invoice.Lines.Should().ContainSingle().Which;
        line.Quantity.Should().Be(1_250m);
        line.Description.Should().Be("api_calls (1000 included)");
        line.Amount.Should().Be(new Money(2.50m, Currency.USD));
    }

    [Fact]
    public void Calculate_PackageCharge_NoUnitPrice()
    {
        var plan = Plan.Create("boxes", Currency.USD, BillingInterval.Months(1)).WithCharge("items", PricingModel.Package(100m, 5m)).Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("items", 101m))));

        // ceil(101 / 100) = 2 packages × 5 = 10.00
        invoice.Total.Should().Be(new Money(10.00m, Currency.USD));
        invoice.Lines[0].UnitPrice.Should().BeNull();
    }

    [Fact]
    public void Calculate_ZeroUsageNoBaseFee_LineForEveryCharge_FirstTierFlatFeeBilled()
    {
        var plan = Plan.Create("payg", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.01m))
            .WithCharge("storage_gb", PricingModel.Graduated([new(10m, 0m, 5m), new(null, 0.1m)]))
            .Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage()));

        // no usage: api_calls 0 × 0.01 = 0; storage_gb reaches tier 1, so its 5.00 flat fee is billed; total 5.00
        invoice.Lines.Should().HaveCount(2);
        invoice.Lines.Should().OnlyContain(l => l.Kind == InvoiceLineKind.Usage && l.Quantity == 0m);
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(0m, 5.00m);
        invoice.Lines[1].Tiers.Should().Equal(new TierPrice(1, 0m, 10m, 0m, 0m, 5m, 5m));
        invoice.Total.Should().Be(new Money(5.00m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_ZeroUsage_FirstTierFlatFeeZero_ZeroTotal()
    {
        var plan = Plan.Create("payg", Currency.USD, BillingInterval.Months(1))
            .WithCharge("storage_gb", PricingModel.Graduated([new(10m, 10.00m, 0m), new(null, 5.00m, 3.00m)]))
            .WithCharge("api_calls", PricingModel.Volume([new(100m, 1.00m, 0m), new(null, 0.50m, 20.00m)]))
            .Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage()));

        // first tiers have no flat fee: 0 + 0 = 0.00 (later tiers' fees are not reached)
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(0m, 0m);
        invoice.Total.Should().Be(Money.Zero(Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_RealTimeBurnWithFirstTierFlatFee_FeeBilledOnceOnTheInvoice()
    {
        // Graduated (0,10] @ 10.00 + flat 2.00, (10,∞) @ 5.00, burned in real time.
        var plan = Plan.Create("prepaid", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.Graduated([new(10m, 10.00m, 2.00m), new(null, 5.00m)]), o => o.BurnsCreditsInRealTime = true)
            .Build();

        // 3 units: real-time burn was Price(3) - Price(0) = 32 - 2 = 30; the 2.00 flat fee is left for the invoice.
        var unpaid = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("api_calls", 3m)))
        {
            PrepaidByCharge = new Dictionary<string, decimal> { ["api_calls"] = 30m },
        });
        unpaid.Lines.Select(l => l.Amount.Amount).Should().Equal(32.00m, -30.00m);
        unpaid.Total.Should().Be(new Money(2.00m, Currency.USD));
        ShouldAddUp(unpaid);

        // with 5.00 credits left at close, invoice-time credits pay the fee: 32 - 30 - 2 = 0
        var paid = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("api_calls", 3m)))
        {
            PrepaidByCharge = new Dictionary<string, decimal> { ["api_calls"] = 30m },
            CreditsAvailable = new Money(5.00m, Currency.USD),
        });
        paid.Lines.Select(l => l.Amount.Amount).Should().Equal(32.00m, -30.00m, -2.00m);
        paid.Total.Should().Be(Money.Zero(Currency.USD));
        ShouldAddUp(paid);
    }

    [Fact]
    public void Calculate_BaseFeeOnly_OneLine()
    {
        var invoice = Calculator.Calculate(new InvoiceInput(BaseFeeOnly(30m), April, Usage()));

        var line = invoice.Lines.Should().ContainSingle().Which;
        line.Kind.Should().Be(InvoiceLineKind.BaseFee);
        line.Description.Should().Be("base base fee");
        line.Quantity.Should().Be(1m);
        line.UnitPrice.Should().Be(30m);
        line.ProrationFraction.Should().BeNull();
        invoice.Total.Should().Be(new Money(30.00m, Currency.USD));
    }

    [Fact]
    public void Calculate_NoBaseFee_NoBaseFeeLine()
    {
        Calculator.Calculate(new InvoiceInput(PerRequest(1m, Currency.USD), April, Usage())).Lines
            .Should().NotContain(l => l.Kind == InvoiceLineKind.BaseFee);
    }

    [Fact]
    public void Calculate_PerSeatBaseFee_MultipliedBySeats()
    {
        var invoice = Calculator.Calculate(new InvoiceInput(BaseFeeOnly(10m, perSeat: true), April, Usage()) { Seats = 3 });

        // 10.00 × 3 seats = 30.00
        var line = invoice.Lines.Should().ContainSingle().Which;
        line.Quantity.Should().Be(3m);
        line.Description.Should().Contain("3 seats");
        line.Amount.Should().Be(new Money(30.00m, Currency.USD));
    }

    [Fact]
    public void Calculate_LastTenDaysOfThirtyDayPeriod_ProratesBaseFee()
    {
        var input = new InvoiceInput(BaseFeeOnly(30.00m), April, Usage()) { CoveredFrom = Instant.FromUtc(2025, 4, 21, 0, 0) };

        var line = Calculator.Calculate(input).Lines.Single();

        // Apr 21 → May 1 = 10 of 30 days: 30.00 × 10 / 30 = 10.00 (exactly, no 9.999…)
        line.ExactAmount.Should().Be(10m);
        line.Amount.Should().Be(new Money(10.00m, Currency.USD));
        line.ProrationFraction!.Value.Should().BeApproximately(1m / 3m, 0.0000000001m);
        line.Description.Should().Contain("prorated for 33.33% of the period");
    }

    [Fact]
    public void Calculate_HalfOfThirtyOneDayMonth_ProratesBy15Point5Days()
    {
        // Jan 1 00:00 → Jan 16 12:00 = 15.5 of 31 days: 31.00 × 15.5 / 31 = 15.50; 100.00 × 15.5 / 31 = 50.00
        var to = Instant.FromUtc(2025, 1, 16, 12, 0);

        Calculator.Calculate(new InvoiceInput(BaseFeeOnly(31.00m), January, Usage()) { CoveredTo = to }).Total
            .Should().Be(new Money(15.50m, Currency.USD));
        var half = Calculator.Calculate(new InvoiceInput(BaseFeeOnly(100.00m), January, Usage()) { CoveredTo = to });
        half.Total.Should().Be(new Money(50.00m, Currency.USD));
        half.Lines[0].ProrationFraction.Should().Be(0.5m);
    }

    [Fact]
    public void Calculate_ProrationRoundsOnce()
    {
        // 10 of 31 days of 29.99: 29.99 × 10 / 31 = 9.6741935… → 9.67
        var input = new InvoiceInput(BaseFeeOnly(29.99m), January, Usage()) { CoveredFrom = Instant.FromUtc(2025, 1, 22, 0, 0) };

        Calculator.Calculate(input).Total.Should().Be(new Money(9.67m, Currency.USD));
    }

    [Fact]
    public void Calculate_CoveredRangeOutsidePeriod_Throws()
    {
        var input = new InvoiceInput(BaseFeeOnly(30m), April, Usage()) { CoveredFrom = Instant.FromUtc(2025, 3, 31, 0, 0) };

        FluentActions.Invoking(() => Calculator.Calculate(input)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*not inside the period*");
    }

    [Fact]
    public void Calculate_InTrial_BaseFeeWaivedLineShown()
    {
        var plan = Plan.Create("shipping", Currency.JMD, BillingInterval.Months(1))
            .WithBaseFee(2_999m)
            .WithTrialDays(14)
            .WithCharge("packages", PricingModel.PerUnit(50m))
            .Build();

        var invoice = Calculator.Calculate(new InvoiceInput(plan, April, Usage(("packages", 2m))) { InTrial = true });

        // base waived: 0 + 2 × 50 = 100.00
        invoice.Lines[0].Kind.Should().Be(InvoiceLineKind.BaseFee);
        invoice.Lines[0].Amount.Should().Be(Money.Zero(Currency.JMD));
        invoice.Lines[0].Description.Should().Contain("trial");
        invoice.Total.Should().Be(new Money(100.00m, Currency.JMD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_CreditsAboveSubtotal_TotalZero()
    {
        var input = new InvoiceInput(BaseFeeOnly(40m), April, Usage()) { CreditsAvailable = new Money(50m, Currency.USD) };

        var invoice = Calculator.Calculate(input);

        // min(50, 40) = 40 applied; 40 - 40 = 0
        invoice.Subtotal.Should().Be(new Money(40m, Currency.USD));
        invoice.CreditsApplied.Should().Be(new Money(40m, Currency.USD));
        invoice.Total.Should().Be(Money.Zero(Currency.USD));
        invoice.Lines.Last().Kind.Should().Be(InvoiceLineKind.Credit);
        invoice.Lines.Last().Amount.Should().Be(new Money(-40m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_CreditsBelowSubtotal_ReduceTotal()
    {
        var input = new InvoiceInput(BaseFeeOnly(40m), April, Usage()) { CreditsAvailable = new Money(10m, Currency.USD) };

        var invoice = Calculator.Calculate(input);

        // 40 - 10 = 30
        invoice.CreditsApplied.Should().Be(new Money(10m, Currency.USD));
        invoice.Total.Should().Be(new Money(30m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_SubCentCredits_NeverApplyMoreThanAvailable()
    {
        var input = new InvoiceInput(BaseFeeOnly(40m), April, Usage()) { CreditsAvailable = new Money(10.005m, Currency.USD) };

        // 10.005 available: 10.00 applied (truncated, not rounded up to 10.01); 40 - 10 = 30.00
        Calculator.Calculate(input).Total.Should().Be(new Money(30.00m, Currency.USD));
    }

    [Fact]
    public void Calculate_NoCreditsOrZeroSubtotal_NoCreditLine()
    {
        var invoice = Calculator.Calculate(new InvoiceInput(PerRequest(1m, Currency.USD), April, Usage()) { CreditsAvailable = new Money(10m, Currency.USD) });

        invoice.Lines.Should().NotContain(l => l.Kind == InvoiceLineKind.Credit);
        invoice.CreditsApplied.Should().Be(Money.Zero(Currency.USD));
    }

    [Fact]
    public void Calculate_CreditsInOtherCurrency_Throws()
    {
        var input = new InvoiceInput(BaseFeeOnly(40m), April, Usage()) { CreditsAvailable = new Money(50m, Currency.EUR) };

        FluentActions.Invoking(() => Calculator.Calculate(input)).Should().Throw<CurrencyMismatchException>().WithMessage("*USD*EUR*");
    }

    [Fact]
    public void Calculate_PrepaidByRealTimeBurn_ShownAsCreditLine()
    {
        var plan = Plan.Create("prepaid", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(5m)
            .WithCharge("api_calls", PricingModel.PerUnit(0.01m), o => o.BurnsCreditsInRealTime = true)
            .Build();
        var input = new InvoiceInput(plan, April, Usage(("api_calls", 1_000m)))
        {
            PrepaidByCharge = new Dictionary<string, decimal> { ["api_calls"] = 7.5m },
            CreditsAvailable = new Money(2m, Currency.USD),
        };

        var invoice = Calculator.Calculate(input);

        // subtotal 5 + 1,000 × 0.01 = 15.00; prepaid 7.50; invoice-time credits 2.00; total 15 - 7.5 - 2 = 5.50
        invoice.Lines.Select(l => l.Amount.Amount).Should().Equal(5.00m, 10.00m, -7.50m, -2.00m);
        invoice.Lines[2].ChargeKey.Should().Be("api_calls");
        invoice.Lines[2].Description.Should().Contain("paid with credits");
        invoice.CreditsApplied.Should().Be(new Money(9.50m, Currency.USD));
        invoice.Total.Should().Be(new Money(5.50m, Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_PrepaidAboveLineAmount_CappedAtLine()
    {
        var input = new InvoiceInput(PerRequest(0.01m, Currency.USD), April, Usage(("requests", 100m)))
        {
            PrepaidByCharge = new Dictionary<string, decimal> { ["requests"] = 3m },
        };

        // line 100 × 0.01 = 1.00; prepaid 3.00 capped at 1.00; total 0
        var invoice = Calculator.Calculate(input);
        invoice.CreditsApplied.Should().Be(new Money(1.00m, Currency.USD));
        invoice.Total.Should().Be(Money.Zero(Currency.USD));
        ShouldAddUp(invoice);
    }

    [Fact]
    public void Calculate_UsageForUnknownCharge_NamesKeyAndPlanCharges()
    {
        var input = new InvoiceInput(PerRequest(1m, Currency.USD), April, Usage(("bogus", 1m)));

        FluentActions.Invoking(() => Calculator.Calculate(input)).Should().Throw<MeteringException>()
            .WithMessage("Usage is given for charge 'bogus', which plan 'api' v1 does not have (its charges: 'requests')*");
    }

    [Fact]
    public void Calculate_NegativeUsage_Throws()
    {
        var input = new InvoiceInput(PerRequest(1m, Currency.USD), April, Usage(("requests", -1m)));

        FluentActions.Invoking(() => Calculator.Calculate(input)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*'requests'*");
    }

    [Fact]
    public void Calculate_SameInputTwice_SameInvoice()
    {
        PriceTier[] tiers = [new(100m, 1.00m, 2m), new(null, 0.333m)];
        var plan = Plan.Create("p", Currency.EUR, BillingInterval.Months(1))
            .WithBaseFee(19.99m)
            .WithCharge("calls", PricingModel.Graduated(tiers))
            .Build();
        var input = new InvoiceInput(plan, January, Usage(("calls", 1_234.5m)))
        {
            CoveredFrom = Instant.FromUtc(2025, 1, 10, 7, 30),
            CreditsAvailable = new Money(3.333m, Currency.EUR),
        };

        var first = Calculator.Calculate(input);
        var second = new InvoiceCalculator().Calculate(input with { });

        second.Should().Be(first);
        ShouldAddUp(first);
    }
}
