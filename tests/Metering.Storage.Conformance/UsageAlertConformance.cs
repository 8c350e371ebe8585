namespace Metering.Storage.Conformance;

/// <summary>
/// Usage alerts on a charge (<see cref="Charge.Alerts"/>): a record that takes the charge's quantity or running amount
/// across a threshold stores one <see cref="BillingEventType.UsageThresholdReached"/> event in its own transaction,
/// once per period; the plan's alerts survive the store's plan document (issue #14).
/// </summary>
public abstract class UsageAlertConformance : StoreTestBase
{
    private static Plan AlertingPlan() => Plan.Create("alerting", Currency.USD, BillingInterval.Months(1))
        .WithBaseFee(10.00m)
        .WithCharge("api_calls", PricingModel.PerUnit(2.00m), c => c.AlertAtQuantity(100m).AlertAtQuantity(80m).AlertAtAmount(150.00m).LimitPerPeriod = 500m)
        .Build();

    private static async Task<List<UsageThresholdEventPayload>> PayloadsAsync(TestMetering billing) =>
        [.. (await billing.Store.ReadAllEventsAsync())
            .Select(e => e.Event)
            .Where(e => e.Type == BillingEventType.UsageThresholdReached)
            .Select(e => e.Payload.Should().BeOfType<UsageThresholdEventPayload>().Subject)];

    private static async Task<List<(UsageAlertKind Kind, decimal Threshold, decimal Value)>> AlertsAsync(TestMetering billing) =>
        [.. (await PayloadsAsync(billing)).Select(p => (p.Kind, p.Threshold, p.Value))];

    [Fact]
    public async Task Records_CrossingThresholds_OneEventPerThresholdPerPeriod()
    {
        await using var billing = CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(AlertingPlan()));
        var sub = await SubscribeAsync(billing, "c1", "alerting");

        (await billing.Recorder.RecordAsync(Usage("c1", 50m, Start, "k1"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await AlertsAsync(billing)).Should().BeEmpty();

        // 50 -> 80 calls: quantity 80 reached, and 160.00 passes the 150.00 amount alert.
        await billing.Recorder.RecordBatchAsync([Usage("c1", 30m, Start, "k2"), Usage("c1", 10m, Start, "k3")]);
        (await billing.Recorder.RecordAsync(Usage("c1", 10m, Start, "k4"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await billing.Recorder.RecordAsync(Usage("c1", 10m, Start, "k4"))).Kind.Should().Be(UsageOutcomeKind.Duplicate);
        (await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "k5"))).Kind.Should().Be(UsageOutcomeKind.Accepted);

        // Amounts at 2.00 a call: 80 calls = 160.00.
        (await AlertsAsync(billing)).Should().Equal((UsageAlertKind.Quantity, 80m, 80m), (UsageAlertKind.Amount, 150.00m, 160.00m), (UsageAlertKind.Quantity, 100m, 100m));
        (await PayloadsAsync(billing)).Should().AllSatisfy(p =>
        {
            p.SubscriptionId.Should().Be(sub.SubscriptionId);
            p.ChargeKey.Should().Be("api_calls");
            p.PeriodStart.Should().Be(sub.CurrentPeriod.Start);
        });

        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        (await billing.Recorder.RecordAsync(Usage("c1", 85m, billing.Clock.GetCurrentInstant(), "k6"))).Kind.Should().Be(UsageOutcomeKind.Accepted);
        (await AlertsAsync(billing)).Should().HaveCount(5, "the next period fires its own quantity 80 and amount 150.00 alerts");
    }

    [Fact]
    public async Task PlanWithAlertsAndLimit_ReadBackFromTheStore_SameDefinition()
    {
        await using var billing = CreateMetering(o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(AlertingPlan()));
        await SubscribeAsync(billing, "c1", "alerting");

        var stored = await billing.Store.FindPlanAsync("alerting", null, CancellationToken.None);

        stored!.DefinitionEquals(AlertingPlan()).Should().BeTrue();
        stored.Charges.Single().Alerts.Should().Equal(UsageAlert.AtQuantity(80m), UsageAlert.AtQuantity(100m), UsageAlert.AtAmount(150.00m));
        stored.Charges.Single().LimitPerPeriod.Should().Be(500m);
    }

    [Fact]
    public async Task SubscriptionAlerts_OnAChargeWithoutPlanAlerts_FireOncePerPeriod_AndOnlyForThatSubscription()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        await SubscribeAsync(billing, "c2");

        var updated = await billing.Subscriptions.SetUsageAlertsAsync(sub.SubscriptionId,
            [new SubscriptionUsageAlert("api_calls", UsageAlertKind.Amount, 50.00m), new SubscriptionUsageAlert("api_calls", UsageAlertKind.Quantity, 10m)]);
        (await billing.Store.FindSubscriptionAsync(sub.SubscriptionId, CancellationToken.None))!.UsageAlerts.Should().Equal(updated.UsageAlerts);
        updated.UsageAlerts.Should().Equal(new SubscriptionUsageAlert("api_calls", UsageAlertKind.Quantity, 10m), new SubscriptionUsageAlert("api_calls", UsageAlertKind.Amount, 50.00m));

        await billing.Recorder.RecordAsync(Usage("c1", 9m, Start, "a1"));
        await billing.Recorder.RecordAsync(Usage("c2", 40m, Start, "b1"));
        (await AlertsAsync(billing)).Should().BeEmpty("c1 is below both thresholds, and c2 has no alerts of its own");

        // 9 -> 30 calls: quantity 10 reached; 2.00 x 30 = 60.00 passes 50.00.
        await billing.Recorder.RecordAsync(Usage("c1", 21m, Start, "a2"));
        await billing.Recorder.RecordAsync(Usage("c1", 5m, Start, "a3"));

        (await AlertsAsync(billing)).Should().Equal((UsageAlertKind.Quantity, 10m, 30m), (UsageAlertKind.Amount, 50.00m, 60.00m));
        (await PayloadsAsync(billing)).Should().OnlyContain(p => p.SubscriptionId == sub.SubscriptionId);

        await billing.Subscriptions.SetUsageAlertsAsync(sub.SubscriptionId, []);
        await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId);
        await billing.Recorder.RecordAsync(Usage("c1", 40m, billing.Clock.GetCurrentInstant(), "a4"));
        (await AlertsAsync(billing)).Should().HaveCount(2, "the alerts were removed before the next period");
    }

    [Fact]
    public async Task SubscriptionAlerts_OnAChargeThePlanDoesNotHave_AreRefusedAndNothingChanges()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");

        var unknown = async () => await billing.Subscriptions.SetUsageAlertsAsync(sub.SubscriptionId, [new SubscriptionUsageAlert("storage_gb", UsageAlertKind.Quantity, 5m)]);
        var zero = async () => await billing.Subscriptions.SetUsageAlertsAsync(sub.SubscriptionId, [new SubscriptionUsageAlert("api_calls", UsageAlertKind.Quantity, 0m)]);

        (await unknown.Should().ThrowAsync<MeteringException>()).Which.Message.Should().Contain("has no charge 'storage_gb'").And.Contain("api_calls");
        (await zero.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.Should().Be(sub);
    }
}
