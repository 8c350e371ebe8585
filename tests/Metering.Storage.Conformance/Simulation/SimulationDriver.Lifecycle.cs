namespace Metering.Storage.Conformance.Simulation;

/// <summary>Customers, subscriptions and credits of the simulation, each resolved to exactly once after injected faults.</summary>
public sealed partial class SimulationDriver
{
    private static readonly string[] PlanMix = ["basic", "basic", "pro", "prepaid", "prepaid"];

    private async Task<string> NewCustomerAsync()
    {
        var customerId = $"c{_customers.Count}";
        var subscriptionId = $"s{_customers.Count}";
        var plan = PlanMix[_random.Next(PlanMix.Length)];
        await WithRetriesAsync(() => _billing.Subscriptions.CreateCustomerAsync(customerId, customerId, "UTC").AsTask());
        _customers.Add(customerId);
        _oracle.Customers[customerId] = null;
        await ResolveAsync(
            () => _billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = customerId, PlanKey = plan, SubscriptionId = subscriptionId }).AsTask(),
            async () => await _billing.Subscriptions.GetAsync(subscriptionId) is not null);
        _oracle.Customers[customerId] = new OracleSubscription(subscriptionId, customerId, plan, Now);
        if (plan == "prepaid")
        {
            await GrantAsync(customerId);
        }

        return $"customer {customerId} on {plan}";
    }

    private OracleSubscription? PickRunning(Func<OracleSubscription, bool> filter)
    {
        var candidates = _oracle.Subscriptions
            .Where(s => s.EndedAt is null && s.CancelAt is null && s.CurrentStart < Now && Now < s.CurrentEnd && filter(s))
            .ToList();
        return candidates.Count == 0 ? null : candidates[_random.Next(candidates.Count)];
    }

    private async Task<string> ChangePlanAsync()
    {
        if (PickRunning(s => s.PlanKey != "prepaid") is not { } subscription)
        {
            return "no plan change";
        }

        var newPlan = subscription.PlanKey == "basic" ? "pro" : "basic";
        await ResolveAsync(
            () => _billing.Subscriptions.ChangePlanAsync(subscription.SubscriptionId, newPlan).AsTask(),
            async () => (await _billing.Subscriptions.GetAsync(subscription.SubscriptionId))!.PlanKey == newPlan);
        _oracle.ChangePlan(subscription, newPlan, Now);
        return $"change {subscription.SubscriptionId} to {newPlan}";
    }

    private async Task<string> CancelNowAsync()
    {
        if (PickRunning(_ => true) is not { } subscription)
        {
            return "no cancel";
        }

        await ResolveAsync(
            () => _billing.Subscriptions.CancelNowAsync(subscription.SubscriptionId).AsTask(),
            async () => (await _billing.Subscriptions.GetAsync(subscription.SubscriptionId))!.EndedAt is not null);
        _oracle.CancelNow(subscription, Now);
        return $"cancel {subscription.SubscriptionId} now";
    }

    private async Task<string> CancelAtPeriodEndAsync()
    {
        if (PickRunning(_ => true) is not { } subscription)
        {
            return "no cancel at period end";
        }

        await ResolveAsync(
            () => _billing.Subscriptions.CancelAtPeriodEndAsync(subscription.SubscriptionId).AsTask(),
            async () => (await _billing.Subscriptions.GetAsync(subscription.SubscriptionId))!.CancelAt is not null);
        subscription.CancelAt = subscription.CurrentEnd;
        return $"cancel {subscription.SubscriptionId} at {subscription.CancelAt}";
    }

    private async Task<string> GrantAsync(string? customerId = null)
    {
        var prepaid = _oracle.Subscriptions.Where(s => s.PlanKey == "prepaid").Select(s => s.CustomerId).ToList();
        customerId ??= prepaid.Count == 0 ? null : prepaid[_random.Next(prepaid.Count)];
        if (customerId is null)
        {
            return "no grant";
        }

        var grantId = $"g{_next++}";
        var amount = (decimal)_random.Next(1, 60);
        var priority = _random.Next(2) == 0 ? 50 : CreditGrant.DefaultPriority;
        Instant? expires = _random.Next(2) == 0 ? null : Now + Duration.FromHours(_random.Next(1, 40 * 24));
        var request = new CreditGrantRequest
        {
            CustomerId = customerId,
            Amount = new Money(amount, SimulationWorld.Credits),
            GrantId = grantId,
            Priority = priority,
            EffectiveAt = Now,
            ExpiresAt = expires,
        };

        // Idempotent by grant id: a retry returns the grant stored by an attempt whose answer was lost.
        await WithRetriesAsync(() => _billing.Credits.GrantAsync(request).AsTask());
        _oracle.CreditsOf(customerId).Grant(grantId, amount, priority, Now, expires);
        return $"grant {grantId} of {amount} to {customerId} (p{priority}, expires {expires})";
    }

    private async Task<string> VoidAsync()
    {
        var candidates = _oracle.Credits
            .SelectMany(c => c.Value.Grants.Where(g => g.Remaining > 0m && !(g.ExpiresAt <= Now)).Select(g => (Customer: c.Key, Grant: g)))
            .ToList();
        if (candidates.Count == 0)
        {
            return "no void";
        }

        var (customerId, grant) = candidates[_random.Next(candidates.Count)];
        await ResolveAsync(
            () => _billing.Credits.VoidAsync(customerId, grant.GrantId).AsTask(),
            async () => (await _billing.Store.LoadLedgerAsync(customerId, CancellationToken.None)).Transactions.Any(t => t.GrantId == grant.GrantId && t.Type == CreditTransactionType.Void));
        _oracle.CreditsOf(customerId).Void(grant.GrantId);
        return $"void {grant.GrantId} of {customerId}";
    }

    /// <summary>Calls an idempotent operation until it answers; reports whether a fault struck after a commit.</summary>
    private async Task<(T Result, bool Ambiguous)> WithRetriesAsync<T>(Func<Task<T>> call)
    {
        var ambiguous = false;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return (await call(), ambiguous);
            }
            catch (Exception e) when (IsFault(e) && attempt < 500)
            {
                ambiguous |= AfterCommit(e) || !InjectedFaultException.IsInjected(e);
            }
        }
    }

    /// <summary>Runs a non-idempotent operation; after a fault, reads whether it happened before trying again.</summary>
    private async Task ResolveAsync<T>(Func<Task<T>> call, Func<Task<bool>> happened)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception e) when (IsFault(e) && attempt < 500)
            {
                if ((await WithRetriesAsync(happened)).Result)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Runs the checks again when a transient failure (not an assertion) interrupts their reads.</summary>
    private async Task CheckWithRetriesAsync()
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await CheckAsync();
                return;
            }
            catch (Exception e) when (IsFault(e) && attempt < 500)
            {
            }
        }
    }

    private bool IsFault(Exception e)
    {
        if (InjectedFaultException.IsInjected(e))
        {
            return true;
        }

        var transient = _isTransient(e);
        Interlocked.Add(ref _otherFailures, transient ? 1 : 0);
        return transient;
    }

    private static bool AfterCommit(Exception? e) => e switch
    {
        InjectedFaultException fault => fault.AfterCommit,
        AggregateException aggregate => aggregate.InnerExceptions.Any(AfterCommit),
        null => false,
        _ => AfterCommit(e.InnerException),
    };
}
