using System.Globalization;

namespace Metering.Storage.Conformance.Hostile;

/// <summary>
/// The calls of one hostile sweep: every public entry point (recorder single and batch, subscriptions, credits,
/// invoices, usage queries, entitlements) fed with generated hostile text, edge decimals and edge instants. The calls
/// are generated up front from the seed, so every store runs exactly the same sequence.
/// </summary>
/// <remarks>
/// World: meter <c>api_calls</c> (Sum) and plan <c>standard</c> (10.00 base fee + 2.00 per call, USD, monthly);
/// customers <see cref="BaseCustomer"/> (subscription <see cref="BaseSubscription"/>) and <see cref="EmojiCustomer"/>,
/// both subscribed at 2026-01-01; the clock stands at <see cref="Now"/>. Grants are in the custom unit
/// <c>credits</c>, which a USD invoice never applies.
/// </remarks>
public static class HostileSweep
{
    /// <summary>The customer most hostile records are sent for.</summary>
    public const string BaseCustomer = "base";

    /// <summary>Its subscription.</summary>
    public const string BaseSubscription = "sub-base";

    /// <summary>A customer whose id holds a supplementary-plane character (bait for ids that differ only in a surrogate).</summary>
    public const string EmojiCustomer = "emoji-\U0001F600";

    /// <summary>The clock during the sweep: 2 hours into the first period.</summary>
    public static readonly Instant Now = Instant.FromUtc(2026, 1, 1, 2, 0);

    private static readonly Instant RecordedAt = Instant.FromUtc(2026, 1, 1, 1, 0);
    private static readonly Currency Credits = Currency.Custom("credits", 0);

