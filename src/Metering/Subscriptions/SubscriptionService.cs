using System.Globalization;
using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Implements <see cref="ISubscriptionService"/> over the store.</summary>
internal sealed partial class SubscriptionService(
    IMeteringStore store,
    MeteringCatalog catalog,
    SubscriptionCache cache,
    BillingEngine engine,
    IClock clock,
    IOptions<MeteringOptions> options) : ISubscriptionService
{
    private const int MaxOptimisticRetries = 16;

    public async ValueTask<Customer?> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.FindCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Customer> CreateCustomerAsync(string customerId, string? name = null, string? timeZoneId = null, CancellationToken cancellationToken = default) =>
        CreateCustomerAsync(customerId, new CustomerDetails { Name = name, TimeZoneId = timeZoneId }, cancellationToken);

    public async ValueTask<Customer> CreateCustomerAsync(string customerId, CustomerDetails details, CancellationToken cancellationToken = default)
    {
        CheckId(customerId, "customer id");
        CustomerRules.Check(customerId, details);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        CustomerRules.Zone(customerId, details.TimeZoneId ?? options.Value.DefaultTimeZone);
        var customer = CustomerRules.Create(customerId, details, options.Value.DefaultTimeZone, clock.GetCurrentInstant());
        if (!await store.AddCustomerAsync(customer, cancellationToken).ConfigureAwait(false))
        {
            // Idempotent for the same details; other details are a conflict, never silently the old ones.
            var existing = (await store.FindCustomerAsync(customerId, cancellationToken).ConfigureAwait(false))!;
            if (!CustomerRules.Matches(existing, details))
            {
                throw new MeteringException(
                    MeteringErrorCode.AlreadyExists,
                    $"Customer '{customerId}' already exists with other details (name '{existing.Name}', time zone '{existing.TimeZoneId}'); use another id, pass the same details to get the existing customer, or change it with UpdateCustomerAsync.");
            }

            customer = existing;
        }

        cache.Invalidate(customerId);
        return customer;
    }

    public async ValueTask<Customer> UpdateCustomerAsync(string customerId, CustomerDetails changes, CancellationToken cancellationToken = default)
    {
        CheckId(customerId, "customer id");
        CustomerRules.Check(customerId, changes);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var updated = await store.UpdateCustomerAsync(customerId, (current, subscriptions) => CustomerRules.DecideUpdate(current, subscriptions, changes, now), cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Customer '{customerId}' does not exist; create it with CreateCustomerAsync.");
        cache.Invalidate(customerId);
        return updated;
    }

    public async ValueTask<Subscription> SubscribeAsync(SubscribeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        InputChecks.Required(request.CustomerId, "customer id");
        InputChecks.Required(request.PlanKey, "plan key");
        InputChecks.Optional(request.SubscriptionId, "subscription id");
        var subscriptionId = request.SubscriptionId ?? "sub_" + Guid.NewGuid().ToString("N");
        CustomerRules.CheckMetadata($"subscription '{subscriptionId}'", request.Metadata);
        var metadata = CustomerRules.MergeMetadata($"Subscription '{subscriptionId}'", new Dictionary<string, string>(), request.Metadata);
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var customer = await store.FindCustomerAsync(request.CustomerId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Customer '{request.CustomerId}' does not exist; create it with CreateCustomerAsync before subscribing.");
        var plan = await catalog.FindPlanAsync(request.PlanKey, request.PlanVersion, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Plan '{request.PlanKey}'{(request.PlanVersion is { } v ? $" v{v}" : string.Empty)} is not published; declare it with AddPlan(...) or publish it first.");
        await catalog.EnsureNotArchivedAsync(plan.Key, cancellationToken).ConfigureAwait(false);
        if (plan.IsCreditRateCard && !string.Equals(request.SubscriptionId, CreditWallets.IdFor(request.CustomerId, plan.Key), StringComparison.Ordinal))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Plan '{plan.Key}' is a credit rate card; attach it with ICreditService.AttachRateCardAsync(\"{request.CustomerId}\", \"{plan.Key}\") instead of subscribing.");
        }

        CheckSeats(plan, request.Seats, 0);
        request.Contract?.CheckAgainst(plan);
        // Without terms of its own, a subscription carries the customer's (never a credit wallet).
        var inherited = request.Contract is null ? ContractInheritance.InheritedBy(customer, plan) : null;

        var zone = DateTimeZoneProviders.Tzdb[customer.TimeZoneId];
        var now = clock.GetCurrentInstant();
        var start = request.StartAt ?? now;
        CheckStart(start, now, options.Value.MaxBackdatedStart);
        var anchor = request.Anchor ?? start.InZone(zone).LocalDateTime;
        if (request.Anchor is { } requested && requested < (start - MeteringOptions.MaxScheduleSpan).InZone(zone).LocalDateTime)
        {
            throw new MeteringException($"The anchor {requested} is more than 10 years before the start {start} of the subscription; use an anchor in the last billing interval before the start (only its day and time matter).");
        }

        var schedule = new BillingSchedule(anchor, zone, plan.Interval);
        if (schedule.StartOf(0) > start)
        {
            throw new MeteringException($"The anchor {anchor} is after the start {start} of the subscription; use an anchor at or before the start.");
        }

        var subscription = new Subscription
        {
            SubscriptionId = subscriptionId,
            CustomerId = customer.CustomerId,
            PlanKey = plan.Key,
            PlanVersion = plan.Version,
            Schedule = schedule,
            StartedAt = start,
            CurrentPeriod = schedule.PeriodContaining(start),
            TrialEndsAt = plan.TrialDays > 0 ? start + Duration.FromDays(plan.TrialDays) : null,
            Seats = request.Seats,
            Contract = request.Contract ?? inherited,
            ContractInherited = inherited is not null,
            Revision = 1,
            Metadata = metadata,
        };
        CheckId(subscription.SubscriptionId, "subscription id");
        if (inherited is not null)
        {
            ContractInheritance.CheckFits(customer.CustomerId, inherited, subscription, plan);
        }

        var activated = BillingEvent.Create(BillingEventType.SubscriptionActivated, customer.CustomerId, subscription.SubscriptionId, now, SubscriptionEventPayload.Of(subscription));
        if (!await store.AddSubscriptionAsync(subscription, [activated], cancellationToken).ConfigureAwait(false))
        {
            throw new MeteringException(MeteringErrorCode.AlreadyExists, $"Subscription '{subscription.SubscriptionId}' already exists; use another id or leave SubscriptionId null.");
        }

        if (request.Contract is null && !plan.IsCreditRateCard)
        {
            subscription = await CarryCustomerTermsAsync(subscription, plan, cancellationToken).ConfigureAwait(false);
        }

        cache.Invalidate(customer.CustomerId);
        return subscription;
    }

    public async ValueTask<Subscription?> GetAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(subscriptionId, "subscription id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.FindSubscriptionAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<Subscription>> ListAsync(string customerId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(customerId, "customer id");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListSubscriptionsAsync(customerId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<PlanChangeResult> ChangePlanAsync(string subscriptionId, string newPlanKey, int? newPlanVersion = null, CancellationToken cancellationToken = default) =>
        ChangePlanAsync(subscriptionId, newPlanKey, newPlanVersion, PlanChangeAnchor.Keep, cancellationToken);

    public async ValueTask<PlanChangeResult> ChangePlanAsync(string subscriptionId, string newPlanKey, int? newPlanVersion, PlanChangeAnchor anchor, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(anchor))
        {
            throw new MeteringException($"Plan change anchor {(int)anchor} is not a PlanChangeAnchor; pass PlanChangeAnchor.Keep (the default) or PlanChangeAnchor.Reset.");
        }

        InputChecks.Required(subscriptionId, "subscription id");
        InputChecks.Required(newPlanKey, "plan key");
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var newPlan = await catalog.FindPlanAsync(newPlanKey, newPlanVersion, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Plan '{newPlanKey}' is not published; declare it with AddPlan(...) before moving subscriptions to it.");
        await catalog.EnsureNotArchivedAsync(newPlan.Key, cancellationToken).ConfigureAwait(false);
        if ((await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false)).Contract is { } contract)
        {
            // The contract goes on with the new plan, so it must fit it (its overrides name the new plan's charges).
            contract.CheckAgainst(newPlan);
        }

        var result = await CloseCurrentAsync(subscriptionId, now => new CloseRequest(CloseKind.PlanChange, now, newPlan, anchor), cancellationToken).ConfigureAwait(false);
        return new PlanChangeResult(result.Invoice!, result.Subscription!);
    }

    public async ValueTask<Invoice> CancelNowAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        var result = await CloseCurrentAsync(subscriptionId, now => new CloseRequest(CloseKind.CancelNow, now), cancellationToken).ConfigureAwait(false);
        return result.Invoice!;
    }

    public ValueTask<Subscription> CancelAtPeriodEndAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        UpdateAsync(subscriptionId, BillingEventType.SubscriptionCancellationScheduled, s =>
        {
            CheckNotEnded(s);
            return s with { CancelAt = s.CurrentPeriod.End };
        }, cancellationToken);

    public ValueTask<Subscription> ReactivateAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        UpdateAsync(subscriptionId, BillingEventType.SubscriptionReactivated, s =>
        {
            CheckNotEnded(s);
            if (s.CancelAt is null)
            {
                throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{s.SubscriptionId}' has no scheduled cancellation to undo.");
            }

            return s with { CancelAt = null };
        }, cancellationToken);

    public async ValueTask<Subscription> SetSeatsAsync(string subscriptionId, int seats, CancellationToken cancellationToken = default)
    {
        var current = await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        var plan = await catalog.GetPlanAsync(current.PlanKey, current.PlanVersion, cancellationToken).ConfigureAwait(false);
        return await UpdateAsync(subscriptionId, BillingEventType.SubscriptionSeatsChanged, s =>
        {
            CheckNotEnded(s);
            CheckSeats(plan, seats, s.SeatAssignments.Count);
            if (seats == s.Seats)
            {
                return s;
            }

            if (s.SeatChanges.Count >= ISubscriptionService.MaxSeatChangesPerPeriod)
            {
                throw new MeteringException(
                    MeteringErrorCode.InvalidState,
                    $"The seats of subscription '{s.SubscriptionId}' changed {s.SeatChanges.Count} times in its current period, the most a period takes; set the count again after the period closes at {s.CurrentPeriod.End}.");
            }

            // Kept for the period's invoice, which prorates a per-seat base fee by how long each count was held.
            return s with { Seats = seats, SeatChanges = [.. s.SeatChanges, new SeatChange(clock.GetCurrentInstant(), s.Seats, seats)] };
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Subscription> UpdateSubscriptionMetadataAsync(string subscriptionId, IReadOnlyDictionary<string, string> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        CustomerRules.CheckMetadata($"subscription '{subscriptionId}'", changes);
        var current = await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (CustomerRules.MergeMetadata($"Subscription '{subscriptionId}'", current.Metadata, changes) is var merged && MetadataEquals(merged, current.Metadata))
        {
            return current;
        }

        return await UpdateAsync(subscriptionId, null, s => s with { Metadata = CustomerRules.MergeMetadata($"Subscription '{subscriptionId}'", s.Metadata, changes) }, cancellationToken).ConfigureAwait(false);
    }

    private static bool MetadataEquals(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var v) && string.Equals(v, e.Value, StringComparison.Ordinal));

    public async ValueTask<Subscription> SetUsageAlertsAsync(string subscriptionId, IReadOnlyList<SubscriptionUsageAlert> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        var current = await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        var plan = await catalog.GetPlanAsync(current.PlanKey, current.PlanVersion, cancellationToken).ConfigureAwait(false);
        var checkedAlerts = CheckUsageAlerts(plan, alerts);
        return await UpdateAsync(subscriptionId, null, s =>
        {
            CheckNotEnded(s);
            if (s.PlanKey != plan.Key || s.PlanVersion != plan.Version)
            {
                // Re-planned since the alerts were checked: check them against the new plan.
                throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"Subscription '{s.SubscriptionId}' changed plan while its usage alerts were set; try again.");
            }

            return s with { UsageAlerts = checkedAlerts };
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Subscription> AssignSeatAsync(string subscriptionId, string userId, CancellationToken cancellationToken = default)
    {
        CheckId(userId, "user id");
        return UpdateAsync(subscriptionId, BillingEventType.SubscriptionSeatsChanged, s =>
        {
            CheckNotEnded(s);
            if (s.SeatAssignments.Contains(userId, StringComparer.Ordinal))
            {
                return s;
            }

            if (s.SeatAssignments.Count >= s.Seats)
            {
                throw new MeteringException(MeteringErrorCode.InvalidState, $"All {s.Seats} seats of subscription '{s.SubscriptionId}' are assigned; raise the seat count with SetSeatsAsync or unassign a user first.");
            }

            return s with { SeatAssignments = [.. s.SeatAssignments, userId] };
        }, cancellationToken);
    }

    public ValueTask<Subscription> UnassignSeatAsync(string subscriptionId, string userId, CancellationToken cancellationToken = default)
    {
        InputChecks.Required(userId, "user id");
        return UpdateAsync(subscriptionId, BillingEventType.SubscriptionSeatsChanged, s =>
            s with { SeatAssignments = s.SeatAssignments.Where(u => !string.Equals(u, userId, StringComparison.Ordinal)).ToArray() },
            cancellationToken);
    }

    private async ValueTask<PeriodCloseResult> CloseCurrentAsync(string subscriptionId, Func<Instant, CloseRequest> request, CancellationToken cancellationToken)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; attempt < MaxOptimisticRetries; attempt++)
        {
            var current = await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            CheckNotEnded(current);
            var now = clock.GetCurrentInstant();
            if (now >= current.CurrentPeriod.End)
            {
                throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{subscriptionId}' has a period that ended at {current.CurrentPeriod.End} and is not closed yet; run IPeriodCloser.CloseDueAsync first.");
            }

            // Nothing of the period has elapsed yet (e.g. cancel right after subscribing): close it one
            // tick (100 ns, the precision stores keep) in, so the invoice covers a non-empty span and a record at the start is not lost.
            var closeAt = now > current.CurrentPeriod.Start ? now : current.CurrentPeriod.Start + Duration.FromTicks(1);
            var customer = await store.FindCustomerAsync(current.CustomerId, cancellationToken).ConfigureAwait(false);
            var closeRequest = request(closeAt) with { CustomerApproval = customer?.InvoiceApproval };
            var plan = await catalog.GetPlanAsync(current.PlanKey, current.PlanVersion, cancellationToken).ConfigureAwait(false);
            CheckNotRateCard(current, plan, closeRequest.NewPlan);
            var result = await store.ClosePeriodAsync(subscriptionId, current.CurrentPeriod.Start, plan, ctx => engine.DecideClose(ctx, closeRequest, now), cancellationToken).ConfigureAwait(false);
            if (result.Status == PeriodCloseStatus.Closed)
            {
                cache.Invalidate(current.CustomerId);
                return result;
            }
        }

        throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"Subscription '{subscriptionId}' kept changing while closing its period; try again.");
    }

    private async ValueTask<Subscription> UpdateAsync(string subscriptionId, BillingEventType? eventType, Func<Subscription, Subscription> change, CancellationToken cancellationToken)
    {
        await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; attempt < MaxOptimisticRetries; attempt++)
        {
            var current = await RequireAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            var updated = change(current) with { Revision = current.Revision + 1 };
            var now = clock.GetCurrentInstant();
            IReadOnlyList<BillingEvent> events = eventType is { } type ? [BillingEvent.Create(type, current.CustomerId, subscriptionId, now, SubscriptionEventPayload.Of(updated))] : [];
            if (await store.UpdateSubscriptionAsync(updated, events, cancellationToken).ConfigureAwait(false))
            {
                cache.Invalidate(current.CustomerId);
                return updated;
            }
        }

        throw new MeteringException(MeteringErrorCode.ConcurrencyConflict, $"Subscription '{subscriptionId}' kept changing concurrently; try again.");
    }

    private async ValueTask<Subscription> RequireAsync(string subscriptionId, CancellationToken cancellationToken) =>
        await store.FindSubscriptionAsync(InputChecks.Required(subscriptionId, "subscription id"), cancellationToken).ConfigureAwait(false)
        ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Subscription '{subscriptionId}' does not exist; check the id returned by SubscribeAsync.");

    private static void CheckStart(Instant start, Instant now, Duration maxBackdate)
    {
        if (start < now - maxBackdate)
        {
            throw new MeteringException($"The start {start} is more than {DurationText.Format(maxBackdate)} before now ({now}); every period since the start would be closed and invoiced. Start the subscription later, or raise MeteringOptions.MaxBackdatedStart (at most 10 years).");
        }

        if (start > now + MeteringOptions.MaxScheduleSpan)
        {
            throw new MeteringException($"The start {start} is more than 10 years after now ({now}); subscribe closer to the start date.");
        }
    }

    private static SubscriptionUsageAlert[] CheckUsageAlerts(Plan plan, IReadOnlyList<SubscriptionUsageAlert> alerts)
    {
        if (alerts.Count > MeteringLimits.MaxTiersPerCharge)
        {
            throw new MeteringException($"{alerts.Count} usage alerts were given; a subscription has at most {MeteringLimits.MaxTiersPerCharge}.");
        }

        foreach (var alert in alerts)
        {
            InputChecks.Required(alert.ChargeKey, "usage alert charge key");
            if (!plan.Charges.Any(c => c.Key == alert.ChargeKey))
            {
                throw new MeteringException($"Plan '{plan.Key}' v{plan.Version} has no charge '{alert.ChargeKey}'; alert on one of its charges: {string.Join(", ", plan.Charges.Select(c => c.Key))}.");
            }

            if (alert.Threshold <= 0m || alert.Threshold > MeteringLimits.MaxQuantity || !Enum.IsDefined(alert.Kind))
            {
                throw new MeteringException(string.Create(CultureInfo.InvariantCulture, $"The {alert.Kind} alert on charge '{alert.ChargeKey}' is at {alert.Threshold}; use a threshold above 0 and at most {MeteringLimits.MaxQuantity}."));
            }
        }

        return [.. alerts.Distinct().OrderBy(a => a.ChargeKey, StringComparer.Ordinal).ThenBy(a => a.Kind).ThenBy(a => a.Threshold)];
    }

    /// <summary>A plan change or an immediate cancel closes with an invoice: neither applies to a credit wallet, nor moves a subscription onto a rate card.</summary>
    private static void CheckNotRateCard(Subscription subscription, Plan plan, Plan? newPlan)
    {
        if (plan.IsCreditRateCard)
        {
            throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{subscription.SubscriptionId}' is a credit wallet on rate card '{plan.Key}'; it cannot change plan or be canceled now (that closes with an invoice). Cancel it with CancelAtPeriodEndAsync.");
        }

        if (newPlan is { IsCreditRateCard: true })
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Plan '{newPlan.Key}' is a credit rate card; a billing subscription cannot move onto it. Attach it with ICreditService.AttachRateCardAsync instead.");
        }
    }

    private static void CheckNotEnded(Subscription subscription)
    {
        if (subscription.EndedAt is not null)
        {
            throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{subscription.SubscriptionId}' ended at {subscription.EndedAt}; subscribe the customer again instead.");
        }
    }

    private static void CheckSeats(Plan plan, int seats, int assigned)
    {
        if (seats < 1)
        {
            throw new MeteringException($"Seats must be at least 1, but was {seats}.");
        }

        foreach (var feature in plan.Features)
        {
            if (feature.Key == Entitlements.SeatsFeature && feature.Limit is { } limit && seats > limit)
            {
                throw new MeteringException($"Plan '{plan.Key}' allows at most {limit} seats, but {seats} were requested; choose a plan with more seats.");
            }
        }

        if (seats < assigned)
        {
            throw new MeteringException(MeteringErrorCode.InvalidState, $"{assigned} seats are assigned, more than the {seats} requested; unassign seats first.");
        }
    }

    private static void CheckId(string id, string what)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 255)
        {
            throw new MeteringException($"A {what} must have 1 to 255 characters, but was '{(id is null || id.Length <= 255 ? id : id[..32] + "...")}'.");
        }

        TextRules.Check(id, what);
    }
}
