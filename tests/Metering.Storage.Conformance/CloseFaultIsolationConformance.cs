using Metering.Storage;

namespace Metering.Storage.Conformance;

/// <summary>
/// DESIGN §5 invariant 8 for period close and credit expiry: one failing subscription or ledger fails alone in its
/// run, is reported and retried after backoff, and is invoiced exactly once when its cause is gone. The fault is thrown
/// inside the store's own close (or ledger) transaction, so every store proves it rolls back just that one.
/// Standard plan: 10.00 base + 2.00 per call, monthly from 2026-01-01 UTC; retry backoff 1 minute, doubling.
/// </summary>
public abstract class CloseFaultIsolationConformance : StoreTestBase
{
    private TestMetering CreateWithFaults(Action<MeteringOptions>? more = null) =>
        TestMetering.Create(
            o =>
            {
                o.AddMeter(Meter.Sum("api_calls")).AddPlan(StandardPlan());
                more?.Invoke(o);
            },
            Start,
            b =>
            {
                UseStore(b);
                FaultInjectingStore.Install(b, _ => { });
            });

    private static FaultInjectingStore Faults(TestMetering billing) => (FaultInjectingStore)billing.Store;

    private static string Id(int i) => $"sub-{i:00}";

    [Fact]
    public async Task PeriodClosedByAnotherInstance_TheSameRunStillClosesTheNextDuePeriod()
    {
        await using var billing = CreateWithFaults();
        await SubscribeAsync(billing, "c1", subscriptionId: "s1");
        await SubscribeAsync(billing, "c2", subscriptionId: "s2");

        // January of both is closed by "another instance" just before this run gets to it; February is due as well.
        Faults(billing).ClosedElsewhere = (_, periodStart) => periodStart == Start;
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 3, 1, 2, 0));
        var report = await billing.PeriodCloser.CloseDueAsync();

        report.AlreadyClosed.Should().Be(2);
        report.Invoices.Select(i => (i.SubscriptionId, i.Period.Start)).Should().BeEquivalentTo([("s1", February), ("s2", February)]);
        report.Failed.Should().BeEmpty();
        foreach (var customer in new[] { "c1", "c2" })
        {
            // Both periods invoiced once each: 10.00 base fee, no usage.
            var invoices = (await billing.Invoices.ListAsync(customer)).Items;
            invoices.Select(i => i.Period.Start).Should().BeEquivalentTo([Start, February]);
            invoices.Should().OnlyContain(i => i.Total == Usd(10.00m));
        }
    }

    [Fact]
    public async Task OnePoisonedSubscriptionOfFifty_FailsAlone_IsRetriedAfterBackoff_AndInvoicedOnceWhenFixed()
    {
        await using var billing = CreateWithFaults();
        for (int i = 0; i < 50; i++)
        {
            await SubscribeAsync(billing, $"c{i:00}", subscriptionId: Id(i));
        }

        bool poisoned = true;
        Faults(billing).CloseFault = id => poisoned && id == Id(17) ? new InvalidOperationException("Time zone 'Mars/Olympus' is missing from tzdb.") : null;
        billing.Clock.AdvanceTo(February + Grace);

        var first = await billing.PeriodCloser.CloseDueAsync();

        first.Invoices.Should().HaveCount(49);
        first.Invoices.Select(i => i.SubscriptionId).Should().NotContain(Id(17));
        var failure = first.Failed.Should().ContainSingle().Subject;
        failure.SubscriptionId.Should().Be(Id(17));
        failure.PeriodStart.Should().Be(Start);
        failure.Reason.Should().Contain("Mars/Olympus");
        failure.Attempts.Should().Be(1);
        failure.RetryAfter.Should().Be(billing.Clock.Now + Duration.FromMinutes(1));
        (await billing.Invoices.ListAsync("c17")).Items.Should().BeEmpty("nothing of a failed close is stored");
        (await billing.Subscriptions.GetAsync(Id(17)))!.CurrentPeriod.Start.Should().Be(Start);

        // Before the backoff has passed the failing subscription is left alone, and the run still ends.
        var early = await billing.PeriodCloser.CloseDueAsync();
        early.Invoices.Should().BeEmpty();
        early.Failed.Should().BeEmpty();
        early.Deferred.Should().Be(1);
        Faults(billing).CloseAttempts[Id(17)].Should().Be(1);

        // After the backoff it is retried; still failing, the next wait doubles.
        billing.Clock.Advance(Duration.FromMinutes(1));
        var retried = await billing.PeriodCloser.CloseDueAsync();
        retried.Invoices.Should().BeEmpty();
        retried.Failed.Should().ContainSingle().Which.Attempts.Should().Be(2);
        retried.Failed[0].RetryAfter.Should().Be(billing.Clock.Now + Duration.FromMinutes(2));
        Faults(billing).CloseAttempts[Id(17)].Should().Be(2);

        // The cause is fixed: the next run after the backoff invoices it, exactly once.
        poisoned = false;
        billing.Clock.Advance(Duration.FromMinutes(2));
        var fixedRun = await billing.PeriodCloser.CloseDueAsync();
        var again = await billing.PeriodCloser.CloseDueAsync();

        var invoice = fixedRun.Invoices.Should().ContainSingle().Subject;
        invoice.SubscriptionId.Should().Be(Id(17));
        invoice.Total.Should().Be(Usd(10.00m));
        fixedRun.Failed.Should().BeEmpty();
        again.Invoices.Should().BeEmpty();
        again.Deferred.Should().Be(0);
        (await billing.Invoices.ListAsync("c17")).Items.Should().ContainSingle();
        var numbers = first.Invoices.Concat(fixedRun.Invoices).Select(i => i.Number).ToList();
        numbers.Should().OnlyHaveUniqueItems().And.HaveCount(50);
        numbers.Max().Should().Be(50, "a failed close must not burn an invoice number");
    }

    [Fact]
    public async Task PoisonedSubscriptionsFillingWholeBatches_DoNotStarveTheHealthyOnes()
    {
        // Batches of 3; the first 4 subscriptions in due order fail, so early batches hold nothing but failures.
        await using var billing = CreateWithFaults(o => o.CloseBatchSize = 3);
        for (int i = 0; i < 10; i++)
        {
            await SubscribeAsync(billing, $"c{i:00}", subscriptionId: Id(i));
        }

        Faults(billing).CloseFault = id => string.CompareOrdinal(id, Id(4)) < 0 ? new InvalidOperationException("corrupt row") : null;
        billing.Clock.AdvanceTo(February + Grace);

        var first = await billing.PeriodCloser.CloseDueAsync();
        var second = await billing.PeriodCloser.CloseDueAsync();

        first.Invoices.Select(i => i.SubscriptionId).Order().Should().Equal(Enumerable.Range(4, 6).Select(Id));
        first.Failed.Select(f => f.SubscriptionId).Should().Equal(Enumerable.Range(0, 4).Select(Id));
        second.Invoices.Should().BeEmpty();
        second.Deferred.Should().Be(4);
        Enumerable.Range(0, 4).Select(i => Faults(billing).CloseAttempts[Id(i)]).Should().AllBeEquivalentTo(1, "each failing close is tried once per run, never in a loop");
    }

    [Fact]
    public async Task SubscriptionSeveralPeriodsBehind_FailingOnItsSecondPeriod_KeepsTheFirstInvoice()
    {
        await using var billing = CreateWithFaults();
        await SubscribeAsync(billing, "c1", subscriptionId: "sub-1");
        await SubscribeAsync(billing, "c2", subscriptionId: "sub-2");
        billing.Clock.AdvanceTo(Instant.FromUtc(2026, 3, 1, 1, 0));
        Faults(billing).CloseFault = id => id == "sub-1" && Faults(billing).CloseAttempts[id] >= 2 ? new InvalidOperationException("bad February") : null;

        var report = await billing.PeriodCloser.CloseDueAsync();

        report.Invoices.Count(i => i.SubscriptionId == "sub-1").Should().Be(1);
        report.Invoices.Count(i => i.SubscriptionId == "sub-2").Should().Be(2);
        report.Failed.Should().ContainSingle().Which.PeriodStart.Should().Be(February);
        (await billing.Subscriptions.GetAsync("sub-1"))!.CurrentPeriod.Start.Should().Be(February);
    }

    [Fact]
    public async Task CallerCancellation_IsNotAFailure_ItPropagates()
    {
        await using var billing = CreateWithFaults();
        await SubscribeAsync(billing, "c1", subscriptionId: "sub-1");
        using var cancellation = new CancellationTokenSource();
        Faults(billing).CloseFault = _ =>
        {
            cancellation.Cancel();
            return new OperationCanceledException(cancellation.Token);
        };
        billing.Clock.AdvanceTo(February + Grace);

        var run = async () => await billing.PeriodCloser.CloseDueAsync(cancellation.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
        Faults(billing).CloseFault = _ => null;
        (await billing.PeriodCloser.CloseDueAsync()).Invoices.Should().ContainSingle("a canceled run leaves no backoff behind");
    }

    [Fact]
    public async Task OnePoisonedLedger_FailsAloneInCreditExpiry_AndIsRetriedAfterBackoff()
    {
        await using var billing = CreateWithFaults();
        var expiry = Instant.FromUtc(2026, 1, 10, 0, 0);
        foreach (var customer in new[] { "c1", "c2", "c3" })
        {
            await SubscribeAsync(billing, customer, subscriptionId: "sub-" + customer);
            await billing.Credits.GrantAsync(new CreditGrantRequest { CustomerId = customer, Amount = Usd(50.00m), GrantId = "g-" + customer, ExpiresAt = expiry });
        }

        bool poisoned = true;
        Faults(billing).LedgerFault = id => poisoned && id == "c2" ? new InvalidOperationException("corrupt ledger") : null;
        billing.Clock.AdvanceTo(expiry);

        var first = await billing.PeriodCloser.CloseDueAsync();
        var early = await billing.PeriodCloser.CloseDueAsync();
        poisoned = false;
        billing.Clock.Advance(Duration.FromMinutes(1));
        var retried = await billing.PeriodCloser.CloseDueAsync();

        first.CreditsExpired.Should().Be(2);
        var failure = first.CreditExpiryFailed.Should().ContainSingle().Subject;
        failure.CustomerId.Should().Be("c2");
        failure.Reason.Should().Be("corrupt ledger");
        early.CreditsExpired.Should().Be(0);
        early.CreditExpiryFailed.Should().BeEmpty();
        retried.CreditsExpired.Should().Be(1);
        retried.CreditExpiryFailed.Should().BeEmpty();
        foreach (var customer in new[] { "c1", "c2", "c3" })
        {
            (await billing.Credits.GetBalancesAsync(customer)).Single().Expired.Should().Be(50.00m);
        }
    }
}
