using Metering.Storage;

namespace Metering;

/// <summary>
/// The credit note decision, once for every store: which invoices can be credited, how much (whole invoice, chosen
/// lines, or an amount), never past what is still creditable, and what the note does (a refund recorded, or a grant on
/// the customer's balance). Pure: each store runs it on the locked invoice (<see cref="IMeteringStore.IssueCreditNoteAsync"/>).
/// </summary>
internal static class CreditNoteRules
{
    /// <summary>The id of the grant a customer-balance note makes on the customer's ledger.</summary>
    public static string GrantIdOf(string creditNoteId) => "credit-note:" + creditNoteId;

    /// <summary>Decides the note <paramref name="request"/> asks for, with id <paramref name="creditNoteId"/>, issued at <paramref name="now"/>.</summary>
    /// <exception cref="InvalidInvoiceTransitionException">The invoice is not Finalized or Paid, or a refund is asked of an unpaid invoice.</exception>
    /// <exception cref="CreditNoteExceedsInvoiceException">The note would credit more than the invoice (or a line) still has creditable.</exception>
    /// <exception cref="MeteringException">The request is malformed (<see cref="MeteringErrorCode.InvalidArgument"/>): a bad line, currency or amount.</exception>
    public static CreditNoteDecision Decide(CreditNoteContext context, CreditNoteRequest request, string creditNoteId, Instant now)
    {
        var invoice = context.Invoice;
        if (context.Issued.FirstOrDefault(n => string.Equals(n.CreditNoteId, creditNoteId, StringComparison.Ordinal)) is { } existing)
        {
            return new CreditNoteDecision(invoice, existing, []) { AlreadyIssued = true };
        }

        if (invoice.Status is not (InvoiceStatus.Finalized or InvoiceStatus.Paid))
        {
            throw new InvalidInvoiceTransitionException(
                invoice.InvoiceId,
                invoice.Status,
                "credited",
                invoice.Status == InvoiceStatus.Draft ? "it is Finalized or Paid; approve the draft first (ApproveAsync), or void it and bill again" : "it is Finalized or Paid");
        }

        if (request.Outcome == CreditNoteOutcome.Refund && invoice.Status != InvoiceStatus.Paid)
        {
            throw new InvalidInvoiceTransitionException(
                invoice.InvoiceId,
                invoice.Status,
                "refunded",
                "it is Paid; credit an unpaid invoice to the customer's balance (CreditNoteOutcome.CustomerBalance), or mark it paid first");
        }

        var currency = invoice.Total.Currency;
        var creditable = invoice.CreditableAmount;
        var (amount, lines) = request.Lines is { Count: > 0 } chosen
            ? CreditLines(context, chosen)
            : request.Amount is { } plain
                ? (CheckAmount(plain, currency, invoice, "credit note amount"), [])
                : (creditable, Array.Empty<CreditNoteLine>());
        if (amount.Amount <= 0m)
        {
            // Only a whole-invoice note gets here (amounts and lines are positive): nothing is left to credit.
            throw new CreditNoteExceedsInvoiceException(invoice.InvoiceId, invoice.Number, invoice.Total, creditable);
        }

        if (amount.Amount > creditable.Amount)
        {
            throw new CreditNoteExceedsInvoiceException(invoice.InvoiceId, invoice.Number, amount, creditable);
        }

        var grantId = request.Outcome == CreditNoteOutcome.CustomerBalance ? GrantIdOf(creditNoteId) : null;
        var note = new CreditNote
        {
            CreditNoteId = creditNoteId,
            Number = 0,
            InvoiceId = invoice.InvoiceId,
            InvoiceNumber = invoice.Number,
            CustomerId = invoice.CustomerId,
            SubscriptionId = invoice.SubscriptionId,
            Amount = amount,
            Lines = lines,
            Reason = request.Reason,
            Memo = request.Memo,
            Outcome = request.Outcome,
            GrantId = grantId,
            CreatedAt = now,
        };
        var credited = invoice with { CreditedAmount = invoice.CreditedAmount + amount.Amount };
        var payload = new CreditNoteEventPayload(
            creditNoteId, 0, invoice.InvoiceId, invoice.Number, amount, request.Reason, request.Outcome, grantId,
            new Money(credited.CreditedAmount, currency), credited.CreditableAmount);
        var decision = new CreditNoteDecision(credited, note, [BillingEvent.Create(BillingEventType.CreditNoteIssued, invoice.CustomerId, creditNoteId, now, payload)]);
        if (grantId is null)
        {
            return decision;
        }

        return decision with
        {
            LedgerChange = ledger =>
            {
                var grant = new CreditGrant(grantId, invoice.CustomerId, amount, CreditCategory.Paid, now, name: $"Credit note on invoice {invoice.Number}");
                return new LedgerChange(
                    ledger.Grant(grant),
                    [BillingEvent.Create(BillingEventType.CreditsGranted, invoice.CustomerId, grantId, now, new CreditGrantEventPayload(grantId, amount))]);
            },
        };
    }

    // Each chosen line: its amount, or what it still has creditable, at most that; the sum is checked against the invoice by the caller.
    private static (Money Amount, CreditNoteLine[] Lines) CreditLines(CreditNoteContext context, IReadOnlyList<CreditNoteLineRequest> chosen)
    {
        var invoice = context.Invoice;
        var currency = invoice.Total.Currency;
        var invoiceLines = invoice.Content.Lines;
        var lines = new CreditNoteLine[chosen.Count];
        var total = 0m;
        for (int i = 0; i < lines.Length; i++)
        {
            var index = chosen[i].InvoiceLineIndex;
            if (index < 0 || index >= invoiceLines.Count || invoiceLines[index].Kind == InvoiceLineKind.Credit || invoiceLines[index].Amount.Amount <= 0m)
            {
                throw new MeteringException(
                    MeteringErrorCode.InvalidArgument,
                    $"Invoice {invoice.Number} ('{invoice.InvoiceId}') has no creditable line {index}; choose a base fee or usage line with a positive amount, by its position in Content.Lines (0 to {invoiceLines.Count - 1}).");
            }

            if (chosen.Take(i).Any(c => c.InvoiceLineIndex == index))
            {
                throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Line {index} of invoice {invoice.Number} is chosen twice in one credit note; name each line once with its whole amount.");
            }

            var line = invoiceLines[index];
            var alreadyCredited = context.Issued.SelectMany(n => n.Lines).Where(l => l.InvoiceLineIndex == index).Sum(l => l.Amount.Amount);
            var lineCreditable = new Money(line.Amount.Amount - alreadyCredited, currency);
            var amount = chosen[i].Amount is { } asked ? CheckAmount(asked, currency, invoice, $"amount for line {index}") : lineCreditable;
            if (amount.Amount <= 0m || amount.Amount > lineCreditable.Amount)
            {
                throw new CreditNoteExceedsInvoiceException(invoice.InvoiceId, invoice.Number, amount, lineCreditable, index, line.Description);
            }

            lines[i] = new CreditNoteLine(index, line.Description, amount);
            total += amount.Amount;
        }

        return (new Money(total, currency), lines);
    }

    private static Money CheckAmount(Money amount, Currency currency, Invoice invoice, string what)
    {
        if (amount.Currency != currency)
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"The {what} is in {amount.Currency}, but invoice {invoice.Number} ('{invoice.InvoiceId}') is in {currency}; credit it in {currency}.");
        }

        if (amount.Amount <= 0m || decimal.Round(amount.Amount, currency.MinorDigits) != amount.Amount)
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"The {what} {amount} must be positive and in whole minor units of {currency} ({currency.MinorDigits} decimals).");
        }

        return amount;
    }
}
