namespace Metering.Storage.Conformance;

/// <summary>
/// Charges grouped by a record property (<see cref="Charge.GroupBy"/>): one aggregate per group (a plain key/value row
/// like any other, so stores need no change), each group priced on its own and billed as its own invoice line, shown
/// in current usage and the preview, stored in the plan and invoice documents, retried idempotently.
/// </summary>
public abstract class GroupedChargeConformance : StoreTestBase
{
    private static readonly Meter Calls = Meter.Sum("api_calls").WithGroupBy("region");

    private static Plan ByRegion(PricingModel pricing) =>
        Plan.Create("by_region", Currency.USD, BillingInterval.Months(1))
            .WithCharge(Calls, pricing, c => { c.DisplayName = "API calls"; c.GroupedBy("region"); })
            .Build();

    private TestMetering CreateByRegion(PricingModel pricing) =>
        CreateMetering(o => o.AddMeter(Calls).AddPlan(ByRegion(pricing)));

    /// <summary>Subscribes customer c1 now (the period starts at <see cref="StoreTestBase.Start"/>), then moves the clock to day 5 so records of days 2 to 4 are in the past.</summary>
    private static async Task<Subscription> SubscribeC1Async(TestMetering billing, string planKey)
    {
        var subscription = await SubscribeAsync(billing, "c1", planKey);
        billing.Clock.AdvanceTo(Start + Duration.FromDays(5));
        return subscription;
    }

    private static UsageRecord Call(string key, string? region, Instant at, decimal quantity = 1m) =>
        new("c1", "api_calls", quantity, at, key, Properties: region is null ? null : new Dictionary<string, string> { ["region"] = region });

    /// <summary>eu 30 calls, us 12 calls, 3 calls without a region, interleaved.</summary>
    private static List<UsageRecord> StandardCalls(Instant at)
    {
        var records = new List<UsageRecord>();
        for (int i = 0; i < 30; i++)
        {
            records.Add(Call($"eu-{i}", "eu", at));
            if (i < 12)
            {
                records.Add(Call($"us-{i}", "us", at));
            }

            if (i < 3)
            {
                records.Add(Call($"none-{i}", null, at));
            }
        }

        return records;
    }

    private static IEnumerable<(string? Region, decimal Quantity, decimal Amount)> GroupLines(IEnumerable<InvoiceLine> lines) =>
        lines.Where(l => l.Kind == InvoiceLineKind.Usage).Select(l => (l.Group!["region"], l.Quantity, l.Amount.Amount));

    [Fact]
    public async Task PerUnit_ByRegion_OneLinePerGroup_InPreviewCurrentUsageAndClose()
    {
        await using var billing = CreateByRegion(PricingModel.PerUnit(0.10m));
        var sub = await SubscribeC1Async(billing, "by_region");
        var at = Start + Duration.FromDays(3);

        var outcomes = await billing.Recorder.RecordBatchAsync(StandardCalls(at));

        outcomes.Should().HaveCount(45).And.OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Groups.Select(g => (g.Group["region"], g.Quantity, g.RecordCount)).Should().Equal(("eu", 30m, 30L), ("us", 12m, 12L), (null, 3m, 3L));
        current.Groups.Should().OnlyContain(g => g.ChargeKey == "api_calls" && g.MeterKey == "api_calls");
        current["api_calls"].Quantity.Should().Be(45m, "the meter's own total still counts every record");
        GroupLines(current.Estimate.Lines).Should().Equal(("eu", 30m, 3.00m), ("us", 12m, 1.20m), (null, 3m, 0.30m));
        var preview = await billing.Invoices.PreviewAsync(sub.SubscriptionId);
        GroupLines(preview.Lines).Should().Equal(("eu", 30m, 3.00m), ("us", 12m, 1.20m), (null, 3m, 0.30m));
        preview.Total.Should().Be(Usd(4.50m));

        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        // eu 30 × 0.10 = 3.00, us 12 × 0.10 = 1.20, (no value) 3 × 0.10 = 0.30; total 4.50
        var invoice = report.Invoices.Single();
        GroupLines(invoice.Content.Lines).Should().Equal(("eu", 30m, 3.00m), ("us", 12m, 1.20m), (null, 3m, 0.30m));
        invoice.Content.Lines.Select(l => l.Description).Should().Equal("API calls [region: eu]", "API calls [region: us]", "API calls [region: (no value)]");
        invoice.Total.Should().Be(Usd(4.50m));
        Money.Sum(invoice.Content.Lines.Select(l => l.Amount), Currency.USD).Should().Be(invoice.Total);

        var stored = await billing.Invoices.GetAsync(invoice.InvoiceId);
        stored!.Content.Should().Be(invoice.Content, "the stored invoice document keeps each line's group");
        stored.Content.Lines[2].Group.Should().ContainKey("region").WhoseValue.Should().BeNull();
    }

