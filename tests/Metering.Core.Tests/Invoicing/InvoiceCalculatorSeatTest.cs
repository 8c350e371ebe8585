namespace Metering.Tests.Invoicing;

using Metering;

/// <summary>
/// A per-seat base fee whose seat count changed during the period is weighted by time (issue #17), and the partial
/// period a plan change starts is prorated against its full period. April 2025 has 30 days; January 2025 has 31.
/// </summary>
public class InvoiceCalculatorSeatTest
{
    private static readonly BillingPeriod April = new(3, Instant.FromUtc(2025, 4, 1, 0, 0), Instant.FromUtc(2025, 5, 1, 0, 0));

    private static readonly BillingPeriod January = new(0, Instant.FromUtc(2025, 1, 1, 0, 0), Instant.FromUtc(2025, 2, 1, 0, 0));

    private static readonly InvoiceCalculator Calculator = new();

    private static readonly Dictionary<string, decimal> NoUsage = [];

    private static Plan PerSeat(decimal fee) =>
        Plan.Create("team", Currency.USD, BillingInterval.Months(1)).WithBaseFee(fee, perSeat: true).Build();

    private static Instant AprilDay(int day) => Instant.FromUtc(2025, 4, day, 0, 0);

    private static Money Usd(decimal amount) => new(amount, Currency.USD);

    [Fact]
    public void TwoSeatsForHalfThenFiveForHalf_Costs35_Not50()
    {
        var input = new InvoiceInput(PerSeat(10.00m), April, NoUsage) { Seats = 5, SeatChanges = [new SeatChange(AprilDay(16), 2, 5)] };

        var line = Calculator.Calculate(input).Lines.Should().ContainSingle().Which;

        // 2 × 10.00 × 15/30 + 5 × 10.00 × 15/30 = 10.00 + 25.00 = 35.00; 3.5 seats on average.
        line.Amount.Should().Be(Usd(35.00m));
        line.ExactAmount.Should().Be(35m);
        line.Quantity.Should().Be(3.5m);
        line.UnitPrice.Should().Be(10.00m);
        line.ProrationFraction.Should().BeNull("the whole period is covered");
        line.Description.Should().Be("team base fee, 2 seats for 50% of the period, 5 seats for 50% of the period");
    }

    [Fact]
    public void WeightedSeats_RoundOncePerLine()
    {
        // 1 seat for 10 days, then 2 for 21 days of January: 10.00 × (1 × 10 + 2 × 21) / 31 = 520 / 31 = 16.7741… → 16.77.
        // Rounding each span first would give 3.23 + 13.55 = 16.78.
        var input = new InvoiceInput(PerSeat(10.00m), January, NoUsage) { Seats = 2, SeatChanges = [new SeatChange(Instant.FromUtc(2025, 1, 11, 0, 0), 1, 2)] };

        var line = Calculator.Calculate(input).Lines.Single();

        line.Amount.Should().Be(Usd(16.77m));
        line.Description.Should().Be("team base fee, 1 seats for 32.26% of the period, 2 seats for 67.74% of the period");
    }

    [Fact]
    public void SeveralChanges_EachSpanWeighted_AdjacentEqualCountsMerged()
    {
        // 3 seats Apr 1-6, 1 seat Apr 6-11, 4 seats Apr 11-May 1 (the 4 -> 4 no-op at Apr 21 merges):
        // 10.00 × (3 × 5 + 1 × 5 + 4 × 20) / 30 = 10.00 × 100 / 30 = 33.333… → 33.33.
        SeatChange[] changes = [new(AprilDay(6), 3, 1), new(AprilDay(11), 1, 4), new(AprilDay(21), 4, 4)];
        var input = new InvoiceInput(PerSeat(10.00m), April, NoUsage) { Seats = 4, SeatChanges = changes };

        var line = Calculator.Calculate(input).Lines.Single();

        line.Amount.Should().Be(Usd(33.33m));
        line.Quantity.Should().Be(100m / 30m);
        line.Description.Should().Be("team base fee, 3 seats for 16.67% of the period, 1 seats for 16.67% of the period, 4 seats for 66.67% of the period");
    }

