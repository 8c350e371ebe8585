namespace Metering.Storage.Conformance;

/// <summary>
/// Customer details through the store: create with details (idempotent, conflicts reported), update of name, email and
/// metadata (merged; an empty value removes a key), and a time zone change that reschedules running subscriptions from
/// their next period. Figures by hand: America/New_York is UTC-4 until 2026-11-01 02:00 and UTC-5 after; Asia/Tokyo is
/// UTC+9 all year.
/// </summary>
public abstract class CustomerUpdateConformance : StoreTestBase
{
    private static readonly Instant NovemberNewYork = Instant.FromUtc(2026, 11, 1, 4, 0);

    [Fact]
    public async Task Details_are_created_updated_merged_and_read_back()
    {
        await using var billing = CreateStandard(start: NovemberNewYork);
        var created = await billing.Subscriptions.CreateCustomerAsync("c1", new CustomerDetails
        {
            Name = "Acme",
            TimeZoneId = "America/New_York",
            Email = "billing@acme.test",
            Metadata = new Dictionary<string, string> { ["crm_id"] = "A-17", ["tier"] = "gold" },
        });
        created.Email.Should().Be("billing@acme.test");
        created.UpdatedAt.Should().BeNull();
        (await billing.Subscriptions.GetCustomerAsync("c1")).Should().Be(created);

        billing.Clock.AdvanceTo(NovemberNewYork + Duration.FromDays(2));
        var updated = await billing.Subscriptions.UpdateCustomerAsync("c1", new CustomerDetails
        {
            Email = "",
            Metadata = new Dictionary<string, string> { ["tier"] = "", ["region"] = "eu" },
        });

        updated.Name.Should().Be("Acme");
        updated.TimeZoneId.Should().Be("America/New_York");
        updated.Email.Should().BeNull();
        updated.Metadata.Should().Equal(new Dictionary<string, string> { ["crm_id"] = "A-17", ["region"] = "eu" });
        updated.UpdatedAt.Should().Be(NovemberNewYork + Duration.FromDays(2));
        updated.CreatedAt.Should().Be(NovemberNewYork);
        (await billing.Subscriptions.GetCustomerAsync("c1")).Should().Be(updated);
    }

    [Fact]
    public async Task Creating_again_returns_the_same_customer_only_for_the_same_details()
    {
        await using var billing = CreateStandard(start: NovemberNewYork);
        var details = new CustomerDetails { Name = "Acme", Email = "a@acme.test", Metadata = new Dictionary<string, string> { ["crm_id"] = "A-17" } };
        var first = await billing.Subscriptions.CreateCustomerAsync("c1", details);

        (await billing.Subscriptions.CreateCustomerAsync("c1", details)).Should().Be(first);
        (await billing.Subscriptions.CreateCustomerAsync("c1", "Acme")).Should().Be(first);

        var other = () => billing.Subscriptions.CreateCustomerAsync("c1", details with { Email = "b@acme.test" }).AsTask();
        (await other.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.AlreadyExists);
        var otherMetadata = () => billing.Subscriptions.CreateCustomerAsync("c1", details with { Metadata = new Dictionary<string, string> { ["crm_id"] = "B" } }).AsTask();
        (await otherMetadata.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.AlreadyExists);
        (await billing.Subscriptions.GetCustomerAsync("c1")).Should().Be(first);
    }

    [Fact]
    public async Task Bad_updates_are_typed_errors_and_change_nothing()
    {
        await using var billing = CreateStandard(start: NovemberNewYork);
        var before = await billing.Subscriptions.CreateCustomerAsync("c1", "Acme", "America/New_York");

        async Task<MeteringException> Fails(string customerId, CustomerDetails changes) =>
            (await FluentActions.Awaiting(() => billing.Subscriptions.UpdateCustomerAsync(customerId, changes).AsTask()).Should().ThrowAsync<MeteringException>()).Which;

        (await Fails("nobody", new CustomerDetails { Name = "x" })).ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        var zone = await Fails("c1", new CustomerDetails { Name = "New name", TimeZoneId = "Mars/Olympus" });
        zone.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        zone.Message.Should().Contain("Mars/Olympus");
        (await Fails("c1", new CustomerDetails { Email = "not an email" })).ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await Fails("c1", new CustomerDetails { Metadata = new Dictionary<string, string> { [new string('k', 41)] = "v" } })).ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        var tooMany = Enumerable.Range(0, CustomerDetails.MaxMetadataEntries + 1).ToDictionary(i => $"k{i}", i => "v");
        (await Fails("c1", new CustomerDetails { Metadata = tooMany })).Message.Should().Contain("51 metadata entries");
        await FluentActions.Awaiting(() => billing.Subscriptions.UpdateCustomerAsync("c1", new CustomerDetails { Name = "bad\0" }).AsTask()).Should().ThrowAsync<InvalidTextException>();

