namespace Metering.Samples.Tests;

using Metering;
using Metering.Samples.Credits;

public class CreditsSampleTest
{
    private static readonly Currency Credits = Currency.Custom("credits", 0);

    [Fact]
    public async Task CreditsSample_BurnsPromotionsFirst_ExpiresTheWelcomeGrant_AndBlocksWhenCreditsRunOut()
    {
        using var output = new StringWriter();

        var result = await CreditsDemo.RunAsync(output, b => b.UseInMemoryStore());

        // Granted: welcome 100 + launch 50 + pack 300 = 450 credits (and EUR 10.00 of goodwill, a separate unit).
        // Before the expiry: img-1 2 × 10 + msg-1 5 × 2 + img-2 2 × 10 + msg-2 5 × 2 = 60, all from welcome (priority 10,
        // earliest expiry), which keeps 100 − 60 = 40 and expires them on 8 April.
        // After: img-3 3 × 10 = 30 (launch 50 → 20), msg-3 20 × 2 = 40 (launch 20 → 0, pack 20 → 280),
        // img-4 27 × 10 = 270 (pack → 10), img-5 2 × 10 = 20 > 10: blocked, msg-4 5 × 2 = 10 (pack → 0).
        // Consumed 60 + 30 + 40 + 270 + 10 = 410; 450 − 410 − 40 = 0 remaining.
        var credits = result.Balances.Single(b => b.Unit == Credits);
        credits.Granted.Should().Be(450m);
        credits.Consumed.Should().Be(410m);
        credits.Expired.Should().Be(40m);
        credits.Remaining.Should().Be(0m);
        var euros = result.Balances.Single(b => b.Unit == Currency.EUR);
        euros.Granted.Should().Be(10.00m);
        euros.Remaining.Should().Be(10.00m);

        result.Expiration.GrantId.Should().Be("welcome");
        result.Expiration.Amount.Should().Be(new Money(40m, Credits));
        result.Expiration.At.Should().Be(Instant.FromUtc(2026, 4, 8, 0, 0));

        result.Blocked.Kind.Should().Be(UsageOutcomeKind.Rejected);
        result.Blocked.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);

        // 4 grants + 4 consumptions + 1 expiration + 5 consumptions (msg-3 draws on two grants) = 14, at 5 a page: 5, 5, 4.
        result.Transactions.Should().HaveCount(14);
        result.Transactions.Select(t => t.Sequence).Should().Equal(Enumerable.Range(1, 14).Select(i => (long)i));
        result.PageCount.Should().Be(3);
        result.Transactions.Where(t => t.UsageIdempotencyKey == "msg-3").Select(t => (t.GrantId, t.Amount.Amount))
            .Should().Equal(("launch", 20m), ("pack-300", 20m));

        // Invoice: images 2 + 2 + 3 + 27 = 34 × 10 = 340, messages 5 + 5 + 20 + 5 = 35 × 2 = 70, all paid as used: total 0.
        result.Invoice.Content.Subtotal.Should().Be(new Money(410m, Credits));
        result.Invoice.Content.CreditsApplied.Should().Be(new Money(410m, Credits));
        result.Invoice.Total.Should().Be(new Money(0m, Credits));

        var text = output.ToString();
        text.Should().Contain("Expiration #9: 40 credits of 'welcome' at 2026-04-08 00:00.");
        text.Should().Contain("img-5     2 images    Rejected (InsufficientCredits)");
        text.Should().Contain("has 10 credits of credits left but this 'images' record costs 20 credits");
        text.Should().Contain("  credits         450         60          0          0        390", "the balance after two days is 450 − 60 = 390");
        text.Should().Contain("  credits         450        410         40          0          0");
        text.Should().Contain("Page 3 (cursor 10):");
        text.Should().Contain("Images generated                                 34    340 credits");
    }
}
