namespace Metering.Samples.Tests;

using Metering;
using Metering.Samples.ApiProduct;

public class ApiProductSampleTest
{
    private static Money Eur(decimal amount) => new(amount, Currency.EUR);

    [Fact]
    public async Task ApiProductSample_BillsSubCentRequests_TheUpgrade_AndTheFinalPeriod()
    {
        using var output = new StringWriter();

        var result = await ApiProductDemo.RunAsync(output, b => b.UseInMemoryStore());

        // Every day: 1,200 + 3,400 + 2,900 + 1,501 = 9,001 requests; storage 10 + day GB; peaks 20, 23, ..., 38 a week, 64 on day 11.
        // The retry resends day 3's six records with the same keys and content: six duplicates, nothing counted twice.
        result.Retry.Should().HaveCount(6).And.OnlyContain(o => o.Kind == UsageOutcomeKind.Duplicate);

        // After 7 days (day 0 to 6): 29.00 base + 63,007 × 0.002 = 126.014 → 126.01 + last reading 16 GB × 0.25 = 4.00
        // (the late 13 GB reading from day 3 does not win) + peak 38 × 0.50 = 19.00 = 178.01.
        var estimate = result.MidPeriodEstimate;
        estimate.Lines.Select(l => l.Amount).Should().Equal(Eur(29.00m), Eur(126.01m), Eur(4.00m), Eur(19.00m));
        estimate.Total.Should().Be(Eur(178.01m));

        // Upgrade at 15 May 00:00 Berlin, 14 of May's 31 days: 29.00 × 14 / 31 = 13.0967… → 13.10;
        // 14 × 9,001 = 126,014 × 0.002 = 252.028 → 252.03; last reading 23 GB × 0.25 = 5.75; peak 64 × 0.50 = 32.00.
        // 13.10 + 252.03 + 5.75 + 32.00 = 302.88.
        var old = result.PlanChangeInvoice;
        old.Reason.Should().Be(InvoiceReason.PlanChange);
        old.PlanKey.Should().Be("api-starter");
        old.Content.Lines.Select(l => l.Amount).Should().Equal(Eur(13.10m), Eur(252.03m), Eur(5.75m), Eur(32.00m));
        old.Total.Should().Be(Eur(302.88m));

        // Growth, 15 May to 15 June (cancelled at period end), usage days 14 to 34 (21 days):
        // 99.00 base; 21 × 9,001 = 189,021 − 100,000 included = 89,021 × 0.0015 = 133.5315 → 133.53;
        // last reading (day 34) 44 GB × 0.20 = 8.80; peak 38 × 0.40 = 15.20. 99.00 + 133.53 + 8.80 + 15.20 = 256.53.
        var final = result.FinalInvoice;
        final.Reason.Should().Be(InvoiceReason.PeriodEnd);
        final.PlanKey.Should().Be("api-growth");
        final.Content.Lines.Select(l => l.Amount).Should().Equal(Eur(99.00m), Eur(133.53m), Eur(8.80m), Eur(15.20m));
        final.Total.Should().Be(Eur(256.53m));

        // 15 June 2026 00:00 in Berlin is 14 June 22:00 UTC (CEST).
        result.Subscription.EndedAt.Should().Be(Instant.FromUtc(2026, 6, 14, 22, 0));

        var text = output.ToString();
        text.Should().Contain("4 May (retry)        6        0         6");
        text.Should().Contain("126.014   126.01 EUR");
        text.Should().Contain("178.01 EUR");
        text.Should().Contain("prorated for 45.16% of the period");
        text.Should().Contain("302.88 EUR");
        text.Should().Contain("133.5315   133.53 EUR");
        text.Should().Contain("256.53 EUR");
        text.Should().Contain("Billed in all: 559.41 EUR.", "302.88 + 256.53 = 559.41");
    }
}
