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
internal sealed record CloseRequest(CloseKind Kind, Instant At, Plan? NewPlan = null);

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

    /// <summary>Computes the invoice of <paramref name="period"/> covered until <paramref name="coveredTo"/>.</summary>
    public CalculatedInvoice Calculate(Subscription subscription, Plan plan, BillingPeriod period, Instant coveredTo, IReadOnlyList<StoredAggregate> aggregates, Money? creditsAvailable)
    {
        var usage = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var prepaid = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var charge in plan.Charges)
        {
            var key = AggregateKey.For(charge);
            var prepaidKey = AggregateKey.PrepaidFor(charge.Key);
            foreach (var aggregate in aggregates)
            {
                if (aggregate.Key == key)
                {
                    usage[charge.Key] = aggregate.Aggregate.Quantity;
                }
                else if (aggregate.Key == prepaidKey && aggregate.Aggregate.Value != 0m)
                {
                    prepaid[charge.Key] = aggregate.Aggregate.Value;
                }
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

        return _calculator.Calculate(new InvoiceInput(plan, period, usage)
        {
            CoveredFrom = coveredFrom,
            CoveredTo = end,
            Seats = subscription.Seats,
            InTrial = inTrial,
            CreditsAvailable = creditsAvailable,
            PrepaidByCharge = prepaid,
        });
    }

    /// <summary>Decides a close: the invoice, invoice-time credits, the next subscription state and the events.</summary>
    public PeriodCloseDecision DecideClose(PeriodCloseContext context, CloseRequest request, Instant now)
    {
        var subscription = context.Subscription;
        var plan = context.Plan;
        var period = subscription.CurrentPeriod;
        var closeAt = Min(request.At, period.End);
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
        bool manual = _options.InvoiceApproval == InvoiceApproval.Manual;
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
        // The invoice events carry no number yet: the store assigns it after this decision (StoreChangeRules.WithInvoiceNumber).
        var events = new List<BillingEvent> { InvoiceEvents.Create(BillingEventType.InvoiceCreated, invoice, now) };
        if (!manual)
        {
            events.Add(InvoiceEvents.Create(BillingEventType.InvoiceFinalized, invoice, now));
        }

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
                var schedule = BillingSchedule.FromStart(closeAt, subscription.Schedule.Zone, newPlan.Interval);
                return subscription with
                {
                    PlanKey = newPlan.Key,
                    PlanVersion = newPlan.Version,
                    Schedule = schedule,
                    CurrentPeriod = schedule.PeriodAt(0),
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
