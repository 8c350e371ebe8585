using Metering.Storage;

namespace Metering;

/// <summary>
/// Which of a customer's subscriptions carry which contract terms, decided once for every store (run inside the
/// customer change store op, <see cref="IMeteringStore.UpdateCustomerAsync"/>, on the customer and all its
/// subscriptions as loaded in one transaction). Pure. The rules: a subscription's own terms win; a subscription without
/// its own carries the customer's (<see cref="Subscription.ContractInherited"/>); credit wallets and ended subscriptions
/// never change.
/// </summary>
internal static class ContractInheritance
{
    /// <summary>True when <paramref name="subscription"/> has terms of its own (set on it, not inherited).</summary>
    public static bool HasOwnTerms(Subscription subscription) => subscription.Contract is not null && !subscription.ContractInherited;

    /// <summary>The terms a subscription on <paramref name="plan"/> without its own inherits: the customer's, none for a credit wallet.</summary>
    public static ContractTerms? InheritedBy(Customer customer, Plan plan) => plan.IsCreditRateCard ? null : customer.Contract;

    /// <summary>
    /// Sets the customer's terms to <paramref name="terms"/> (null clears them) and moves every active subscription
    /// that has no terms of its own onto them (or off them). Subscriptions with their own terms, ended ones and credit
    /// wallets are left as they are. <c>planOf</c> gives a subscription's plan version, loaded before the store op.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: the terms do not fit the plan of a subscription that would carry them.</exception>
    /// <exception cref="MissingPlanException">A subscription's plan version was not loaded.</exception>
    public static CustomerChange DecideCustomerTerms(Customer current, IReadOnlyList<Subscription> subscriptions, ContractTerms? terms, Func<string, int, Plan?> planOf, Instant now)
    {
        var updated = Equals(current.Contract, terms) ? current : current with { Contract = terms, UpdatedAt = now };
        var changed = new List<Subscription>();
        foreach (var subscription in subscriptions)
        {
            if (subscription.EndedAt is not null || HasOwnTerms(subscription))
            {
                continue;
            }

            var plan = PlanOf(subscription, planOf);
            var target = InheritedBy(updated, plan);
            if (target is not null)
            {
                CheckFits(current.CustomerId, target, subscription, plan);
            }

            if (Carrying(subscription, target) is { } next)
            {
                changed.Add(next);
            }
        }

        return new CustomerChange(updated, changed);
    }

    /// <summary>
    /// Sets the subscription's own terms (<paramref name="terms"/>), or with null removes them: it then carries the
    /// customer's terms, if any. The subscription moves to its next revision in any case.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidState"/>: the subscription ended;
    /// <see cref="MeteringErrorCode.ConcurrencyConflict"/>: it changed plan since <paramref name="plan"/> was read;
    /// <see cref="MeteringErrorCode.InvalidArgument"/>: the customer's terms it would carry do not fit its plan.</exception>
    public static CustomerChange DecideSubscriptionTerms(Customer customer, IReadOnlyList<Subscription> subscriptions, string subscriptionId, ContractTerms? terms, Plan plan)
    {
        var subscription = subscriptions.FirstOrDefault(s => string.Equals(s.SubscriptionId, subscriptionId, StringComparison.Ordinal))
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' is not one of customer '{customer.CustomerId}'s; check the id returned by SubscribeAsync.");
        if (subscription.EndedAt is not null)
        {
            throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{subscriptionId}' ended at {subscription.EndedAt}; subscribe the customer again instead.");
        }

        if (!string.Equals(subscription.PlanKey, plan.Key, StringComparison.Ordinal) || subscription.PlanVersion != plan.Version)
        {
            // Re-planned since the terms were checked: check them against the new plan.
            throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"Subscription '{subscriptionId}' changed plan while its contract was set; try again.");
        }

        var inherited = terms is null ? InheritedBy(customer, plan) : null;
        if (inherited is not null)
        {
            CheckFits(customer.CustomerId, inherited, subscription, plan);
        }

        var next = subscription with
        {
            Contract = terms ?? inherited,
            ContractInherited = inherited is not null,
            Revision = subscription.Revision + 1,
        };
        return new CustomerChange(customer, [next]);
    }

    /// <summary>
    /// After a subscription was added: when it has no terms of its own, it carries the customer's terms as they are now
    /// (they may have changed since the subscribe read the customer). Terms that do not fit its plan (changed that way
    /// in between) are not carried.
    /// </summary>
    public static CustomerChange DecideNewSubscription(Customer customer, IReadOnlyList<Subscription> subscriptions, string subscriptionId, Plan plan)
    {
        var subscription = subscriptions.FirstOrDefault(s => string.Equals(s.SubscriptionId, subscriptionId, StringComparison.Ordinal));
        if (subscription is null || subscription.EndedAt is not null || HasOwnTerms(subscription))
        {
            return new CustomerChange(customer, []);
        }

        var target = InheritedBy(customer, plan);
        if (target is not null && !Fits(target, plan))
        {
            target = null;
        }

        return Carrying(subscription, target) is { } next ? new CustomerChange(customer, [next]) : new CustomerChange(customer, []);
    }

    /// <summary>Checks that the customer's <paramref name="terms"/> fit the plan of a subscription that would carry them.</summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>, naming the subscription and the fix.</exception>
    public static void CheckFits(string customerId, ContractTerms terms, Subscription subscription, Plan plan)
    {
        try
        {
            terms.CheckAgainst(plan);
        }
        catch (MeteringException e) when (e.ErrorCode == MeteringErrorCode.InvalidArgument)
        {
            throw new MeteringException(
                MeteringErrorCode.InvalidArgument,
                $"The contract terms '{terms.ContractId}' of customer '{customerId}' do not fit subscription '{subscription.SubscriptionId}' on plan '{plan.Key}' v{plan.Version}: {e.Message} Give that subscription terms of its own (ISubscriptionService.SetContractAsync) or change the customer's terms.",
                e);
        }
    }

    private static bool Fits(ContractTerms terms, Plan plan)
    {
        try
        {
            terms.CheckAgainst(plan);
            return true;
        }
        catch (MeteringException e) when (e.ErrorCode == MeteringErrorCode.InvalidArgument)
        {
            return false;
        }
    }

    /// <summary><paramref name="subscription"/> at its next revision carrying <paramref name="inherited"/> (null: none), or null when it already does.</summary>
    private static Subscription? Carrying(Subscription subscription, ContractTerms? inherited) =>
        Equals(subscription.Contract, inherited) && subscription.ContractInherited == (inherited is not null)
            ? null
            : subscription with { Contract = inherited, ContractInherited = inherited is not null, Revision = subscription.Revision + 1 };

    private static Plan PlanOf(Subscription subscription, Func<string, int, Plan?> planOf) =>
        planOf(subscription.PlanKey, subscription.PlanVersion) ?? throw new MissingPlanException(subscription.PlanKey, subscription.PlanVersion);
}

/// <summary>
/// Thrown inside a customer change when a subscription's plan version was not loaded before the store op (a
/// subscription added or re-planned meanwhile): the caller loads it and runs the change again. Nothing is written.
/// </summary>
internal sealed class MissingPlanException(string planKey, int version)
    : Exception($"Plan '{planKey}' v{version} was not loaded before the customer change.")
{
    public string PlanKey { get; } = planKey;

    public int Version { get; } = version;
}