    [Fact]
    public void PartialPeriod_SeatChangeInside_WeightedAgainstTheFullPeriod()
    {
        // Covered Apr 16 - May 1 (a plan change on Apr 16), 2 seats to Apr 21, then 5:
        // 10.00 × (2 × 5 + 5 × 10) / 30 = 10.00 × 60 / 30 = 20.00; 60 / 15 = 4 seats on average over the 15 covered days.
        var input = new InvoiceInput(PerSeat(10.00m), April, NoUsage)
        {
            CoveredFrom = AprilDay(16),
            Seats = 5,
            SeatChanges = [new SeatChange(AprilDay(21), 2, 5)],
        };

        var line = Calculator.Calculate(input).Lines.Single();

        line.Amount.Should().Be(Usd(20.00m));
        line.Quantity.Should().Be(4m);
        line.ProrationFraction.Should().Be(0.5m);
        line.Description.Should().Be("team base fee, 2 seats for 16.67% of the period, 5 seats for 33.33% of the period");
    }

    [Fact]
    public void ChangesOutsideTheCoveredRange_OnlySetTheCountAtItsBounds()
    {
        // Changed to 4 on Apr 2, covered from Apr 16: 4 × 10.00 × 15/30 = 20.00.
        var before = new InvoiceInput(PerSeat(10.00m), April, NoUsage) { CoveredFrom = AprilDay(16), Seats = 4, SeatChanges = [new SeatChange(AprilDay(2), 2, 4)] };
        var beforeLine = Calculator.Calculate(before).Lines.Single();
        beforeLine.Amount.Should().Be(Usd(20.00m));
        beforeLine.Quantity.Should().Be(4m);
        beforeLine.Description.Should().Be("team base fee, 4 seats, prorated for 50% of the period");

        // Covered to Apr 16, changed from 3 to 7 on Apr 20 (after the close): 3 × 10.00 × 15/30 = 15.00.
        var after = new InvoiceInput(PerSeat(10.00m), April, NoUsage) { CoveredTo = AprilDay(16), Seats = 7, SeatChanges = [new SeatChange(AprilDay(20), 3, 7)] };
        var afterLine = Calculator.Calculate(after).Lines.Single();
        afterLine.Amount.Should().Be(Usd(15.00m));
        afterLine.Quantity.Should().Be(3m);
    }

    [Fact]
    public void FlatBaseFee_IgnoresSeatChanges()
    {
        var plan = Plan.Create("flat", Currency.USD, BillingInterval.Months(1)).WithBaseFee(30.00m).Build();
        var input = new InvoiceInput(plan, April, NoUsage) { Seats = 5, SeatChanges = [new SeatChange(AprilDay(16), 2, 5)] };

        var line = Calculator.Calculate(input).Lines.Single();

        line.Amount.Should().Be(Usd(30.00m));
        line.Quantity.Should().Be(1m);
    }

    [Fact]
    public void InTrial_WeightedLineIsWaived()
    {
        var input = new InvoiceInput(PerSeat(10.00m), April, NoUsage) { InTrial = true, Seats = 5, SeatChanges = [new SeatChange(AprilDay(16), 2, 5)] };

        var line = Calculator.Calculate(input).Lines.Single();

        line.Amount.Should().Be(Usd(0.00m));
        line.Description.Should().EndWith("(trial: waived)");
    }

    [Fact]
    public void NegativeSeatsInAChange_Throws()
    {
        var input = new InvoiceInput(PerSeat(10.00m), April, NoUsage) { SeatChanges = [new SeatChange(AprilDay(16), -1, 5)] };

        FluentActions.Invoking(() => Calculator.Calculate(input)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*negative seat count*");
    }

    [Fact]
    public void PartialPeriodOfAPlanChange_BaseFeeProratedAgainstTheFullPeriod()
    {
        // The new plan from Apr 16 to the anchor date May 1: 60.00 × 15/30 = 30.00.
        var plan = Plan.Create("pro", Currency.USD, BillingInterval.Months(1)).WithBaseFee(60.00m).Build();

        var line = Calculator.Calculate(new InvoiceInput(plan, April, NoUsage) { CoveredFrom = AprilDay(16) }).Lines.Single();

        line.Amount.Should().Be(Usd(30.00m));
        line.ProrationFraction.Should().Be(0.5m);
        line.Description.Should().Be("pro base fee, prorated for 50% of the period");
    }
}
