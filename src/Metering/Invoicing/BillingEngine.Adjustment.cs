using System.Globalization;
using Metering.Storage;

namespace Metering;

// Backfill (issue #16): the adjustment decision every store runs under the subscription's lock.
internal sealed partial class BillingEngine
{
    /// <summary>The id of the <paramref name="n"/>-th adjustment invoice of a period: the close's id with <c>_a{n}</c>.</summary>
    public static string AdjustmentIdFor(string subscriptionId, Instant periodStart, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{InvoiceIdFor(subscriptionId, periodStart)}_a{n}");

    /// <summary>
    /// Decides the adjustment of a closed period after usage was backfilled into it: the usage lines of the period's
    /// corrected invoice (its aggregates as they are now, priced on <paramref name="plan"/>, the version its live invoice
    /// was billed on, over the live invoice's service period) minus the usage lines its invoices that are not void bill
    /// already (the live invoice and earlier adjustments), charge by charge and group by group. A positive difference is
    /// billed by a new <see cref="InvoiceReason.Adjustment"/> invoice (id <c>{periodInvoiceId}_a{n}</c>) that names the
    /// live invoice, with one line per charge that changed (and, under a contract, the change of its discount and of its
    /// minimum-commitment true-up, which shrinks as usage grows), no credits applied, status per
    /// the customer's approval (<paramref name="customerApproval"/>, else <see cref="MeteringOptions.InvoiceApproval"/>) and <paramref name="reason"/> as its <see cref="Invoice.AdjustmentReason"/>; zero bills nothing. A negative
    /// difference is credited by <see cref="CreditNoteReason.Backfill"/> credit notes (<see cref="CreditBackfill"/>), which
    /// later adjustments count as billing taken back. Base fees do not depend on usage and are never adjusted.
    /// </summary>
    /// <exception cref="InvalidOperationException">The period has no invoice, or its live invoice was billed on another plan version.</exception>
    public PeriodAdjustmentDecision DecideAdjustment(PeriodAdjustmentContext context, Plan plan, string reason, Instant now, InvoiceApproval? customerApproval = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        var live = context.Invoices.LastOrDefault(i => i.Reason != InvoiceReason.Adjustment && i.ReplacedByInvoiceId is null)
            ?? throw new InvalidOperationException($"Period {context.PeriodStart} of subscription '{context.Subscription.SubscriptionId}' has no invoice to adjust.");
        if (!string.Equals(plan.Key, live.PlanKey, StringComparison.Ordinal) || plan.Version != live.PlanVersion)
        {
            throw new InvalidOperationException($"Invoice '{live.InvoiceId}' was billed on plan '{live.PlanKey}' v{live.PlanVersion}, not '{plan.Key}' v{plan.Version}.");
        }

        var corrected = Calculate(context.Subscription, plan, live.Content.Period, live.Period.End, context.Aggregates, null);
        var billed = new Dictionary<string, (InvoiceLine Line, decimal Quantity, decimal Exact, decimal Amount)>(StringComparer.Ordinal);
        foreach (var invoice in context.Invoices)
        {
            if (invoice.Status == InvoiceStatus.Void)
            {
                continue;
            }

            foreach (var line in invoice.Content.Lines)
            {
                if (DependsOnUsage(line))
                {
                    var key = LineKey(line);
                    var sum = billed.GetValueOrDefault(key, (line, 0m, 0m, 0m));
                    billed[key] = (sum.Item1, sum.Item2 + line.Quantity, sum.Item3 + line.ExactAmount, sum.Item4 + line.Amount.Amount);
                }
            }

            // What earlier backfills credited back on this invoice's lines is billed no more (other notes are not about usage).
            foreach (var noteLine in context.CreditNotes
                .Where(n => n.Reason == CreditNoteReason.Backfill && string.Equals(n.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal))
                .SelectMany(n => n.Lines))
            {
                var line = invoice.Content.Lines[noteLine.InvoiceLineIndex];
                var key = LineKey(line);
                var sum = billed.GetValueOrDefault(key, (line, 0m, 0m, 0m));
                billed[key] = (sum.Item1, sum.Item2, sum.Item3 - noteLine.Amount.Amount, sum.Item4 - noteLine.Amount.Amount);
            }
        }

        var lines = new List<InvoiceLine>();
        var changes = new List<(string Key, decimal Amount)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in corrected.Lines)
        {
            if (!DependsOnUsage(line))
            {
                continue;
            }

            var key = LineKey(line);
            seen.Add(key);
            var was = billed.TryGetValue(key, out var sum) ? sum : (line, 0m, 0m, 0m);
            AddDifference(lines, line, line.Quantity - was.Item2, line.ExactAmount - was.Item3, line.Amount.Amount - was.Item4, plan.Currency);
            changes.Add((key, line.Amount.Amount - was.Item4));
        }

        foreach (var (key, sum) in billed)
        {
            if (!seen.Contains(key))
            {
                AddDifference(lines, sum.Line, -sum.Quantity, -sum.Exact, -sum.Amount, plan.Currency);
                changes.Add((key, -sum.Amount));
            }
        }

        var difference = new Money(lines.Sum(l => l.Amount.Amount), plan.Currency);
        if (difference.Amount < 0m)
        {
            return new PeriodAdjustmentDecision(null, difference, []) { CreditNotes = CreditBackfill(context, changes, -difference.Amount, reason, now) };
        }

        if (difference.Amount == 0m)
        {
            return new PeriodAdjustmentDecision(null, difference, []);
        }

        int n = context.Invoices.Count(i => i.Reason == InvoiceReason.Adjustment) + 1;
        bool manual = IsManual(customerApproval);
        var zero = new Money(0m, plan.Currency);
        var adjustment = new Invoice
        {
            InvoiceId = AdjustmentIdFor(live.SubscriptionId, context.PeriodStart, n),
            Number = 0,
            SubscriptionId = live.SubscriptionId,
            CustomerId = live.CustomerId,
            PlanKey = live.PlanKey,
            PlanVersion = live.PlanVersion,
            Period = live.Period,
            Reason = InvoiceReason.Adjustment,
            Status = manual ? InvoiceStatus.Draft : InvoiceStatus.Finalized,
            Content = new CalculatedInvoice(plan.Key, plan.Version, plan.Currency, live.Content.Period, lines, difference, zero, difference),
            CreatedAt = now,
            FinalizedAt = manual ? null : now,
            AdjustsInvoiceId = live.InvoiceId,
            AdjustmentReason = reason,
        };
        return new PeriodAdjustmentDecision(adjustment, difference, [.. InvoiceEvents.Issued(adjustment, now)]);
    }

