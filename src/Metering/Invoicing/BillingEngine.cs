using System.Globalization;
using Metering.Storage;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Why a period is being closed, and when.</summary>
internal enum CloseKind
{
    PeriodEnd,
    PlanChange,
    CancelNow,
}

/// <summary>A request to close a subscription's current period.</summary>
/// <param name="Kind">Why.</param>
/// <param name="At">The instant the service period ends (the period end, or the moment of the change).</param>
/// <param name="NewPlan">The plan to move to, for a plan change.</param>
/// <param name="Anchor">For a plan change: keep the billing anchor (the default) or reset it at the change.</param>
internal sealed record CloseRequest(CloseKind Kind, Instant At, Plan? NewPlan = null, PlanChangeAnchor Anchor = PlanChangeAnchor.Keep)
{
    /// <summary>The customer's own invoice approval (<see cref="Customer.InvoiceApproval"/>); null follows the global option.</summary>
    public InvoiceApproval? CustomerApproval { get; init; }
}

/// <summary>
/// The one place that turns a subscription period's aggregates into an invoice and decides the
/// subscription's next state. Pure apart from reading options; stores run <see cref="DecideClose"/> inside
/// their close transaction, and previews call <see cref="Calculate"/> on the live aggregates.
/// </summary>
internal sealed partial class BillingEngine(IOptions<MeteringOptions> options)
{
    private readonly MeteringOptions _options = options.Value;
    private readonly IReadOnlyDictionary<string, decimal> _thresholds = options.Value.LowCreditThresholdsSnapshot();
    private readonly InvoiceCalculator _calculator = new(new InvoiceCalculatorOptions { Rounding = options.Value.Rounding });

    /// <summary>
    /// Computes the invoice of <paramref name="period"/> covered until <paramref name="coveredTo"/>. A grouped charge
    /// (<see cref="Charge.GroupBy"/>) reads one aggregate per group and is billed one line per group.
    /// </summary>
    public CalculatedInvoice Calculate(Subscription subscription, Plan plan, BillingPeriod period, Instant coveredTo, IReadOnlyList<StoredAggregate> aggregates, Money? creditsAvailable)
    {
        var usage = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var prepaid = new Dictionary<string, decimal>(StringComparer.Ordinal);
        Dictionary<string, IReadOnlyList<ChargeGroupUsage>>? byGroup = null;
        for (int c = 0; c < plan.Charges.Count; c++)
        {
            var charge = plan.Charges[c];
            bool grouped = charge.GroupBy.Count > 0;
            var key = grouped ? default : AggregateKey.For(charge);
            var prepaidKey = AggregateKey.PrepaidFor(charge.Key);
            List<ChargeGroupUsage>? groups = null;
            for (int i = 0; i < aggregates.Count; i++)
            {
                var aggregate = aggregates[i];
                if (grouped && IsGroupOf(aggregate.Key, charge))
                {
                    (groups ??= []).Add(new ChargeGroupUsage(aggregate.Key.GroupValues, aggregate.Aggregate.Quantity));
                }
                else if (!grouped && aggregate.Key == key)
                {
                    usage[charge.Key] = aggregate.Aggregate.Quantity;
                }
                else if (aggregate.Key == prepaidKey && aggregate.Aggregate.Value != 0m)
                {
                    prepaid[charge.Key] = aggregate.Aggregate.Value;
                }
            }

            if (groups is not null)
            {
                (byGroup ??= new(StringComparer.Ordinal))[charge.Key] = groups;
            }
        }

        var coveredFrom = Max(period.Start, subscription.StartedAt);
        var end = Min(coveredTo, period.End);
        bool inTrial = false;
        if (subscription.TrialEndsAt is { } trialEnd && trialEnd > coveredFrom)
        {
            inTrial = trialEnd >= end;
            coveredFrom = inTrial ? coveredFrom : trialEnd;
        }

        // Contract terms in effect at the end of the invoiced range price it (ContractTerms.AppliesTo).
        var terms = subscription.Contract is { } contract && contract.AppliesTo(end) ? contract : null;

        // A partial period (from a plan change that kept the anchor) is prorated against its full schedule period.
        return _calculator.Calculate(new InvoiceInput(plan, NominalPeriodOf(subscription, period), usage)
        {
            Contract = terms,
            ContractFees = terms?.FeesDue(subscription.Schedule.Zone, period.Start, end),
            CoveredFrom = coveredFrom,
            CoveredTo = end,
            Seats = subscription.Seats,
            SeatChanges = subscription.SeatChanges,
            InTrial = inTrial,
            CreditsAvailable = creditsAvailable,
            PrepaidByCharge = prepaid,
            UsageByGroup = byGroup,
        });
    }

