using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// Errors a host can act on (issue #15): every service error carries a stable <see cref="MeteringErrorCode"/>, and only
/// the retryable kinds say so, whatever the store.
/// </summary>
public abstract class ErrorCodeConformance : StoreTestBase
{
    [Fact]
    public async Task MissingThings_AreNotFound()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");

        await ExpectAsync(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "nobody", PlanKey = "standard" }).AsTask(), MeteringErrorCode.NotFound);
        await ExpectAsync(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "no-such-plan" }).AsTask(), MeteringErrorCode.NotFound);
        await ExpectAsync(() => billing.Subscriptions.CancelNowAsync("sub_missing").AsTask(), MeteringErrorCode.NotFound);
        await ExpectAsync(() => billing.Usage.GetCurrentAsync("sub_missing").AsTask(), MeteringErrorCode.NotFound);
        await ExpectAsync(() => billing.Invoices.ApproveAsync("inv_missing").AsTask(), MeteringErrorCode.NotFound);
        await ExpectAsync(() => billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "nobody", Amount = Usd(1m) }).AsTask(), MeteringErrorCode.NotFound);
        await ExpectAsync(() => billing.Credits.VoidAsync("c1", "no-such-grant").AsTask(), MeteringErrorCode.NotFound);
    }

    [Fact]
    public async Task Duplicates_AreAlreadyExists_AndTheSameDetailsAreIdempotent()
    {
        await using var billing = CreateStandard();
        await billing.Subscriptions.CreateCustomerAsync("c1", "Kingston Parcels", "America/Jamaica");

        var again = await billing.Subscriptions.CreateCustomerAsync("c1", "Kingston Parcels", "America/Jamaica");
        await ExpectAsync(() => billing.Subscriptions.CreateCustomerAsync("c1", "Other Name", "America/Jamaica").AsTask(), MeteringErrorCode.AlreadyExists);
        await ExpectAsync(() => billing.Subscriptions.CreateCustomerAsync("c1", "Kingston Parcels", "UTC").AsTask(), MeteringErrorCode.AlreadyExists);
        await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", SubscriptionId = "s1" });
        await ExpectAsync(() => billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "c1", PlanKey = "standard", SubscriptionId = "s1" }).AsTask(), MeteringErrorCode.AlreadyExists);

        again.Name.Should().Be("Kingston Parcels");
        (await billing.Store.FindCustomerAsync("c1", CancellationToken.None))!.TimeZoneId.Should().Be("America/Jamaica");
    }

    [Fact]
    public async Task OperationsTheStateDoesNotAllow_AreInvalidState()
    {
        await using var billing = CreateStandard();
        var sub = await SubscribeAsync(billing, "c1");
        billing.Clock.Advance(Duration.FromDays(1));

        await ExpectAsync(() => billing.Subscriptions.ReactivateAsync(sub.SubscriptionId).AsTask(), MeteringErrorCode.InvalidState);
        var invoice = await billing.Subscriptions.CancelNowAsync(sub.SubscriptionId);
        await ExpectAsync(() => billing.Subscriptions.CancelNowAsync(sub.SubscriptionId).AsTask(), MeteringErrorCode.InvalidState);
        await ExpectAsync(() => billing.Usage.GetCurrentAsync(sub.SubscriptionId).AsTask(), MeteringErrorCode.InvalidState);
        await ExpectAsync(() => billing.Invoices.ApproveAsync(invoice.InvoiceId).AsTask(), MeteringErrorCode.InvalidState);
        (await billing.Invoices.MarkPaidAsync(invoice.InvoiceId)).Status.Should().Be(InvoiceStatus.Paid);
        await ExpectAsync(() => billing.Invoices.VoidAsync(invoice.InvoiceId).AsTask(), MeteringErrorCode.InvalidState);
    }

    [Fact]
    public async Task BadArguments_AreInvalidArgument_AndNotRetryable()
    {
        await using var billing = CreateStandard();
        await SubscribeAsync(billing, "c1");

        await ExpectAsync(() => billing.Subscriptions.CreateCustomerAsync("c2", "Name", "Mars/Olympus_Mons").AsTask(), MeteringErrorCode.InvalidArgument);
        await ExpectAsync(() => billing.Subscriptions.CreateCustomerAsync("c\uD800").AsTask(), MeteringErrorCode.InvalidArgument);
        await ExpectAsync(() => billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = "c1", Amount = Usd(decimal.MaxValue) }).AsTask(), MeteringErrorCode.InvalidArgument);
        await ExpectAsync(() => billing.Invoices.ListAsync("c1", "not-a-cursor").AsTask(), MeteringErrorCode.InvalidArgument);
    }

    private static async Task ExpectAsync(Func<Task> call, MeteringErrorCode code)
    {
        var thrown = await FluentActions.Awaiting(call).Should().ThrowAsync<MeteringException>();
        thrown.Which.ErrorCode.Should().Be(code, thrown.Which.Message);
        thrown.Which.IsRetryable.Should().BeFalse();
    }
}