    [Fact]
    public async Task Graduated_TiersApplyPerGroup()
    {
        // First 10 calls at 1.00, the rest at 0.50, in each region.
        await using var billing = CreateByRegion(PricingModel.Graduated([new(10m, 1.00m), new(null, 0.50m)]));
        var sub = await SubscribeC1Async(billing, "by_region");
        await billing.Recorder.RecordBatchAsync(StandardCalls(Start + Duration.FromDays(3)));

        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        // eu 10 × 1 + 20 × 0.5 = 20.00; us 10 + 2 × 0.5 = 11.00; none 3.00. Total 34.00 (one tier table over all 45
        // calls would give 27.50).
        var invoice = report.Invoices.Single();
        GroupLines(invoice.Content.Lines).Should().Equal(("eu", 30m, 20.00m), ("us", 12m, 11.00m), (null, 3m, 3.00m));
        invoice.Total.Should().Be(Usd(34.00m));
    }

    [Fact]
    public async Task Retries_AreDuplicates_AndAChangedGroupIsAConflict()
    {
        await using var billing = CreateByRegion(PricingModel.PerUnit(0.10m));
        var sub = await SubscribeC1Async(billing, "by_region");
        var at = Start + Duration.FromDays(3);
        var records = StandardCalls(at);
        await billing.Recorder.RecordBatchAsync(records);

        var retried = await billing.Recorder.RecordBatchAsync(records);
        var single = await billing.Recorder.RecordAsync(records[0]);
        var moved = await billing.Recorder.RecordAsync(Call("eu-0", "us", at));
        var unset = await billing.Recorder.RecordAsync(Call("eu-1", null, at));

        retried.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Duplicate);
        single.Kind.Should().Be(UsageOutcomeKind.Duplicate);
        moved.Kind.Should().Be(UsageOutcomeKind.Conflict, "the same key with another group is different content");
        unset.Kind.Should().Be(UsageOutcomeKind.Conflict);
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Groups.Select(g => (g.Group["region"], g.Quantity)).Should().Equal(("eu", 30m), ("us", 12m), (null, 3m));

        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Single().Total.Should().Be(Usd(4.50m));
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().BeEmpty("a second close run invoices nothing again");
        (await billing.Reconciler.ReconcileAsync(sub.SubscriptionId, Start)).Differences.Should().BeEmpty("recomputing the groups from the raw records matches the stored aggregates");
        var history = await billing.Usage.GetHistoryAsync(sub.SubscriptionId);
        history.Items.Single(p => p.Period.Start == Start).Groups.Select(g => (g.Group["region"], g.Quantity)).Should().Equal(("eu", 30m), ("us", 12m), (null, 3m));
    }

    [Fact]
    public async Task EveryAggregation_AndSet_WorkPerGroup()
    {
        var meters = new[]
        {
            Meter.Count("requests").WithGroupBy("region"),
            Meter.Max("peak_gb").WithGroupBy("region"),
            Meter.Last("seats").WithGroupBy("region"),
            new Meter("active_users", Aggregation.UniqueCount, uniqueProperty: "user", groupBy: ["region"]),
            Meter.Sum("storage_gb").WithGroupBy("region"),
        };
        var builder = Plan.Create("every", Currency.USD, BillingInterval.Months(1));
        foreach (var meter in meters)
        {
            builder.WithCharge(meter, PricingModel.PerUnit(1m), c => c.GroupedBy("region"));
        }

        await using var billing = CreateMetering(o =>
        {
            foreach (var meter in meters)
            {
                o.AddMeter(meter);
            }

            o.AddPlan(builder.Build());
        });
        var sub = await SubscribeC1Async(billing, "every");
        var t = Start + Duration.FromDays(1);
        UsageRecord R(string meter, string key, string region, decimal quantity, int minute, UsageAction action = UsageAction.Increment, string? user = null)
        {
            var properties = new Dictionary<string, string> { ["region"] = region };
            if (user is not null)
            {
                properties["user"] = user;
            }

            return new UsageRecord("c1", meter, quantity, t + Duration.FromMinutes(minute), key, action, properties);
        }

        var outcomes = await billing.Recorder.RecordBatchAsync(
        [
            R("requests", "r1", "eu", 5m, 1), R("requests", "r2", "eu", 5m, 2), R("requests", "r3", "us", 5m, 3),
            R("peak_gb", "p1", "eu", 7m, 1), R("peak_gb", "p2", "eu", 3m, 2), R("peak_gb", "p3", "us", 9m, 3),
            // Last is by timestamp, not arrival: eu's latest record (minute 5) says 4.
            R("seats", "s1", "eu", 4m, 5), R("seats", "s2", "eu", 8m, 2), R("seats", "s3", "us", 6m, 1),
            R("active_users", "u1", "eu", 1m, 1, user: "ann"), R("active_users", "u2", "eu", 1m, 2, user: "bob"),
            R("active_users", "u3", "eu", 1m, 3, user: "ann"), R("active_users", "u4", "us", 1m, 4, user: "ann"),
            // Set resets only its own group: eu 10 + 5, then Set 2, then + 1 = 3; us 20.
            R("storage_gb", "g1", "eu", 10m, 1), R("storage_gb", "g2", "eu", 5m, 2), R("storage_gb", "g3", "us", 20m, 3),
            R("storage_gb", "g4", "eu", 2m, 4, UsageAction.Set), R("storage_gb", "g5", "eu", 1m, 5),
        ]);
        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);

        var groups = (await billing.Usage.GetCurrentAsync(sub.SubscriptionId)).Groups;

        groups.Select(g => (g.ChargeKey, g.Group["region"], g.Quantity)).Should().Equal(
            ("requests", "eu", 2m), ("requests", "us", 1m),
            ("peak_gb", "eu", 7m), ("peak_gb", "us", 9m),
            ("seats", "eu", 4m), ("seats", "us", 6m),
            ("active_users", "eu", 2m), ("active_users", "us", 1m),
            ("storage_gb", "eu", 3m), ("storage_gb", "us", 20m));

        // 2 + 1 + 7 + 9 + 4 + 6 + 2 + 1 + 3 + 20 = 55 at 1.00 each.
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Single().Total.Should().Be(Usd(55m));
        report.Invoices.Single().Content.Lines.Should().HaveCount(10);
    }

    [Fact]
    public async Task HostileGroupValues_AreStoredAndReadBackExactly_EachItsOwnGroup()
    {
        await using var billing = CreateByRegion(PricingModel.PerUnit(1m));
        var sub = await SubscribeC1Async(billing, "by_region");
        var at = Start + Duration.FromDays(3);
        string[] values = ["eu|us", "2:eu", "eu", "-", "", "日本", "🙂", "a:b|c", "EU", new string('z', MeteringLimits.MaxGroupValueLength)];

        var outcomes = await billing.Recorder.RecordBatchAsync([.. values.Select((v, i) => Call($"h{i}", v, at, i + 1))]);
        var none = await billing.Recorder.RecordAsync(Call("h-none", null, at, 100m));

        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
        none.Kind.Should().Be(UsageOutcomeKind.Accepted);
        var groups = (await billing.Usage.GetCurrentAsync(sub.SubscriptionId)).Groups;
        var expected = values.Select((v, i) => ((string?)v, (decimal)(i + 1)))
            .OrderBy(g => g.Item1, StringComparer.Ordinal)
            .Append((null, 100m));
        groups.Select(g => (g.Group["region"], g.Quantity)).Should().Equal(expected);
    }

    [Fact]
    public async Task GroupValueOverTheLimit_IsRejected_AndNothingIsStored()
    {
        await using var billing = CreateByRegion(PricingModel.PerUnit(1m));
        var sub = await SubscribeC1Async(billing, "by_region");
        var at = Start + Duration.FromDays(3);

        var outcome = await billing.Recorder.RecordAsync(Call("long", new string('x', MeteringLimits.MaxGroupValueLength + 1), at));

        outcome.Reason.Should().Be(UsageRejectionReason.InvalidRecord);
        outcome.Rejection!.Value.Message.Should().Contain("'region'").And.Contain("at most 128 characters");
        (await RecordsOfAsync(billing, sub.SubscriptionId, Start)).Should().BeEmpty();
        (await billing.Usage.GetCurrentAsync(sub.SubscriptionId)).Groups.Should().BeEmpty();
    }

    [Fact]
    public async Task PlanDocument_KeepsTheGrouping()
    {
        await using var billing = CreateByRegion(PricingModel.PerUnit(0.10m));
        await SubscribeC1Async(billing, "by_region");

        var stored = await billing.Store.FindPlanAsync("by_region", null, CancellationToken.None);

        stored!.Charges.Single().GroupBy.Should().Equal("region");
        stored.DefinitionEquals(ByRegion(PricingModel.PerUnit(0.10m))).Should().BeTrue();
    }

    [Fact]
    public void Startup_PlanGroupingByAPropertyTheMeterDoesNotDeclare_FailsNamingIt()
    {
        var plan = Plan.Create("bad", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(1m), c => c.GroupedBy("project"))
            .Build();

        var act = () => CreateMetering(o => o.AddMeter(Calls).AddPlan(plan));

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .WithMessage("*plan 'bad'*groups by 'project', which meter 'api_calls' does not declare*'region'*");
    }

    [Fact]
    public async Task AFilteredGroupedCharge_BesideAnUngroupedOne_EachReadsItsOwnAggregates()
    {
        var meter = Meter.Sum("tokens").WithGroupBy("model", "tier");
        var plan = Plan.Create("llm", Currency.USD, BillingInterval.Months(1))
            .WithCharge(meter, PricingModel.PerUnit(0.01m), c => c.DisplayName = "All tokens")
            .WithCharge(meter, PricingModel.PerUnit(0.02m), c => { c.Key = "paid_by_model"; c.Where("tier", "paid"); c.GroupedBy("model"); })
            .Build();
        await using var billing = CreateMetering(o => o.AddMeter(meter).AddPlan(plan));
        var sub = await SubscribeC1Async(billing, "llm");
        var at = Start + Duration.FromDays(3);
        UsageRecord T(string key, decimal quantity, string model, string tier) =>
            new("c1", "tokens", quantity, at, key, Properties: new Dictionary<string, string> { ["model"] = model, ["tier"] = tier });

        await billing.Recorder.RecordBatchAsync([T("t1", 100m, "gpt", "paid"), T("t2", 50m, "llama", "paid"), T("t3", 1000m, "gpt", "free"), T("t4", 25m, "gpt", "paid")]);
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        // All tokens: 1175 × 0.01 = 11.75; paid by model: gpt 125 × 0.02 = 2.50, llama 50 × 0.02 = 1.00. Total 15.25
        var lines = report.Invoices.Single().Content.Lines;
        lines.Select(l => (l.ChargeKey, l.Group?["model"], l.Quantity, l.Amount.Amount)).Should().Equal(
            ("tokens", null, 1175m, 11.75m), ("paid_by_model", "gpt", 125m, 2.50m), ("paid_by_model", "llama", 50m, 1.00m));
        report.Invoices.Single().Total.Should().Be(Usd(15.25m));
    }

    [Fact]
    public async Task RealTimeCredits_BurnEachGroupsMarginalCost_AndTheInvoiceNetsThemOnce()
    {
        // First 10 calls at 1.00, the rest at 0.50, per region; the cost burns from credits as calls are recorded.
        var plan = Plan.Create("prepaid_by_region", Currency.USD, BillingInterval.Months(1))
            .WithCharge(Calls, PricingModel.Graduated([new(10m, 1.00m), new(null, 0.50m)]), c => { c.GroupedBy("region"); c.BurnsCreditsInRealTime = true; })
            .Build();
        await using var billing = CreateMetering(o => o.AddMeter(Calls).AddPlan(plan));
        var sub = await SubscribeC1Async(billing, "prepaid_by_region");
        await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(100.00m), GrantId = "g1", EffectiveAt = Start });
        var at = Start + Duration.FromDays(3);

        await billing.Recorder.RecordBatchAsync([Call("e1", "eu", at, 8m), Call("u1", "us", at, 5m), Call("e2", "eu", at, 4m)]);

        // eu: 8 × 1 = 8.00, then 2 × 1 + 2 × 0.5 = 3.00; us: 5 × 1 = 5.00. Burned 16.00 (one table over the 17 calls
        // together would burn 13.50).
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(84.00m);
        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        var invoice = report.Invoices.Single();
        GroupLines(invoice.Content.Lines).Should().Equal(("eu", 12m, 11.00m), ("us", 5m, 5.00m));
        invoice.Content.Lines.Last().Should().Match<InvoiceLine>(l => l.Kind == InvoiceLineKind.Credit && l.ChargeKey == "api_calls" && l.Amount == Usd(-16.00m));
        invoice.Total.Should().Be(Usd(0m));
        (await billing.Credits.GetBalancesAsync("c1")).Single(b => b.Unit == Currency.USD).Remaining.Should().Be(84.00m, "prepaid usage is not charged to the credits twice");
    }

    [Fact]
    public async Task HardLimit_AppliesPerGroup()
    {
        var plan = Plan.Create("capped_by_region", Currency.USD, BillingInterval.Months(1))
            .WithCharge(Calls, PricingModel.PerUnit(1m), c => { c.GroupedBy("region"); c.LimitPerPeriod = 20m; })
            .Build();
        await using var billing = CreateMetering(o => o.AddMeter(Calls).AddPlan(plan));
        var sub = await SubscribeC1Async(billing, "capped_by_region");
        var at = Start + Duration.FromDays(3);

        var outcomes = await billing.Recorder.RecordBatchAsync([Call("e1", "eu", at, 20m), Call("e2", "eu", at, 1m), Call("u1", "us", at, 15m), Call("n1", null, at, 20m)]);

        outcomes.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Accepted, UsageOutcomeKind.Rejected, UsageOutcomeKind.Accepted, UsageOutcomeKind.Accepted);
        outcomes[1].Reason.Should().Be(UsageRejectionReason.UsageLimitReached, "eu is at its limit of 20; the other groups have their own");
        var groups = (await billing.Usage.GetCurrentAsync(sub.SubscriptionId)).Groups;
        groups.Select(g => (g.Group["region"], g.Quantity)).Should().Equal(("eu", 20m), ("us", 15m), (null, 20m));
    }

    [Fact]
    public async Task GroupsPerPeriod_AreBounded_SoTheLargestGroupsStillInvoiceWithoutOverflow()
    {
        // A Max per group is not bounded by the meter's total: 1,000 groups at the largest quantity and price are the
        // most an invoice can carry. 1,000 × 10^15 × 10^10 = 10^28, still below decimal's range (about 7.9 × 10^28).
        var peak = Meter.Max("peak").WithGroupBy("region");
        var plan = Plan.Create("peak_by_region", Currency.USD, BillingInterval.Months(1))
            .WithCharge(peak, PricingModel.PerUnit(MeteringLimits.MaxPrice), c => c.GroupedBy("region"))
            .Build();
        await using var billing = CreateMetering(o => o.AddMeter(peak).AddPlan(plan));
        var sub = await SubscribeC1Async(billing, "peak_by_region");
        var at = Start + Duration.FromDays(3);
        UsageRecord Peak(string key, string? region) =>
            new("c1", "peak", MeteringLimits.MaxQuantity, at, key, Properties: region is null ? null : new Dictionary<string, string> { ["region"] = region });

        var first = await billing.Recorder.RecordBatchAsync([.. Enumerable.Range(0, 1_000).Select(i => Peak($"p{i}", $"r{i}"))]);
        var more = await billing.Recorder.RecordBatchAsync([Peak("new", "r1000"), Peak("again", "r7"), Peak("none", null)]);

        first.Should().HaveCount(1_000).And.OnlyContain(o => o.Kind == UsageOutcomeKind.Accepted);
        more.Select(o => o.Kind).Should().Equal(UsageOutcomeKind.Rejected, UsageOutcomeKind.Accepted, UsageOutcomeKind.Rejected);
        more[0].Reason.Should().Be(UsageRejectionReason.TooManyGroups);
        more[0].Rejection!.Value.Message.Should().Contain("'peak'").And.Contain("1000 groups");
        more[2].Reason.Should().Be(UsageRejectionReason.TooManyGroups, "records without the property form a group of their own");
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Groups.Should().HaveCount(1_000).And.NotContain(g => g.Group["region"] == "r1000" || g.Group["region"] == null);

        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);

        var invoice = report.Invoices.Single();
        invoice.Content.Lines.Where(l => l.Kind == InvoiceLineKind.Usage).Should().HaveCount(1_000)
            .And.OnlyContain(l => l.Amount == Usd(10_000_000_000_000_000_000_000_000m));
        invoice.Total.Should().Be(Usd(10_000_000_000_000_000_000_000_000_000m));
    }

    [Fact]
    public async Task GroupsPerPeriod_AreBounded_UnderConcurrentWriters_AndCountAgainNextPeriod()
    {
        await using var billing = CreateByRegion(PricingModel.PerUnit(0.10m));
        var sub = await SubscribeC1Async(billing, "by_region");
        var at = Start + Duration.FromDays(3);

        // 4 writers open 300 groups each, one record per call: exactly 1,000 groups are opened, whoever wins.
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var outcomes = new List<UsageOutcome>();
            for (int i = 0; i < 300; i++)
            {
                outcomes.Add(await billing.Recorder.RecordAsync(Call($"w{w}-{i}", $"w{w}-r{i}", at)));
            }

            return outcomes;
        })).ToArray();
        var all = (await Task.WhenAll(writers)).SelectMany(o => o).ToArray();

        all.Count(o => o.Kind == UsageOutcomeKind.Accepted).Should().Be(1_000);
        all.Where(o => o.Kind != UsageOutcomeKind.Accepted).Should().HaveCount(200).And.OnlyContain(o => o.Reason == UsageRejectionReason.TooManyGroups);
        var current = await billing.Usage.GetCurrentAsync(sub.SubscriptionId);
        current.Groups.Should().HaveCount(1_000);
        current["api_calls"].Quantity.Should().Be(1_000m, "a rejected record is counted nowhere");

        var report = await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        report.Invoices.Single().Total.Should().Be(Usd(100.00m), "1,000 groups × 1 call × 0.10");
        var next = billing.Clock.GetCurrentInstant() - Duration.FromMinutes(1);
        var nextPeriod = await billing.Recorder.RecordAsync(Call("next-1", "brand-new", next));
        nextPeriod.Kind.Should().Be(UsageOutcomeKind.Accepted, "the bound counts each period's groups afresh");
    }
}