    /// <summary>True when <paramref name="key"/> is the aggregate of one group of the grouped charge <paramref name="charge"/>.</summary>
    internal static bool IsGroupOf(AggregateKey key, Charge charge) =>
        key.Kind == AggregateKeyKind.GroupedCharge
        && string.Equals(key.ChargeKey, charge.Key, StringComparison.Ordinal)
        && string.Equals(key.MeterKey, charge.MeterKey, StringComparison.Ordinal)
        && key.GroupValues.Count == charge.GroupBy.Count;

    /// <summary>True when a new invoice of a customer whose own approval is <paramref name="customerApproval"/> is held as a draft.</summary>
    internal bool IsManual(InvoiceApproval? customerApproval) => (customerApproval ?? _options.InvoiceApproval) == InvoiceApproval.Manual;

    /// <summary>Decides a close: the invoice, invoice-time credits, the next subscription state and the events.</summary>
    public PeriodCloseDecision DecideClose(PeriodCloseContext context, CloseRequest request, Instant now)
    {
        var subscription = context.Subscription;
        var plan = context.Plan;
        var period = subscription.CurrentPeriod;
        var closeAt = Min(request.At, period.End);
        if (plan.IsCreditRateCard)
        {
            return DecideRateCardClose(subscription, request, period, closeAt, now);
        }

        var invoiceId = InvoiceIdFor(subscription.SubscriptionId, period.Start);

        var credits = CreditsAvailable(context.Ledger, plan.Currency, closeAt);
        var content = Calculate(subscription, plan, period, closeAt, context.Aggregates, credits);
        // CreditsApplied also holds the credits burned in real time (charge-level credit lines), which were
        // consumed from the ledger when the usage was recorded; only the invoice-time line is consumed here.
        var invoiceTimeCredits = InvoiceTimeCredits(content);

        CreditLedger? ledgerAfter = null;
        if (invoiceTimeCredits > 0m)
        {
            (ledgerAfter, _) = context.Ledger.Consume(new Money(invoiceTimeCredits, plan.Currency), closeAt, invoiceId: invoiceId, description: "Applied to invoice");
        }

        var servicePeriod = closeAt < period.End ? new BillingPeriod(period.Index, period.Start, closeAt) : period;
        bool manual = IsManual(request.CustomerApproval);
        var reason = request.Kind switch
        {
            CloseKind.PlanChange => InvoiceReason.PlanChange,
            CloseKind.CancelNow => InvoiceReason.Cancellation,
            _ => InvoiceReason.PeriodEnd,
        };
        var invoice = new Invoice
        {
            InvoiceId = invoiceId,
            Number = 0,
            SubscriptionId = subscription.SubscriptionId,
            CustomerId = subscription.CustomerId,
            PlanKey = plan.Key,
            PlanVersion = plan.Version,
            Period = servicePeriod,
            Reason = reason,
            Status = manual ? InvoiceStatus.Draft : InvoiceStatus.Finalized,
            Content = content,
            CreatedAt = now,
            FinalizedAt = manual ? null : now,
        };

        var next = NextState(subscription, request, period, closeAt);
        if (subscription.SeatChanges.Count > 0)
        {
            // The seat history is the closed period's; a change made after the close instant belongs to the next one.
            next = next with { SeatChanges = [.. subscription.SeatChanges.Where(c => c.At > closeAt)] };
        }

        // The invoice events carry no number yet: the store assigns it after this decision (StoreChangeRules.WithInvoiceNumber).
        var events = new List<BillingEvent>(InvoiceEvents.Issued(invoice, now));

        var subscriptionEvent = next.EndedAt is not null ? BillingEventType.SubscriptionCanceled
            : request.Kind == CloseKind.PlanChange ? BillingEventType.SubscriptionPlanChanged
            : BillingEventType.SubscriptionRenewed;
        events.Add(BillingEvent.Create(subscriptionEvent, subscription.CustomerId, subscription.SubscriptionId, now, SubscriptionEventPayload.Of(next)));

        if (ledgerAfter is not null)
        {
            events.AddRange(CreditAlerts.Crossings(context.Ledger, ledgerAfter, _thresholds, closeAt));
        }

        return new PeriodCloseDecision(next, invoice, ledgerAfter, events);
    }

    /// <summary>
    /// The close of a credit rate card's period (a credit wallet): the usage was paid for in credits as it was recorded,
    /// so there is no invoice, no invoice number and no invoice-time credit; the period just moves on. No
    /// SubscriptionRenewed event is written for a period end (it would be noise for a wallet); the end of a wallet
    /// (canceled at period end) still writes SubscriptionCanceled.
    /// </summary>
    private static PeriodCloseDecision DecideRateCardClose(Subscription subscription, CloseRequest request, BillingPeriod period, Instant closeAt, Instant now)
    {
        if (request.Kind != CloseKind.PeriodEnd)
        {
            throw new MeteringException(MeteringErrorCode.InvalidState, $"Subscription '{subscription.SubscriptionId}' is a credit wallet on rate card '{subscription.PlanKey}'; it has no invoice to close it with. Cancel it with CancelAtPeriodEndAsync instead of changing its plan or canceling it now.");
        }

        var next = NextState(subscription, request, period, closeAt);
        IReadOnlyList<BillingEvent> events = next.EndedAt is not null
            ? [BillingEvent.Create(BillingEventType.SubscriptionCanceled, subscription.CustomerId, subscription.SubscriptionId, now, SubscriptionEventPayload.Of(next))]
            : [];
        return new PeriodCloseDecision(next, null, null, events);
    }

