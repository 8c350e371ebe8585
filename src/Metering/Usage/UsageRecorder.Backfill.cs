using Metering.Storage;

namespace Metering;

// Backfill (issue #16): usage recorded into closed periods, the difference billed as adjustment invoices.
internal sealed partial class UsageRecorder
{
    public async ValueTask<BackfillResult> BackfillAsync(IReadOnlyList<UsageRecord> records, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        InputChecks.Required(reason, "backfill reason");
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, "A backfill needs a reason (it is kept on the adjustment invoices); say why the usage is recorded late, e.g. \"usage export from region X arrived after the close\".");
        }
        var check = new BackfillCheck(store);
        var outcomes = await AppendBatchAsync(records, check, cancellationToken).ConfigureAwait(false);

        // Every period a record of this call is counted in is settled, duplicates too: a retry after a crash between the
        // append and the adjustment bills what the first call stored.
        var periods = outcomes
            .Where(o => o.IsCounted)
            .Select(o => (SubscriptionId: o.SubscriptionId!, PeriodStart: o.PeriodStart!.Value))
            .Distinct()
            .OrderBy(p => p.SubscriptionId, StringComparer.Ordinal)
            .ThenBy(p => p.PeriodStart)
            .ToArray();
        var settled = new List<BackfillPeriod>(periods.Length);
        var approvals = new Dictionary<string, InvoiceApproval?>(StringComparer.Ordinal);
        foreach (var (subscriptionId, periodStart) in periods)
        {
            var live = await check.LiveInvoiceAsync(subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
            if (live is null)
            {
                continue;
            }

            var plan = await catalog.GetPlanAsync(live.PlanKey, live.PlanVersion, cancellationToken).ConfigureAwait(false);
            if (!approvals.TryGetValue(live.CustomerId, out var approval))
            {
                approval = approvals[live.CustomerId] = (await store.FindCustomerAsync(live.CustomerId, cancellationToken).ConfigureAwait(false))?.InvoiceApproval;
            }

            PeriodAdjustmentDecision? decided = null;
            var adjustment = await store.AdjustPeriodAsync(
                subscriptionId,
                periodStart,
                context => decided = engine.DecideAdjustment(context, plan, reason, clock.GetCurrentInstant(), approval),
                cancellationToken).ConfigureAwait(false);
            if (decided is not null)
            {
                var notes = new List<CreditNote>(decided.CreditNotes.Count);
                foreach (var note in decided.CreditNotes)
                {
                    notes.Add(await store.FindCreditNoteAsync(note.CreditNote.CreditNoteId, cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"Credit note '{note.CreditNote.CreditNoteId}' of the adjustment of subscription '{subscriptionId}' period {periodStart} was not stored."));
                }

                settled.Add(new BackfillPeriod(subscriptionId, periodStart, decided.Difference, adjustment) { CreditNotes = notes });
            }
        }

        return new BackfillResult(outcomes, settled);
    }

    /// <summary>
    /// The recorder-side checks of a backfilled record, after it was attributed: a plan that burns credits in real time
    /// cannot be backfilled, and the record must be priced on the plan version its period's invoice was billed on.
    /// The store then checks that the period is closed (<see cref="UsageAttribution.CheckStored(UsageRecord, string, string, int, Subscription?, bool)"/>).
    /// </summary>
    private sealed class BackfillCheck(IMeteringStore store)
    {
        private readonly Dictionary<(string, Instant), Invoice?> _live = [];

        public async ValueTask<UsageOutcome?> CheckAsync(PreparedUsage item, CancellationToken cancellationToken)
        {
            if (item.BurnsCredits)
            {
                return UsageOutcome.Rejected(
                    new UsageRejection(UsageRejectionReason.InvalidRecord, $"Plan '{item.Plan.Key}' v{item.Plan.Version} burns credits in real time; such usage cannot be backfilled. Correct the period with a credit note or VoidAndRegenerateAsync instead."),
                    item.SubscriptionId);
            }

            var live = await LiveInvoiceAsync(item.SubscriptionId, item.PeriodStart, cancellationToken).ConfigureAwait(false);
            if (live is not null && (!string.Equals(live.PlanKey, item.Plan.Key, StringComparison.Ordinal) || live.PlanVersion != item.Plan.Version))
            {
                return UsageOutcome.Rejected(
                    new UsageRejection(UsageRejectionReason.InvalidRecord, $"The period starting {item.PeriodStart} of subscription '{item.SubscriptionId}' was billed on plan '{live.PlanKey}' v{live.PlanVersion}, and the subscription is now on '{item.Plan.Key}' v{item.Plan.Version}; usage cannot be backfilled across a plan change. Correct that period with a credit note or VoidAndRegenerateAsync instead."),
                    item.SubscriptionId);
            }

            return null;
        }

        public async ValueTask<Invoice?> LiveInvoiceAsync(string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
        {
            if (!_live.TryGetValue((subscriptionId, periodStart), out var live))
            {
                live = await LiveInvoices.FindAsync(store, subscriptionId, periodStart, cancellationToken).ConfigureAwait(false);
                _live[(subscriptionId, periodStart)] = live;
            }

            return live;
        }
    }
}