    /// <summary>The id of the <paramref name="n"/>-th backfill credit note of a period: the close's invoice id with <c>_cn{n}</c>.</summary>
    public static string AdjustmentCreditNoteIdFor(string subscriptionId, Instant periodStart, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{InvoiceIdFor(subscriptionId, periodStart)}_cn{n}");

    /// <summary>
    /// Credits <paramref name="amount"/> (what the period's invoices bill above its corrected usage) back on the lines whose
    /// price fell (<paramref name="changes"/>, by line key): on the latest Finalized or Paid invoices of the period first,
    /// never more than a line or an invoice still has creditable (so a Draft is not credited: regenerate it instead), one
    /// <see cref="CreditNoteReason.Backfill"/> note per invoice credited to the customer's balance, decided by
    /// <see cref="CreditNoteRules.Decide"/> as <see cref="IInvoiceService.IssueCreditNoteAsync"/> would, with the backfill
    /// <paramref name="reason"/> as memo.
    /// </summary>
    private static CreditNoteDecision[] CreditBackfill(PeriodAdjustmentContext context, List<(string Key, decimal Amount)> changes, decimal amount, string reason, Instant now)
    {
        var creditable = context.Invoices
            .Where(i => i.Status is InvoiceStatus.Finalized or InvoiceStatus.Paid)
            .OrderByDescending(i => i.Number)
            .ToArray();
        var invoiceLeft = creditable.ToDictionary(i => i.InvoiceId, i => i.CreditableAmount.Amount, StringComparer.Ordinal);
        var requested = creditable.ToDictionary(i => i.InvoiceId, _ => new List<CreditNoteLineRequest>(), StringComparer.Ordinal);
        var left = amount;
        foreach (var (key, change) in changes)
        {
            var wanted = Math.Min(-change, left);
            foreach (var invoice in creditable)
            {
                var invoiceLines = invoice.Content.Lines;
                for (int index = 0; index < invoiceLines.Count && wanted > 0m; index++)
                {
                    var line = invoiceLines[index];
                    if (!DependsOnUsage(line) || line.Amount.Amount <= 0m || !string.Equals(LineKey(line), key, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var lineCredited = context.CreditNotes
                        .Where(n => string.Equals(n.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal))
                        .SelectMany(n => n.Lines)
                        .Where(l => l.InvoiceLineIndex == index)
                        .Sum(l => l.Amount.Amount);
                    var take = Math.Min(Math.Min(wanted, line.Amount.Amount - lineCredited), invoiceLeft[invoice.InvoiceId]);
                    if (take > 0m)
                    {
                        requested[invoice.InvoiceId].Add(new CreditNoteLineRequest(index, new Money(take, line.Amount.Currency)));
                        invoiceLeft[invoice.InvoiceId] -= take;
                        wanted -= take;
                        left -= take;
                    }
                }
            }
        }

        var n = context.CreditNotes.Count(note => note.Reason == CreditNoteReason.Backfill);
        var notes = new List<CreditNoteDecision>();
        foreach (var invoice in creditable)
        {
            if (requested[invoice.InvoiceId] is not { Count: > 0 } noteLines)
            {
                continue;
            }

            var id = AdjustmentCreditNoteIdFor(context.Subscription.SubscriptionId, context.PeriodStart, ++n);
            var request = new CreditNoteRequest
            {
                InvoiceId = invoice.InvoiceId,
                Outcome = CreditNoteOutcome.CustomerBalance,
                Reason = CreditNoteReason.Backfill,
                Memo = reason,
                Lines = noteLines,
                CreditNoteId = id,
            };
            var issued = context.CreditNotes.Where(note => string.Equals(note.InvoiceId, invoice.InvoiceId, StringComparison.Ordinal)).ToArray();
            notes.Add(CreditNoteRules.Decide(new CreditNoteContext(invoice, issued), request, id, now));
        }

        return [.. notes];
    }

    private static void AddDifference(List<InvoiceLine> lines, InvoiceLine line, decimal quantity, decimal exact, decimal amount, Currency currency)
    {
        if (quantity == 0m && amount == 0m)
        {
            return;
        }

        lines.Add(new InvoiceLine(line.Kind, $"Adjustment: {line.Description}", line.ChargeKey, line.MeterKey, quantity, line.Tiers.Count == 0 ? line.UnitPrice : null, [], exact, new Money(amount, currency), null)
        {
            Group = line.Group,
        });
    }

    // The lines whose amount follows the period's usage: usage lines, and under a contract its discount and its
    // minimum-commitment true-up (which shrinks as usage grows). Base fees and contract fees do not.
    private static bool DependsOnUsage(InvoiceLine line) =>
        line.Kind is InvoiceLineKind.Usage or InvoiceLineKind.Discount or InvoiceLineKind.MinimumCommitment;

    // A line's identity across a period's invoices: a usage line's charge and, for a grouped charge, its group; a
    // discount or true-up line by its kind.
    private static string LineKey(InvoiceLine line) =>
        line.Kind != InvoiceLineKind.Usage ? "\u0003" + line.Kind
        : line.Group is null
            ? line.ChargeKey ?? string.Empty
            : string.Concat(line.ChargeKey, "\u0000", string.Join("\u0000", line.Group.Select(p => $"{p.Key}\u0001{p.Value ?? "\u0002"}")));
}
