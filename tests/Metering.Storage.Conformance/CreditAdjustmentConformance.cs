namespace Metering.Storage.Conformance;

/// <summary>
/// Credit balance adjustments (issue #16) through <see cref="ICreditService.AdjustAsync"/>: positive and negative, with a
/// reason kept in the ledger, refused with a typed error (and nothing written) when they would leave less than nothing,
/// hit an expired or unknown grant; crossing the low threshold raises CreditsLow, as usage does.
/// </summary>
public abstract class CreditAdjustmentConformance : StoreTestBase
{
    private TestMetering CreateCredits() => CreateMetering(o => o.LowCreditBalanceThresholds["USD"] = 10m);

    [Fact]
    public async Task Adjustments_add_and_remove_credits_and_are_kept_in_the_ledger_with_their_reason()
    {
        await using var billing = CreateCredits();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(50.00m), GrantId = "g1" });

        billing.Clock.Advance(Duration.FromHours(1));
        var afterRemoval = await billing.Credits.AdjustAsync("c1", "g1", -20.00m, "Goodwill credit granted twice");
        billing.Clock.Advance(Duration.FromHours(1));
        var afterAddition = await billing.Credits.AdjustAsync("c1", "g1", 5.50m, "Outage compensation");

        afterRemoval.Remaining.Should().Be(30.00m);
        afterAddition.Remaining.Should().Be(35.50m);
        (await billing.Credits.GetBalancesAsync("c1")).Should().ContainSingle().Which.Remaining.Should().Be(35.50m);
        var ledger = (await billing.Credits.ListTransactionsAsync("c1")).Items;
        ledger.Select(t => t.Type).Should().Equal(CreditTransactionType.Grant, CreditTransactionType.Adjustment, CreditTransactionType.Adjustment);
        ledger[1].Amount.Should().Be(Usd(-20.00m));
        ledger[1].Description.Should().Be("Goodwill credit granted twice");
        ledger[1].At.Should().Be(Start + Duration.FromHours(1));
        ledger[2].Amount.Should().Be(Usd(5.50m));
        ledger[2].Description.Should().Be("Outage compensation");
    }

    [Fact]
    public async Task Adjustments_that_cannot_apply_are_typed_errors_and_write_nothing()
    {
        await using var billing = CreateCredits();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(50.00m), GrantId = "g1" });
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(5.00m), GrantId = "short", ExpiresAt = Start + Duration.FromDays(1) });
        var before = (await billing.Credits.ListTransactionsAsync("c1")).Items;

        var tooMuch = await FluentActions.Awaiting(() => billing.Credits.AdjustAsync("c1", "g1", -80.00m, "Refund").AsTask()).Should().ThrowAsync<InvalidCreditOperationException>();
        tooMuch.Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
        tooMuch.Which.Message.Should().Contain("remove at most 50");
        (await FluentActions.Awaiting(() => billing.Credits.AdjustAsync("c1", "nope", 1m, "x").AsTask()).Should().ThrowAsync<UnknownCreditGrantException>())
            .Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        await FluentActions.Awaiting(() => billing.Credits.AdjustAsync("c1", "g1", 0m, "x").AsTask()).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => billing.Credits.AdjustAsync("c1", "g1", 1m, " ").AsTask()).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => billing.Credits.AdjustAsync("c1", "g1", 1m, "bad\0reason").AsTask()).Should().ThrowAsync<InvalidTextException>();
        billing.Clock.Advance(Duration.FromDays(2));
        await FluentActions.Awaiting(() => billing.Credits.AdjustAsync("c1", "short", 1m, "Late fix").AsTask()).Should().ThrowAsync<InvalidCreditOperationException>();

        (await billing.Credits.ListTransactionsAsync("c1")).Items.Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
        (await billing.Credits.GetBalancesAsync("c1")).Single().Remaining.Should().Be(50.00m);
    }

    [Fact]
    public async Task A_removal_across_the_low_threshold_raises_CreditsLow()
    {
        await using var billing = CreateCredits();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(30.00m), GrantId = "g1" });

        await billing.Credits.AdjustAsync("c1", "g1", -22.00m, "Chargeback");

        var low = (await billing.Store.ReadAllEventsAsync()).Select(e => e.Event).Where(e => e.Type == BillingEventType.CreditsLow)
            .Should().ContainSingle().Subject;
        low.Payload.Should().Be(new CreditBalanceEventPayload(Currency.USD, Usd(8.00m), Usd(10.00m)));
    }
}
