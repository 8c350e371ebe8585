using System.Globalization;
using System.Text;

namespace Metering.Samples.WebPortal;

/// <summary>The customer's portal page: period, running bill, usage per meter with a daily chart, invoices, credits.</summary>
internal static class CustomerPage
{
    private const int LedgerPageSize = 5;

    /// <summary>The customer's subscription that has not ended, if any.</summary>
    public static async Task<Subscription?> ActiveSubscriptionAsync(ISubscriptionService subscriptions, string customerId, CancellationToken cancellationToken) =>
        (await subscriptions.ListAsync(customerId, cancellationToken)).FirstOrDefault(s => s.EndedAt is null);

    public static async Task<IResult> RenderAsync(
        string customerId, string? ledger, HttpContext context, ISubscriptionService subscriptions, IUsageQuery usage,
        IInvoiceService invoices, ICreditService credits, CancellationToken cancellationToken)
    {
        var customer = await subscriptions.GetCustomerAsync(customerId, cancellationToken);
        if (customer is null)
        {
            return Results.NotFound();
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(customer.TimeZoneId ?? "UTC") ?? DateTimeZone.Utc;
        var body = new StringBuilder();
        var subscription = await ActiveSubscriptionAsync(subscriptions, customerId, cancellationToken);
        if (subscription is null)
        {
            body.Append("<section data-testid=\"no-subscription\">No active subscription.</section>");
        }
        else
        {
            var current = await usage.GetCurrentAsync(subscription.SubscriptionId, cancellationToken);
            var daily = await usage.GetDailyUsageAsync(subscription.SubscriptionId, cancellationToken: cancellationToken);
            body.Append(Subscription(context, subscription, current, zone));
            body.Append(CultureInfo.InvariantCulture, $"<section><h2>Running bill</h2>{Html.Lines(current.Estimate, "running-bill")}</section>");
            body.Append(Usage(current, daily));
        }

        body.Append(await InvoicesAsync(invoices, customerId, zone, cancellationToken));
        body.Append(await CreditsAsync(credits, customerId, ledger, zone, cancellationToken));
        return Html.Page(customer.Name ?? customerId, body.ToString(), context);
    }

    private static string PlanName(string planKey) =>
        PortalCatalog.Plans.FirstOrDefault(p => p.Key == planKey)?.DisplayName ?? planKey;

    private static string Subscription(HttpContext context, Subscription subscription, CurrentUsage current, DateTimeZone zone)
    {
        var path = "/customers/" + Uri.EscapeDataString(subscription.CustomerId);
        var html = new StringBuilder("<section><h2>Subscription</h2>")
            .Append(CultureInfo.InvariantCulture, $"<p>Plan <strong data-testid=\"plan\">{Html.E(PlanName(subscription.PlanKey))}</strong>, ")
            .Append(CultureInfo.InvariantCulture, $"current period <span data-testid=\"period\">{Html.E(Html.Period(current.Period, zone))}</span> ({Html.E(zone.Id)}).</p>");
        if (subscription.CancelAt is { } cancelAt)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p data-testid=\"cancel-at\">Ends on {Html.E(Html.Date(cancelAt, zone))}.</p>")
                .Append(Html.Button(context, path + "/reactivate", "Keep my subscription", "reactivate"));
        }
        else
        {
            var options = string.Concat(PortalCatalog.Plans.Where(p => p.Key != subscription.PlanKey)
                .Select(p => $"<option value=\"{Html.E(p.Key)}\">{Html.E(p.DisplayName)}</option>"));
            html.Append(CultureInfo.InvariantCulture, $"<form class=\"inline\" method=\"post\" action=\"{Html.E(path)}/plan\">{Html.Antiforgery(context)}")
                .Append(CultureInfo.InvariantCulture, $"<select name=\"planKey\" data-testid=\"plan-select\">{options}</select> <button type=\"submit\" data-testid=\"change-plan\">Change plan</button></form> ")
                .Append(Html.Button(context, path + "/cancel", "Cancel at period end", "cancel-period-end", ("when", "period-end"))).Append(' ')
                .Append(Html.Button(context, path + "/cancel", "Cancel now", "cancel-now", ("when", "now")));
        }

