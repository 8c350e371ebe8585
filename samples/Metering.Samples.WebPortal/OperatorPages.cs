using System.Globalization;
using System.Text;

namespace Metering.Samples.WebPortal;

/// <summary>The operator's page (draft invoices to approve or void) and the outbox of emails.</summary>
internal static class OperatorPages
{
    public static async Task<IResult> RenderDraftsAsync(HttpContext context, ISubscriptionService subscriptions, IInvoiceService invoices, CancellationToken cancellationToken)
    {
        var html = new StringBuilder("<section><h2>Draft invoices awaiting review</h2><table data-testid=\"drafts\"><tr><th>Customer</th><th>Invoice</th><th>Period</th><th class=\"num\">Total</th><th></th></tr>");
        int drafts = 0;
        await foreach (var invoice in invoices.ListAllByStatusAsync(InvoiceStatus.Draft, cancellationToken))
        {
            drafts++;
            var customer = await subscriptions.GetCustomerAsync(invoice.CustomerId, cancellationToken);
            var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(customer?.TimeZoneId ?? "UTC") ?? DateTimeZone.Utc;
            var path = "/operator/invoices/" + Uri.EscapeDataString(invoice.InvoiceId);
            html.Append(CultureInfo.InvariantCulture, $"<tr data-testid=\"draft-{Html.E(invoice.InvoiceId)}\"><td>{Html.E(customer?.Name ?? invoice.CustomerId)}</td><td>#{invoice.Number}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Html.E(Html.Period(invoice.Period, zone))}</td><td class=\"num\">{Html.E(Html.Money(invoice.Total))}</td><td>")
                .Append(Html.Button(context, path + "/approve", "Approve", "approve-" + invoice.InvoiceId)).Append(' ')
                .Append(Html.Button(context, path + "/void", "Void", "void-" + invoice.InvoiceId))
                .Append("</td></tr>");
        }

        html.Append("</table>");
        if (drafts == 0)
        {
            html.Append("<p data-testid=\"no-drafts\">Nothing to review.</p>");
        }

        return Html.Page("Operator", html.Append("</section>").ToString(), context);
    }

    public static async Task<IResult> ApproveAsync(string invoiceId, IInvoiceService invoices, CancellationToken cancellationToken)
    {
        try
        {
            var invoice = await invoices.ApproveAsync(invoiceId, cancellationToken);
            return Html.Redirect("/operator", notice: $"Invoice #{invoice.Number} approved: {Html.Money(invoice.Total)}.");
        }
        catch (MeteringException e)
        {
            return Html.Redirect("/operator", error: e.Message);
        }
    }

    public static async Task<IResult> VoidAsync(string invoiceId, IInvoiceService invoices, CancellationToken cancellationToken)
    {
        try
        {
            var invoice = await invoices.VoidAsync(invoiceId, cancellationToken);
            return Html.Redirect("/operator", notice: $"Invoice #{invoice.Number} voided.");
        }
        catch (MeteringException e)
        {
            return Html.Redirect("/operator", error: e.Message);
        }
    }

    public static IResult RenderOutbox(HttpContext context, EmailOutbox outbox)
    {
        var html = new StringBuilder("<section><h2>Emails sent from billing events</h2><table data-testid=\"emails\"><tr><th>To</th><th>Subject</th><th>Event</th></tr>");
        foreach (var email in outbox.Sent)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html.E(email.To)}</td><td>{Html.E(email.Subject)}</td><td>{Html.E(email.EventId)}</td></tr>");
        }

        return Html.Page("Outbox", html.Append("</table></section>").ToString(), context);
    }
}