    /// <summary>Meters and plans of the sweep world.</summary>
    public static void Configure(MeteringOptions options) => options
        .AddMeter(Meter.Sum("api_calls"))
        .AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(10.00m).WithCharge("api_calls", PricingModel.PerUnit(2.00m)).Build());

    /// <summary>Creates the two customers and their subscriptions, and moves the clock to <see cref="Now"/>.</summary>
    public static async Task SetUpAsync(TestMetering billing, SweepState state)
    {
        foreach (var (customer, subscription) in new[] { (BaseCustomer, BaseSubscription), (EmojiCustomer, "sub-emoji") })
        {
            await billing.Subscriptions.CreateCustomerAsync(customer, customer, "UTC");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customer, PlanKey = "standard", SubscriptionId = subscription });
            state.Customers.Add(customer);
        }

        billing.Clock.AdvanceTo(Now);
    }

    /// <summary>
    /// Generates the calls for <paramref name="seed"/>: <paramref name="rounds"/> rounds over every entry point, each
    /// with fresh hostile values. <paramref name="maxQuantity"/> (when known) adds decimals around the quantity bound.
    /// </summary>
    public static IReadOnlyList<SweepCall> Generate(int seed, int rounds, decimal? maxQuantity = null)
    {
        var input = new HostileInput(seed);
        var calls = new List<SweepCall>();
        for (int round = 0; round < rounds; round++)
        {
            calls.AddRange(Records(input, round, maxQuantity));
            calls.AddRange(Subscriptions(input, round));
            calls.AddRange(CreditsAndReads(input, round, maxQuantity));
        }

        return calls;
    }

    private static IEnumerable<SweepCall> Records(HostileInput input, int round, decimal? maxQuantity)
    {
        var key = $"evt-{round}";
        var customer = input.AnyText(BaseCustomer);
        yield return Record($"RecordAsync(customerId={customer})", new UsageRecord(customer.Value, "api_calls", 1m, RecordedAt, key + "-c"), HostileContract.ForRecord(1m, customer));
        var meter = input.AnyText("api_calls");
        yield return Record($"RecordAsync(meterKey={meter})", new UsageRecord(BaseCustomer, meter.Value, 1m, RecordedAt, key + "-m"), HostileContract.ForRecord(1m, meter));
        var idempotencyKey = input.AnyText(key + "-k");
        yield return Record($"RecordAsync(idempotencyKey={idempotencyKey})", new UsageRecord(BaseCustomer, "api_calls", 1m, RecordedAt, idempotencyKey.Value), HostileContract.ForRecord(1m, idempotencyKey));
        var subscription = input.AnyText(BaseSubscription);
        yield return Record($"RecordAsync(subscriptionId={subscription})", new UsageRecord(BaseCustomer, "api_calls", 1m, RecordedAt, key + "-s", SubscriptionId: subscription.Value), HostileContract.ForRecord(1m, subscription));
        var name = input.AnyText("region");
        var value = input.AnyText("eu");
        yield return Record($"RecordAsync(properties {name}={value})", new UsageRecord(BaseCustomer, "api_calls", 1m, RecordedAt, key + "-p", Properties: new Dictionary<string, string> { [name.Value] = value.Value }), HostileContract.ForRecord(1m, name, value));
        var quantity = input.AnyDecimal(maxQuantity);
        yield return Record(Invariant($"RecordAsync(quantity={quantity})"), new UsageRecord(BaseCustomer, "api_calls", quantity, RecordedAt, key + "-q"), HostileContract.ForRecord(quantity));
        var twice = input.AnyDecimal(maxQuantity);
        yield return Record(Invariant($"RecordAsync(quantity={twice}, again)"), new UsageRecord(BaseCustomer, "api_calls", twice, RecordedAt, key + "-q2"), HostileContract.ForRecord(twice));
        var instant = input.AnyInstant();
        yield return Record($"RecordAsync(timestamp={instant})", new UsageRecord(BaseCustomer, "api_calls", 1m, instant, key + "-t"), null);
        var set = input.AnyText("set");
        yield return Record($"RecordAsync(Set, customerId={set})", new UsageRecord(set.Value, "api_calls", 1m, RecordedAt, key + "-set", UsageAction.Set), HostileContract.ForRecord(1m, set));

        // A batch mixing good items with hostile ones: each item gets its own answer.
        var batch = new List<UsageRecord>
        {
            new(BaseCustomer, "api_calls", 1m, RecordedAt, key + "-b0"),
            new(input.AnyText(BaseCustomer).Value, "api_calls", 1m, RecordedAt, key + "-b1"),
            new(BaseCustomer, "api_calls", input.AnyDecimal(maxQuantity), RecordedAt, key + "-b2"),
            new(BaseCustomer, "api_calls", 1m, RecordedAt, input.AnyText(key + "-b3").Value),
            new(BaseCustomer, "api_calls", 1m, RecordedAt, key + "-b4", Properties: new Dictionary<string, string> { ["p"] = input.AnyText("v").Value }),
            new(BaseCustomer, "api_calls", 1m, RecordedAt, key + "-b5"),
        };
        yield return new SweepCall($"RecordBatchAsync({string.Join(", ", batch.Select(r => HostileText.Escape(r.CustomerId) + "/" + HostileText.Escape(r.IdempotencyKey) + "/" + r.Quantity.ToString(CultureInfo.InvariantCulture)))})", true, async (billing, state) =>
        {
            var outcomes = await billing.Recorder.RecordBatchAsync(batch);
            for (int i = 0; i < batch.Count; i++)
            {
                Count(state, batch[i], outcomes[i]);
            }

            return outcomes;
        });
    }

    private static IEnumerable<SweepCall> Subscriptions(HostileInput input, int round)
    {
        var id = input.AnyText($"cust-{round}");
        yield return Mutation($"CreateCustomerAsync(id={id})", async (b, s) => Track(s, await b.Subscriptions.CreateCustomerAsync(id.Value, "n", "UTC")), HostileContract.ForCall(id));
        var name = input.AnyText("Acme");
        var named = $"named-{round}";
        yield return Mutation($"CreateCustomerAsync(name={name})", async (b, s) => Track(s, await b.Subscriptions.CreateCustomerAsync(named, name.Value, "UTC")), HostileContract.ForCall(name));
        var zone = input.AnyText("Europe/Paris");
        yield return Mutation($"CreateCustomerAsync(timeZone={zone})", async (b, s) => Track(s, await b.Subscriptions.CreateCustomerAsync($"zoned-{round}", "n", zone.Value)));
        var owner = input.AnyText(BaseCustomer);
        yield return Mutation($"SubscribeAsync(customerId={owner})", async (b, _) => await b.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = owner.Value, PlanKey = "standard", SubscriptionId = $"sub-owner-{round}" }));
        var plan = input.AnyText("standard");
        yield return Mutation($"SubscribeAsync(planKey={plan})", async (b, _) => await b.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = EmojiCustomer, PlanKey = plan.Value, SubscriptionId = $"sub-plan-{round}" }));
        var subscriptionId = input.AnyText($"sub-{round}");
        yield return Mutation($"SubscribeAsync(subscriptionId={subscriptionId})", async (b, _) => await b.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = EmojiCustomer, PlanKey = "standard", SubscriptionId = subscriptionId.Value }), HostileContract.ForCall(subscriptionId));
        var start = input.AnyInstant();
        yield return Mutation($"SubscribeAsync(startAt={start})", async (b, _) => await b.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = EmojiCustomer, PlanKey = "standard", StartAt = start, SubscriptionId = $"sub-start-{round}" }));
        var seats = input.Pick(new[] { 0, -1, int.MaxValue, int.MinValue });
        yield return Mutation($"SubscribeAsync(seats={seats})", async (b, _) => await b.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = EmojiCustomer, PlanKey = "standard", Seats = seats, SubscriptionId = $"sub-seats-{round}" }));
        var other = input.AnyText("sub-x");
        yield return Mutation($"ChangePlanAsync(subscriptionId={other})", async (b, _) => await b.Subscriptions.ChangePlanAsync(other.Value, "standard"));
        var newPlan = input.AnyText("premium-x");
        yield return Mutation($"ChangePlanAsync(planKey={newPlan})", async (b, _) => await b.Subscriptions.ChangePlanAsync(BaseSubscription, newPlan.Value));
        yield return Mutation($"CancelNowAsync({other})", async (b, _) => await b.Subscriptions.CancelNowAsync(other.Value));
        yield return Mutation($"CancelAtPeriodEndAsync({other})", async (b, _) => await b.Subscriptions.CancelAtPeriodEndAsync(other.Value));
        yield return Mutation($"ReactivateAsync({other})", async (b, _) => await b.Subscriptions.ReactivateAsync(other.Value));
        yield return Mutation($"SetSeatsAsync({seats})", async (b, _) => await b.Subscriptions.SetSeatsAsync(BaseSubscription, seats));
        var user = input.AnyText("user");
        yield return Mutation($"AssignSeatAsync({user})", async (b, _) => await b.Subscriptions.AssignSeatAsync(BaseSubscription, user.Value), HostileContract.ForCall(user));
        yield return Mutation($"UnassignSeatAsync({user})", async (b, _) => await b.Subscriptions.UnassignSeatAsync(BaseSubscription, user.Value));
        yield return Read($"GetAsync({other})", async (b, _) => await b.Subscriptions.GetAsync(other.Value));
        yield return Read($"ListAsync({owner})", async (b, _) => await b.Subscriptions.ListAsync(owner.Value));
    }

    private static IEnumerable<SweepCall> CreditsAndReads(HostileInput input, int round, decimal? maxQuantity)
    {
        var customer = input.AnyText(BaseCustomer);
        yield return Mutation($"GrantAsync(customerId={customer})", async (b, _) => await b.Credits.GrantAsync(Grant(customer.Value, 10m, $"g-c-{round}")));
        var name = input.AnyText("Welcome");
        yield return Mutation($"GrantAsync(name={name})", async (b, _) => await b.Credits.GrantAsync(Grant(BaseCustomer, 10m, $"g-n-{round}") with { Name = name.Value }), HostileContract.ForCall(name));
        var grantId = input.AnyText($"g-{round}");
        yield return Mutation($"GrantAsync(grantId={grantId})", async (b, _) => await b.Credits.GrantAsync(Grant(BaseCustomer, 10m, grantId.Value)), HostileContract.ForCall(grantId));
        var metaKey = input.AnyText("source");
        var metaValue = input.AnyText("promo");
        yield return Mutation($"GrantAsync(metadata {metaKey}={metaValue})", async (b, _) => await b.Credits.GrantAsync(Grant(BaseCustomer, 10m, $"g-m-{round}") with { Metadata = new Dictionary<string, string> { [metaKey.Value] = metaValue.Value } }), HostileContract.ForCall(metaKey, metaValue));
        var amount = input.AnyDecimal(maxQuantity);
        yield return Mutation(Invariant($"GrantAsync(amount={amount})"), async (b, _) => await b.Credits.GrantAsync(Grant(BaseCustomer, amount, $"g-a-{round}")));
        var (effective, expires) = (input.AnyInstant(), input.AnyInstant());
        yield return Mutation($"GrantAsync(effective={effective}, expires={expires})", async (b, _) => await b.Credits.GrantAsync(Grant(BaseCustomer, 10m, $"g-t-{round}") with { EffectiveAt = effective, ExpiresAt = expires }));
        yield return Mutation($"VoidAsync({customer}, {grantId})", async (b, _) => await b.Credits.VoidAsync(customer.Value, grantId.Value, name.Value));
        var instant = input.AnyInstant();
        yield return Read($"GetBalancesAsync({customer}, {instant})", async (b, _) => await b.Credits.GetBalancesAsync(customer.Value, instant));
        yield return Read($"GetBalanceAlertsAsync({customer})", async (b, _) => await b.Credits.GetBalanceAlertsAsync(customer.Value));
        var cursor = input.AnyText("eyJ");
        yield return Read($"ListTransactionsAsync({customer}, cursor={cursor})", async (b, _) => await b.Credits.ListTransactionsAsync(customer.Value, cursor.Value));
        var subscription = input.AnyText(BaseSubscription);
        yield return Read($"PreviewAsync({subscription})", async (b, _) => await b.Invoices.PreviewAsync(subscription.Value));
        yield return Read($"Invoices.ListAsync({customer}, cursor={cursor})", async (b, _) => await b.Invoices.ListAsync(customer.Value, cursor.Value));
        var invoice = input.AnyText("in_sub-base_0");
        yield return Read($"Invoices.GetAsync({invoice})", async (b, _) => await b.Invoices.GetAsync(invoice.Value));
        yield return Mutation($"Invoices.VoidAsync({invoice})", async (b, _) => await b.Invoices.VoidAsync(invoice.Value));
        yield return Mutation($"Invoices.ApproveAsync({invoice})", async (b, _) => await b.Invoices.ApproveAsync(invoice.Value));
        yield return Mutation($"Invoices.MarkPaidAsync({invoice})", async (b, _) => await b.Invoices.MarkPaidAsync(invoice.Value));
        yield return Mutation($"Invoices.MarkPaymentFailedAsync({invoice})", async (b, _) => await b.Invoices.MarkPaymentFailedAsync(invoice.Value));
        yield return Mutation($"Invoices.MarkUncollectibleAsync({invoice})", async (b, _) => await b.Invoices.MarkUncollectibleAsync(invoice.Value));
        yield return Read($"GetCurrentAsync({subscription})", async (b, _) => await b.Usage.GetCurrentAsync(subscription.Value));
        yield return Read($"GetHistoryAsync({subscription}, cursor={cursor})", async (b, _) => await b.Usage.GetHistoryAsync(subscription.Value, cursor.Value));
        var feature = input.AnyText("priority_queue");
        yield return Read($"Entitlements.CheckAsync({customer}, {feature})", async (b, _) => await b.Entitlements.CheckAsync(customer.Value, feature.Value));
        yield return Read($"Entitlements.ListAsync({customer})", async (b, _) => await b.Entitlements.ListAsync(customer.Value));
    }

    private static CreditGrantRequest Grant(string customerId, decimal amount, string grantId) =>
        new() { CustomerId = customerId, Amount = new Money(amount, Credits), GrantId = grantId, Name = "sweep" };

    private static SweepCall Record(string name, UsageRecord record, string? mustAnswer) => new(name, true, async (billing, state) =>
    {
        var outcome = await billing.Recorder.RecordAsync(record);
        Count(state, record, outcome);
        return outcome;
    }, mustAnswer);

    private static SweepCall Mutation(string name, Func<TestMetering, SweepState, Task<object?>> run, string? mustAnswer = null) => new(name, true, run, mustAnswer);

    private static SweepCall Read(string name, Func<TestMetering, SweepState, Task<object?>> run) => new(name, false, run);

    private static void Count(SweepState state, UsageRecord record, UsageOutcome outcome)
    {
        if (outcome.Kind == UsageOutcomeKind.Accepted && outcome.SubscriptionId == BaseSubscription && record.MeterKey == "api_calls")
        {
            state.BaseQuantity += record.Quantity;
        }
    }

    private static object Track(SweepState state, Customer customer)
    {
        state.Customers.Add(customer.CustomerId);
        return customer;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