        return html.Append("</section>").ToString();
    }

    private static string Usage(CurrentUsage current, DailyUsage daily)
    {
        var html = new StringBuilder("<section><h2>Usage this period</h2>");
        foreach (var meter in daily.Meters)
        {
            var label = meter.MeterKey == PortalCatalog.Packages.Key ? PortalCatalog.Packages.DisplayName : meter.MeterKey == PortalCatalog.Returns.Key ? PortalCatalog.Returns.DisplayName : meter.MeterKey;
            var quantity = current.TryGetMeter(meter.MeterKey, out var summary) ? summary.Quantity : 0m;
            html.Append(CultureInfo.InvariantCulture, $"<h3>{Html.E(label)}: <span data-testid=\"usage-{Html.E(meter.MeterKey)}\">{Html.E(Html.Quantity(quantity))}</span></h3>")
                .Append(UsageChart.Render(meter, label ?? meter.MeterKey));
        }

        return html.Append("</section>").ToString();
    }

    private static async Task<string> InvoicesAsync(IInvoiceService invoices, string customerId, DateTimeZone zone, CancellationToken cancellationToken)
    {
        var page = await invoices.ListAsync(customerId, null, 12, cancellationToken);
        var html = new StringBuilder("<section><h2>Invoices</h2>");
        if (page.Items.Count == 0)
        {
            return html.Append("<p>No invoices yet.</p></section>").ToString();
        }

        html.Append("<table data-testid=\"invoices\"><tr><th>Number</th><th>Period</th><th>Status</th><th class=\"num\">Total</th></tr>");
        foreach (var invoice in page.Items.OrderByDescending(i => i.Number))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr data-testid=\"invoice-{invoice.Number}\"><td>#{invoice.Number}</td><td>{Html.E(Html.Period(invoice.Period, zone))}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-testid=\"invoice-{invoice.Number}-status\">{invoice.Status}</td><td class=\"num\" data-testid=\"invoice-{invoice.Number}-total\">{Html.E(Html.Money(invoice.Total))}</td></tr>")
                .Append(CultureInfo.InvariantCulture, $"<tr><td colspan=\"4\"><details><summary>Lines</summary>{Html.Lines(invoice.Content, $"invoice-{invoice.Number}-lines")}</details></td></tr>");
        }

        return html.Append("</table></section>").ToString();
    }

    private static async Task<string> CreditsAsync(ICreditService credits, string customerId, string? cursor, DateTimeZone zone, CancellationToken cancellationToken)
    {
        var balances = await credits.GetBalancesAsync(customerId, cancellationToken: cancellationToken);
        var html = new StringBuilder("<section><h2>Credits</h2>");
        if (balances.Count == 0)
        {
            return html.Append("<p>No credits.</p></section>").ToString();
        }

        foreach (var balance in balances)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>Balance: <strong data-testid=\"credit-balance-{Html.E(balance.Unit.Code)}\">{Html.E(Html.Money(balance.RemainingMoney))}</strong> of {Html.E(Html.Money(new Money(balance.Granted, balance.Unit)))} granted.</p>");
        }

        Page<CreditTransaction> page;
        try
        {
            page = await credits.ListTransactionsAsync(customerId, cursor, LedgerPageSize, cancellationToken);
        }
        catch (MeteringException)
        {
            // A cursor edited by hand: start over at the first page.
            page = await credits.ListTransactionsAsync(customerId, null, LedgerPageSize, cancellationToken);
        }

        html.Append("<table data-testid=\"ledger\"><tr><th>#</th><th>Date</th><th>Type</th><th>Note</th><th class=\"num\">Amount</th></tr>");
        foreach (var transaction in page.Items)
        {
            var note = transaction.InvoiceId is { } invoiceId ? "invoice " + invoiceId : transaction.Description ?? string.Empty;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{transaction.Sequence}</td><td>{Html.E(Html.Date(transaction.At, zone))}</td><td>{transaction.Type}</td><td>{Html.E(note)}</td><td class=\"num\">{Html.E(Html.Money(transaction.Amount))}</td></tr>");
        }

        html.Append("</table>");
        if (page.NextCursor is { } next)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p><a data-testid=\"ledger-next\" href=\"/customers/{Html.E(Uri.EscapeDataString(customerId))}?ledger={Html.E(Uri.EscapeDataString(next))}\">Older transactions</a></p>");
        }

        return html.Append("</section>").ToString();
    }
}
