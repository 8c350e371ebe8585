using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Regression tests for the hostile inputs that once corrupted or broke a store (issue #11): text that is not
/// well-formed UTF-16 or holds NUL, quantities and amounts beyond decimal's range, a retry into a final invoice,
/// unbounded backdating, non-ordinal property dictionaries and forged cursors. Every store must give the same typed
/// answer and keep working afterwards.
/// </summary>
public abstract class BoundaryConformance : StoreTestBase
{
    [Fact]
    public async Task KeysDifferingOnlyInALoneSurrogate_AreRejected_AndTheStoreKeepsWorking()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        // Two truncated emoji: UTF-8 text binding would store both as "evt-\uFFFD".
        var first = await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "evt-\uD83D"));
        var second = await billing.Recorder.RecordAsync(Usage("c1", 1m, Start, "evt-\uD83E"));
        var batch = await billing.Recorder.RecordBatchAsync([Usage("c1", 1m, Start, "evt-\uDE00"), Usage("c1", 2m, Start, "ok-1")]);

        first.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        first.Rejection.Value.Message.Should().Contain("idempotency key").And.Contain("U+D83D").And.Contain("index 4");
        second.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        batch[0].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        batch[1].Kind.Should().Be(UsageOutcomeKind.Accepted);

        // The store still accepts, dedupes and closes: 2 + 3 calls -> 10.00 + 5 × 2.00 = 20.00.
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "ok-2"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "ok-2"))).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Single().Total.Should().Be(Usd(20.00m));
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Select(r => r.IdempotencyKey).Should().Equal("ok-1", "ok-2");
    }

    [Fact]
    public async Task IllFormedOrNulText_IsRejectedAtEveryEntryPoint_AndNothingIsStored()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "acme");

        // An unknown customer id that a lossy store would map onto another one.
        (await billing.Recorder.RecordAsync(Usage("acme\uDBFF", 1m, Start, "k1"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        (await billing.Recorder.RecordAsync(Usage("ac\0me", 1m, Start, "k2"))).Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        (await billing.Recorder.RecordAsync(Usage("acme", 1m, Start, "k3") with { Properties = new Dictionary<string, string> { ["user"] = "u\uD800" } }))
            .Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);
        (await billing.Recorder.RecordAsync(Usage("acme", 1m, Start, "k4") with { Properties = new Dictionary<string, string> { ["us\0er"] = "u" } }))
            .Rejection!.Value.Reason.Should().Be(UsageRejectionReason.InvalidText);

        await FluentActions.Awaiting(() => billing.Subscriptions.CreateCustomerAsync("acme\uD800").AsTask()).Should().ThrowAsync<InvalidTextException>().Where(e => e.Field == "customer id");
        await FluentActions.Awaiting(() => billing.Subscriptions.CreateCustomerAsync("c2", "Name\0").AsTask()).Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Subscriptions.ListAsync("acme\uDBFF").AsTask()).Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Subscriptions.GetAsync("sub\0").AsTask()).Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Usage.GetCurrentAsync("sub\uDC00").AsTask()).Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Invoices.ListAsync("acme\uD800").AsTask()).Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Credits.GetBalancesAsync("acme\0").AsTask()).Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "acme", Amount = Usd(5m), Name = "promo\uD800" }).AsTask())
            .Should().ThrowAsync<InvalidTextException>();
        await FluentActions.Awaiting(() => billing.Entitlements.ListAsync("acme\uDFFF").AsTask()).Should().ThrowAsync<InvalidTextException>();

        (await billing.Store.FindCustomerAsync("c2", CancellationToken.None)).Should().BeNull();
        (await billing.Credits.ListTransactionsAsync("acme")).Items.Should().BeEmpty();
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().BeEmpty();
    }

    [Fact]
    public async Task WellFormedUnicode_IsStoredAndComparedExactly()
    {
        await using var billing = CreateMetering(o => o.AddMeter(Meter.UniqueCount("users", "user")).AddPlan(
            Plan.Create("seats", Currency.USD, BillingInterval.Months(1)).WithCharge("users", PricingModel.PerUnit(1m)).Build()));
        await billing.Subscriptions.CreateCustomerAsync("Zoë 🚀 عميل", "Zoë", "UTC");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "Zoë 🚀 عميل", PlanKey = "seats" });

        // "é" precomposed and decomposed are different users (ordinal); a surrogate pair is one well-formed character.
        string[] users = ["caf\u00E9", "cafe\u0301", "👩‍💻", "'; DROP TABLE usage_records; --", "{\"a\":\"\\u0000\"}"];
        for (int i = 0; i < users.Length; i++)
        {
            var record = new UsageRecord("Zoë 🚀 عميل", "users", 1m, Start, $"key-🚀-{i}", Properties: new Dictionary<string, string> { ["user"] = users[i] });
            (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
            (await billing.Recorder.RecordAsync(record with { })).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        }

        var stored = await RecordsOfAsync(billing, sub.SubscriptionId, Start);
        stored.Select(r => r.Properties!["user"]).Should().Equal(users);
        stored.Select(r => r.IdempotencyKey).Should().Equal(Enumerable.Range(0, users.Length).Select(i => $"key-🚀-{i}"));
        (await AggregateOfAsync(billing, sub.SubscriptionId, Start, "users")).Quantity.Should().Be(5m);
        (await billing.Store.FindCustomerAsync("Zoë 🚀 عميل", CancellationToken.None))!.Name.Should().Be("Zoë");
    }

    [Fact]
    public async Task QuantitiesBeyondTheBound_AreRejectedAlone_InABatch()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        var max = MeteringLimits.MaxQuantity;

        var outcomes = await billing.Recorder.RecordBatchAsync([
            Usage("c1", 1m, Start, "a"),
            Usage("c1", 79_228_162_514_264_337_593_543_950_335m, Start, "b"),
            Usage("c1", max - 1m, Start, "c"),
            Usage("c1", 2m, Start, "d"),
            Usage("c1", 0m, Start, "e"),
        ]);

        outcomes.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Accepted, UsageOutcomeKind.Rejected, UsageOutcomeKind.Accepted, UsageOutcomeKind.Rejected, UsageOutcomeKind.Accepted);
        outcomes[1].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.QuantityOutOfRange);
        outcomes[3].Rejection!.Value.Reason.Should().Be(UsageRejectionReason.QuantityOutOfRange);
        outcomes[3].Rejection!.Value.Message.Should().Contain("api_calls").And.Contain("per period");

        // Exactly at the bound: 1 + (max - 1) = max units at 2.00 + 10.00 base = 2,000,000,000,000,010.00, exactly.
        (await CurrentOfAsync(billing, sub.SubscriptionId)).Quantity.Should().Be(max);
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(2_000_000_000_000_010.00m));
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Single().Total.Should().Be(Usd(2_000_000_000_000_010.00m));
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).IsConsistent.Should().BeTrue();
    }

    [Fact]
    public async Task LargestPriceTimesLargestQuantity_ClosesWithoutOverflow()
    {
        var plan = Plan.Create("max", Currency.USD, BillingInterval.Months(1))
            .WithBaseFee(MeteringLimits.MaxPrice)
            .WithCharge("api_calls", PricingModel.PerUnit(MeteringLimits.MaxPrice))
            .Build();
        await using var billing = CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan));
        var sub = await SubscribeAsync(billing, "c1", "max");
        (await billing.Recorder.RecordAsync(Usage("c1", MeteringLimits.MaxQuantity, Start, "k"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // 10^15 × 10^10 + 10^10 = 10,000,000,000,000,010,000,000,000.00.
        var expected = Usd(10_000_000_000_000_010_000_000_000.00m);
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(expected);
        (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single().Total.Should().Be(expected);
    }

    [Fact]
    public async Task PricesAndGrantsBeyondTheBounds_AreTypedErrors()
    {
        var build = () => Plan.Create("huge", Currency.USD, BillingInterval.Months(1)).WithCharge("api_calls", PricingModel.PerUnit(1e20m)).Build();
        build.Should().Throw<InvalidPlanException>().Which.Problems.Should().ContainSingle(p => p.Contains("unit price") && p.Contains("limit"));

        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");
        await FluentActions.Awaiting(() => billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(decimal.MaxValue) }).AsTask())
            .Should().ThrowAsync<AmountOutOfRangeException>();
        var half = MeteringLimits.MaxCreditAmount / 2m;
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(half), GrantId = "g1" });
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(half), GrantId = "g2" });
        await FluentActions.Awaiting(() => billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(1m), GrantId = "g3" }).AsTask())
            .Should().ThrowAsync<AmountOutOfRangeException>();

        // The balance of the two grants is computable and exact.
        (await billing.Credits.GetBalancesAsync("c1")).Single().Remaining.Should().Be(MeteringLimits.MaxCreditAmount);
    }

    [Fact]
    public async Task RetryOfARecordOnACancelNowFinalInvoice_IsDuplicate()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromDays(3));
        var record = Usage("c1", 4m, Start + Duration.FromDays(1), "k1");
        (await billing.Recorder.RecordAsync(record)).Kind.Should().Be(UsageOutcomeKind.Accepted);
        await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId);

        var retry = await billing.Recorder.RecordAsync(record with { });
        var late = await billing.Recorder.RecordAsync(Usage("c1", 1m, Start + Duration.FromDays(2), "k2"));

        retry.Kind.Should().Be(UsageOutcomeKind.Duplicate);
        retry.SubscriptionId.Should().Be(sub.SubscriptionId);
        late.Rejection!.Value.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
    }

    [Fact]
    public async Task StartsBeyondTheBackdateBound_AreRejected()
    {
        await using var billing = CreateStandard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");

        await FluentActions.Awaiting(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", StartAt = Instant.MinValue }).AsTask())
            .Should().ThrowAsync<MeteringException>().WithMessage("*MaxBackdatedStart*");
        await FluentActions.Awaiting(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", StartAt = Instant.MaxValue }).AsTask())
            .Should().ThrowAsync<MeteringException>().WithMessage("*10 years after now*");
        (await billing.Subscriptions.ListAsync("c1")).Should().BeEmpty();

        // Within the bound: 300 days back (2025-03-07) catches up period by period: the nine monthly periods
        // Mar 7 - Apr 7, ..., Nov 7 - Dec 7 have ended, each invoiced once at 10.00; Dec 7 - Jan 7 is still open.
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", StartAt = Start - Duration.FromDays(300) });
        var report = await billing.PeriodCloser.CloseDueAsync();
        report.Invoices.Should().HaveCount(9).And.OnlyContain(i => i.SubscriptionId == sub.SubscriptionId && i.Total == Usd(10.00m));
    }

    [Fact]
    public async Task ChargeFilters_MatchPropertyNamesOrdinally_WhateverTheCallersComparer()
    {
        var plan = Plan.Create("regional", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1.00m), c => c.Where("region", "eu").Key = "api_calls_eu")
            .Build();
        await using var billing = CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(plan));
        var sub = await SubscribeAsync(billing, "c1", "regional");

        var ignoreCase = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["REGION"] = "eu" };
        var exact = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["region"] = "eu" };
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, Start, "k1") with { Properties = ignoreCase })).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "k2") with { Properties = exact })).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // Only "region" (ordinal) matches the filter: 5 units at 1.00; the reconciler, reading stored records, agrees.
        (await billing.Invoices.PreviewAsync(sub.SubscriptionId)).Total.Should().Be(Usd(5.00m));
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).IsConsistent.Should().BeTrue();
    }

    [Fact]
    public async Task ForgedCursors_AreTypedErrors()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        foreach (var cursor in new[] { "abc", "", "1e9", "99999999999999999999999", "\uD800", "1; DROP TABLE invoices" })
        {
            await FluentActions.Awaiting(() => billing.Invoices.ListAsync("c1", cursor).AsTask()).Should().ThrowAsync<MeteringException>().WithMessage("*cursor*");
            await FluentActions.Awaiting(() => billing.Credits.ListTransactionsAsync("c1", cursor).AsTask()).Should().ThrowAsync<MeteringException>().WithMessage("*cursor*");
            await FluentActions.Awaiting(() => billing.Usage.GetHistoryAsync(sub.SubscriptionId, cursor).AsTask()).Should().ThrowAsync<MeteringException>().WithMessage("*cursor*");
            await FluentActions.Awaiting(() => billing.Invoices.ListByStatusAsync(InvoiceStatus.Draft, cursor).AsTask()).Should().ThrowAsync<MeteringException>().WithMessage("*cursor*");
            await FluentActions.Awaiting(() => billing.Invoices.ListCreditNotesAsync("c1", cursor).AsTask()).Should().ThrowAsync<MeteringException>().WithMessage("*cursor*");
        }
    }
}
