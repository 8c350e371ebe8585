namespace Metering.Samples.Tests;

using Metering;
using Metering.Samples.ApiProduct;

public class ContractAndCreditsSampleTest
{
    private static Money Eur(decimal amount) => new(amount, Currency.EUR);

    [Fact]
    public async Task ContractAndCreditsSample_BillsTheCustomerContractWithItsMinimum_AndBurnsCreditsWithoutASubscription()
    {
        using var output = new StringWriter();

        var result = await ContractAndCreditsDemo.RunAsync(output, b => b.UseInMemoryStore());

        // Globex's subscription carries its customer's contract.
        result.ContractSubscription.Contract!.ContractId.Should().Be("ct-globex-2026");
        result.ContractSubscription.ContractInherited.Should().BeTrue();

        // May: 29.00 base fee; 4 × 5,000 = 20,000 requests × 0.0015 (contract, not the plan's 0.002) = 30.00;
        // true-up to the 100.00 minimum: 100.00 − (29.00 + 30.00) = 41.00. Total 100.00.
        var invoice = result.ContractInvoice;
        invoice.Content.ContractId.Should().Be("ct-globex-2026");
        invoice.Content.Lines.Select(l => (l.Kind, l.Amount)).Should().Equal(
            (InvoiceLineKind.BaseFee, Eur(29.00m)),
            (InvoiceLineKind.Usage, Eur(30.00m)),
            (InvoiceLineKind.MinimumCommitment, Eur(41.00m)));
        invoice.Total.Should().Be(Eur(100.00m));

        // Initech: 1,000 credits, 10 a request: 30 → 300 (700 left), 40 → 400 (300), 25 → 250 (50), 10 would cost 100 > 50
        // (blocked, nothing burned), 5 → 50 (0 left).
        result.CreditOutcomes.Select(o => o.Kind).Should().Equal(
            UsageOutcomeKind.Accepted, UsageOutcomeKind.Accepted, UsageOutcomeKind.Accepted, UsageOutcomeKind.Rejected, UsageOutcomeKind.Accepted);
        result.CreditOutcomes[3].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        result.CreditBalance.Granted.Should().Be(1_000m);
        result.CreditBalance.Consumed.Should().Be(1_000m);
        result.CreditBalance.Remaining.Should().Be(0m);
        result.Wallet.SubscriptionId.Should().Be("initech~api-credits");

        var text = output.ToString();
        text.Should().Contain("inherited: True");
        text.Should().Contain("Rejected (InsufficientCredits), 50 left");
        text.Should().Contain("41.00 EUR");
        text.Should().Contain("100.00 EUR");
        text.Should().Contain("1,000 credits granted, 1,000 burned, 0 left");
    }
}