        (await billing.Subscriptions.GetCustomerAsync("c1")).Should().Be(before);
    }

    [Fact]
    public async Task A_new_time_zone_applies_from_the_next_period()
    {
        await using var billing = CreateStandard(start: NovemberNewYork);
        await billing.Subscriptions.CreateCustomerAsync("c1", "Acme", "America/New_York");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        var novemberEnd = Instant.FromUtc(2026, 12, 1, 5, 0);
        sub.CurrentPeriod.Should().Be(new BillingPeriod(0, NovemberNewYork, novemberEnd));

        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 11, 10, 0, 0));
        await billing.Subscriptions.UpdateCustomerAsync("c1", new CustomerDetails { TimeZoneId = "Asia/Tokyo" });

        // The running period keeps its bounds; the subscription now counts its local times in Tokyo.
        var moved = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;
        moved.CurrentPeriod.Should().Be(sub.CurrentPeriod);
        moved.Schedule.Zone.Id.Should().Be("Asia/Tokyo");
        moved.Revision.Should().Be(sub.Revision + 1);

        // The transition period runs from the New York month end to midnight of January 1 in Tokyo (Dec 31 15:00 UTC).
        var tokyoJanuary = Instant.FromUtc(2026, 12, 31, 15, 0);
        billing.Clock.AdvanceTo(novemberEnd + Duration.FromMinutes(2));
        (await billing.Recorder.RecordAsync(Usage("c1", 3m, novemberEnd + Duration.FromMinutes(1), "dec-1"))).PeriodStart.Should().Be(novemberEnd);
        var november = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single(i => i.SubscriptionId == sub.SubscriptionId);
        november.Period.Should().Be(new BillingPeriod(0, NovemberNewYork, novemberEnd));

        var transition = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.CurrentPeriod;
        transition.Should().Be(new BillingPeriod(1, novemberEnd, tokyoJanuary));
        billing.Clock.AdvanceTo(tokyoJanuary + Duration.FromMinutes(2));
        (await billing.Recorder.RecordAsync(Usage("c1", 2m, tokyoJanuary - Duration.FromMinutes(1), "dec-31"))).PeriodStart.Should().Be(novemberEnd);
        (await billing.Recorder.RecordAsync(Usage("c1", 1m, tokyoJanuary, "jan-1"))).PeriodStart.Should().Be(tokyoJanuary);

        // Shorter than Tokyo's December (Nov 30 15:00Z to Dec 31 15:00Z, 744 hours), it covers 730 hours of it: the base
        // fee is prorated as for any partial period, 10.00 × 730 / 744 = 9.81, plus 5 calls × 2.00 = 10.00: 19.81.
        var december = (await billing.AdvanceToPeriodEndAsync(sub.SubscriptionId)).Invoices.Single(i => i.SubscriptionId == sub.SubscriptionId);
        december.Period.Should().Be(transition);
        UsageLine(december).Quantity.Should().Be(5m);
        december.Content.Lines.Single(l => l.Kind == InvoiceLineKind.BaseFee).Amount.Should().Be(Usd(9.81m));
        december.Total.Should().Be(Usd(19.81m));

        // Then full periods on Tokyo's first of the month.
        (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!.CurrentPeriod.Should().Be(new BillingPeriod(2, tokyoJanuary, Instant.FromUtc(2027, 1, 31, 15, 0)));
    }

    [Fact]
    public async Task Ended_subscriptions_keep_their_schedule()
    {
        await using var billing = CreateStandard(start: NovemberNewYork);
        await billing.Subscriptions.CreateCustomerAsync("c1", "Acme", "America/New_York");
        var sub = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard" });
        billing.Clock.AdvanceTo(NovemberNewYork + Duration.FromDays(3));
        await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId);
        var ended = (await billing.Subscriptions.GetAsync(sub.SubscriptionId))!;

        await billing.Subscriptions.UpdateCustomerAsync("c1", new CustomerDetails { TimeZoneId = "Asia/Tokyo" });

        (await billing.Subscriptions.GetAsync(sub.SubscriptionId)).Should().Be(ended);
        (await billing.Subscriptions.GetCustomerAsync("c1"))!.TimeZoneId.Should().Be("Asia/Tokyo");

        // New subscriptions start in the new zone at once: midnight in Tokyo is 15:00 UTC the day before.
        var next = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", Anchor = new LocalDateTime(2026, 11, 1, 0, 0) });
        next.Schedule.Zone.Id.Should().Be("Asia/Tokyo");
        next.CurrentPeriod.End.Should().Be(Instant.FromUtc(2026, 11, 30, 15, 0));
    }
}
