namespace Metering.Storage.Conformance;

/// <summary>
/// Subscription metadata through the store: set at subscribe, merged by updates (an empty value removes a key), kept
/// across a period close, and refused with nothing changed when a key, value or count breaks the customer metadata rules.
/// </summary>
public abstract class SubscriptionMetadataConformance : StoreTestBase
{
    [Fact]
    public async Task Metadata_is_set_merged_cleared_and_kept_across_a_close()
    {
        await using var billing = CreateStandard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var created = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest
        {
            CustomerId = "c1",
            PlanKey = "standard",
            SubscriptionId = "s1",
            Metadata = new Dictionary<string, string> { ["order"] = "o-1", ["channel"] = "web", ["empty"] = "" },
        });
        created.Metadata.Should().Equal(new Dictionary<string, string> { ["channel"] = "web", ["order"] = "o-1" });
        (await billing.Subscriptions.GetAsync("s1")).Should().Be(created);

        var updated = await billing.Subscriptions.UpdateSubscriptionMetadataAsync("s1", new Dictionary<string, string> { ["channel"] = "", ["region"] = "eu" });
        updated.Metadata.Should().Equal(new Dictionary<string, string> { ["order"] = "o-1", ["region"] = "eu" });
        updated.Revision.Should().Be(created.Revision + 1);
        (await billing.Subscriptions.GetAsync("s1")).Should().Be(updated);

        (await billing.Subscriptions.UpdateSubscriptionMetadataAsync("s1", new Dictionary<string, string> { ["order"] = "o-1", ["gone"] = "" })).Should().Be(updated);

        billing.Clock.AdvanceTo(February + Grace);
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().ContainSingle();
        (await billing.Subscriptions.GetAsync("s1"))!.Metadata.Should().Equal(new Dictionary<string, string> { ["order"] = "o-1", ["region"] = "eu" });

        var cleared = await billing.Subscriptions.UpdateSubscriptionMetadataAsync("s1", new Dictionary<string, string> { ["order"] = "", ["region"] = "" });
        cleared.Metadata.Should().BeEmpty();
        (await billing.Subscriptions.GetAsync("s1"))!.Metadata.Should().BeEmpty();
    }

    [Fact]
    public async Task Bad_metadata_is_a_typed_error_and_changes_nothing()
    {
        await using var billing = CreateStandard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "c1", "UTC");
        var before = await billing.Subscriptions.SubscribeAsync(new SubscribeRequest
        {
            CustomerId = "c1",
            PlanKey = "standard",
            SubscriptionId = "s1",
            Metadata = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" },
        });

        async Task<MeteringException> Fails(string subscriptionId, Dictionary<string, string> changes) =>
            (await FluentActions.Awaiting(() => billing.Subscriptions.UpdateSubscriptionMetadataAsync(subscriptionId, changes).AsTask()).Should().ThrowAsync<MeteringException>()).Which;

        (await Fails("nobody", new Dictionary<string, string> { ["a"] = "x" })).ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        var longKey = await Fails("s1", new Dictionary<string, string> { [new string('k', 41)] = "v" });
        longKey.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        longKey.Message.Should().Contain("subscription 's1'").And.Contain("41 characters");
        (await Fails("s1", new Dictionary<string, string> { ["k"] = new string('v', 501) })).ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        // 2 stored + 49 new = 51 entries, one over the limit of 50.
        var tooMany = await Fails("s1", Enumerable.Range(0, 49).ToDictionary(i => $"k{i}", _ => "v"));
        tooMany.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        tooMany.Message.Should().Contain("51 metadata entries");
        await FluentActions.Awaiting(() => billing.Subscriptions.UpdateSubscriptionMetadataAsync("s1", new Dictionary<string, string> { ["a"] = "bad\0" }).AsTask()).Should().ThrowAsync<InvalidTextException>();
        (await billing.Subscriptions.GetAsync("s1")).Should().Be(before);

        // Replacing 1 key of 2 and adding 48 gives 50: allowed.
        var full = await billing.Subscriptions.UpdateSubscriptionMetadataAsync("s1", Enumerable.Range(0, 48).ToDictionary(i => $"k{i}", _ => "v"));
        full.Metadata.Should().HaveCount(50);

        var badSubscribe = () => billing.Subscriptions.SubscribeAsync(new SubscribeRequest
        {
            CustomerId = "c1",
            PlanKey = "standard",
            SubscriptionId = "s2",
            Metadata = new Dictionary<string, string> { [""] = "v" },
        }).AsTask();
        (await badSubscribe.Should().ThrowAsync<MeteringException>()).Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        (await billing.Subscriptions.GetAsync("s2")).Should().BeNull();
    }
}
