namespace Metering.Storage.Conformance;

/// <summary>
/// Voiding an invoice gives back the credits applied to it at close, in the same store transaction as the void
/// (issue #16: a 50.00 grant applied to an 80.00 invoice, void, balance 50.00 again), exactly once.
/// </summary>
public abstract class InvoiceVoidConformance : StoreTestBase
{
    private static async Task<decimal> UsdRemainingAsync(TestMetering billing) =>
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining;

    [Fact]
    public async Task Void_InvoiceWithCreditsApplied_ReturnsThemOnce()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(50.00m), GrantId = "g1", Category = CreditCategory.Paid });
        (await billing.Recorder.RecordAsync(Usage("c1", 35m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // 10.00 + 35 x 2.00 = 80.00; 50.00 of credits applied, 30.00 to pay.
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();
        invoice.Content.Subtotal.Should().Be(Usd(80.00m));
        invoice.Total.Should().Be(Usd(30.00m));
        (await UsdRemainingAsync(billing)).Should().Be(0m);

        var voided = await billing.Invoices.VoidAsync(invoice.InvoiceId);

        voided.Status.Should().Be(InvoiceStatus.Void);
        (await UsdRemainingAsync(billing)).Should().Be(50.00m, "the credits applied to a voided invoice are the customer's again");
        var returned = (await billing.Credits.ListTransactionsAsync("c1")).Items.Where(t => t.Type == CreditTransactionType.Adjustment).ToList();
        returned.Should().ContainSingle().Which.Should().Match<CreditTransaction>(t => t.Amount == Usd(50.00m) && t.InvoiceId == invoice.InvoiceId && t.GrantId == "g1");

        var again = async () => await billing.Invoices.VoidAsync(invoice.InvoiceId);
        await again.Should().ThrowAsync<InvalidInvoiceTransitionException>();
        (await UsdRemainingAsync(billing)).Should().Be(50.00m, "a second void is refused and returns nothing");
        (await billing.Credits.ListTransactionsAsync("c1")).Items.Count(t => t.Type == CreditTransactionType.Adjustment).Should().Be(1);
    }

    [Fact]
    public async Task Void_InvoiceWithoutCredits_LeavesTheLedgerAlone()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var invoice = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single();

        (await billing.Invoices.VoidAsync(invoice.InvoiceId)).Status.Should().Be(InvoiceStatus.Void);

        (await billing.Credits.ListTransactionsAsync("c1")).Items.Should().BeEmpty();
    }
}