    // The credits an invoice applies at invoice time: its credit line without a charge (charge-level credit lines were
    // burned in real time, when the usage was recorded).
    private static decimal InvoiceTimeCredits(CalculatedInvoice content)
    {
        var invoiceTimeCredits = 0m;
        foreach (var line in content.Lines)
        {
            if (line.Kind == InvoiceLineKind.Credit && line.ChargeKey is null)
            {
                invoiceTimeCredits -= line.Amount.Amount;
            }
        }

        return invoiceTimeCredits;
    }

    private static Subscription NextState(Subscription subscription, CloseRequest request, BillingPeriod period, Instant closeAt)
    {
        switch (request.Kind)
        {
            case CloseKind.PlanChange:
                var newPlan = request.NewPlan ?? throw new InvalidOperationException("A plan change needs the new plan.");
                var (schedule, current) = PlanChangeSchedule(subscription.Schedule, newPlan.Interval, closeAt, request.Anchor);
                return subscription with
                {
                    PlanKey = newPlan.Key,
                    PlanVersion = newPlan.Version,
                    Schedule = schedule,
                    CurrentPeriod = current,
                    Revision = subscription.Revision + 1,
                };

            case CloseKind.CancelNow:
                return subscription with { EndedAt = closeAt, CancelAt = closeAt, Revision = subscription.Revision + 1 };

            default:
                if (subscription.CancelAt is { } cancelAt && cancelAt <= period.End)
                {
                    return subscription with { EndedAt = cancelAt, Revision = subscription.Revision + 1 };
                }

                return subscription with
                {
                    CurrentPeriod = subscription.Schedule.PeriodAfter(period),
                    Revision = subscription.Revision + 1,
                };
        }
    }

    /// <summary>
    /// The schedule and first period after a plan change at <paramref name="changeAt"/>. Keep: the same anchor (with the
    /// new plan's interval), and the partial period from the change to the first schedule start after it, indexed like
    /// the schedule period it is part of (so the next period is the schedule's next). Reset: a schedule anchored at the change.
    /// </summary>
    internal static (BillingSchedule Schedule, BillingPeriod Period) PlanChangeSchedule(BillingSchedule old, BillingInterval interval, Instant changeAt, PlanChangeAnchor anchor)
    {
        if (anchor == PlanChangeAnchor.Reset)
        {
            var reset = BillingSchedule.FromStart(changeAt, old.Zone, interval);
            return (reset, reset.PeriodAt(0));
        }

        var kept = interval == old.Interval ? old : new BillingSchedule(old.Anchor, old.Zone, interval);
        var containing = kept.PeriodContaining(changeAt);
        return (kept, new BillingPeriod(containing.Index, changeAt, containing.End));
    }

    /// <summary>
    /// The full schedule period <paramref name="period"/> is part of: itself, or for the partial period a plan change
    /// that kept the anchor started, the schedule period that ends with it (its base fee is prorated against that).
    /// </summary>
    internal static BillingPeriod NominalPeriodOf(Subscription subscription, BillingPeriod period)
    {
        var schedule = subscription.Schedule;
        if (schedule.StartOf(period.Index) == period.Start)
        {
            return period; // A period of the schedule: the usual case, one lookup.
        }

        if (period.Start > schedule.StartOf(0))
        {
            var containing = schedule.PeriodContaining(period.Start);
            if (containing.Start < period.Start && containing.End == period.End)
            {
                return containing;
            }
        }

        return period;
    }

    /// <summary>Credits in the plan's currency that could be applied at <paramref name="at"/>.</summary>
    public static Money? CreditsAvailable(CreditLedger ledger, Currency currency, Instant at)
    {
        foreach (var balance in ledger.BalancesAt(at))
        {
            if (balance.Unit == currency && balance.Remaining > 0m)
            {
                return new Money(balance.Remaining, currency);
            }
        }

        return null;
    }

    public static string InvoiceIdFor(string subscriptionId, Instant periodStart) =>
        string.Create(CultureInfo.InvariantCulture, $"in_{subscriptionId}_{periodStart.ToUnixTimeTicks()}");

    private static Instant Max(Instant a, Instant b) => a > b ? a : b;

    private static Instant Min(Instant a, Instant b) => a < b ? a : b;
}
