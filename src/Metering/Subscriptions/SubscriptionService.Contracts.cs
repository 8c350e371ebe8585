namespace Metering;

// Contract terms of a subscription and of a customer. Which subscriptions carry which terms is decided by
// ContractInheritance inside the customer change store op (the customer and all its subscriptions in one transaction).
internal sealed partial class SubscriptionService
{
    public async ValueTask<Subscription> SetContractAsync(string subscriptionId, ContractTerms? contract, CancellationToken cancellationToken = default)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var current = await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        var plan = await catalog.GetPlanAsync(current.PlanKey, current.PlanVersion, cancellationToken).ConfigureAwait(false);
        contract?.CheckAgainst(plan);
        Subscription? updated = null;
        _ = await store.UpdateCustomerAsync(current.CustomerId, (customer, subscriptions) =>
        {
            var change = ContractInheritance.DecideSubscriptionTerms(customer, subscriptions, subscriptionId, contract, plan);
            updated = change.Subscriptions[0];
            return change;
        }, cancellationToken).ConfigureAwait(false);
        cache.Invalidate(current.CustomerId);
        return updated ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");
    }

    public async ValueTask<Customer> SetCustomerContractAsync(string customerId, ContractTerms? contract, CancellationToken cancellationToken = default)
    {
        CheckId(customerId, "customer id");
        contract?.CheckShape();
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);

        // The decision checks the terms against each subscription's plan: load those plans first (the decision is pure).
        foreach (var subscription in await store.ListSubscriptionsAsync(customerId, cancellationToken).ConfigureAwait(false))
        {
            await catalog.GetPlanAsync(subscription.PlanKey, subscription.PlanVersion, cancellationToken).ConfigureAwait(false);
        }

        for (int attempt = 0; attempt < MaxOptimisticRetries; attempt++)
        {
            var now = clock.GetCurrentInstant();
            try
            {
                var updated = await store.UpdateCustomerAsync(
                    customerId,
                    (customer, subscriptions) => ContractInheritance.DecideCustomerTerms(customer, subscriptions, contract, (key, version) => catalog.TryGetPlan(key, version, out var plan) ? plan : null, now),
                    cancellationToken).ConfigureAwait(false)
                    ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Customer '{customerId}' does not exist; create it with CreateCustomerAsync.");
                cache.Invalidate(customerId);
                return updated;
            }
            catch (MissingPlanException missing)
            {
                // A subscription was added or re-planned meanwhile: load its plan and decide again.
                await catalog.GetPlanAsync(missing.PlanKey, missing.Version, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"The subscriptions of customer '{customerId}' kept changing plan while its contract was set; try again.");
    }

    /// <summary>
    /// After <paramref name="subscription"/> (without terms of its own) was added: makes it carry the customer's terms as
    /// they are now, in the customer change op, so terms set on the customer while it was being added are not missed.
    /// </summary>
    private async ValueTask<Subscription> CarryCustomerTermsAsync(Subscription subscription, Plan plan, CancellationToken cancellationToken)
    {
        var result = subscription;
        _ = await store.UpdateCustomerAsync(subscription.CustomerId, (customer, subscriptions) =>
        {
            var change = ContractInheritance.DecideNewSubscription(customer, subscriptions, subscription.SubscriptionId, plan);
            result = change.Subscriptions.Count > 0
                ? change.Subscriptions[0]
                : subscriptions.FirstOrDefault(s => string.Equals(s.SubscriptionId, subscription.SubscriptionId, StringComparison.Ordinal)) ?? subscription;
            return change;
        }, cancellationToken).ConfigureAwait(false);
        return result;
    }
}
