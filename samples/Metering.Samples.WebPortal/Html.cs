using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Metering.Samples.WebPortal;

/// <summary>Server-rendered HTML: every value is encoded here, so pages never write raw text.</summary>
internal static class Html
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
        header{background:#17324d;color:#fff;padding:12px 24px}header a{color:#fff;margin-right:16px}
        main{padding:16px 24px;max-width:1100px}section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:12px 16px;margin:12px 0}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f4}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.total td{font-weight:600}
        .error{background:#fdecea;border-color:#f5c2bd}.notice{background:#eaf6ec;border-color:#b9e0c0}
        form.inline{display:inline}button{cursor:pointer}svg .bar{fill:#3c7dd9}svg .axis{stroke:#99a3ad}
        """;

    /// <summary>Encodes text for an element or attribute.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>An amount as the portal shows it: <c>11,699.00 JMD</c>.</summary>
    public static string Money(Money money) =>
        string.Create(CultureInfo.InvariantCulture, $"{money.Amount.ToString("N" + money.Currency.MinorDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)} {money.Currency.Code}");

    /// <summary>A quantity without trailing zeros, grouped: <c>1,250</c> or <c>0.5</c>.</summary>
    public static string Quantity(decimal quantity) => quantity.ToString("#,0.######", CultureInfo.InvariantCulture);

    /// <summary>A date in <paramref name="zone"/>: <c>2026-03-01</c>.</summary>
    public static string Date(Instant instant, DateTimeZone zone) =>
        instant.InZone(zone).Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A period as local dates, the end exclusive: <c>2026-03-01 – 2026-04-01</c>.</summary>
    public static string Period(BillingPeriod period, DateTimeZone zone) => $"{Date(period.Start, zone)} – {Date(period.End, zone)}";

    /// <summary>A hidden antiforgery field for a form.</summary>
    public static string Antiforgery(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    /// <summary>A POST form with one button (and optional hidden fields).</summary>
    public static string Button(HttpContext context, string action, string label, string testId, params (string Name, string Value)[] fields)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<form class=\"inline\" method=\"post\" action=\"{E(action)}\">").Append(Antiforgery(context));
        foreach (var (name, value) in fields)
        {
            html.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{E(name)}\" value=\"{E(value)}\">");
        }

        return html.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\" data-testid=\"{E(testId)}\">{E(label)}</button></form>").ToString();
    }

    /// <summary>A whole page: the shared header, an optional error or notice, then <paramref name="body"/>.</summary>
    public static IResult Page(string title, string body, HttpContext context)
    {
        var error = context.Request.Query["error"].ToString();
        var notice = context.Request.Query["notice"].ToString();
        var html = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append(CultureInfo.InvariantCulture, $"<title>{E(title)} · Metering portal</title><style>{Style}</style></head><body>")
            .Append("<header><a href=\"/\">Customers</a><a href=\"/operator\">Operator</a><a href=\"/outbox\">Emails</a></header><main>")
            .Append(CultureInfo.InvariantCulture, $"<h1>{E(title)}</h1>");
        if (error.Length > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section class=\"error\" role=\"alert\" data-testid=\"error\">{E(error)}</section>");
        }

        if (notice.Length > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section class=\"notice\" data-testid=\"notice\">{E(notice)}</section>");
        }

        html.Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    /// <summary>Back to <paramref name="path"/> after a form post, with a notice or an error to show.</summary>
    public static IResult Redirect(string path, string? notice = null, string? error = null)
    {
        var query = error is not null ? "?error=" + Uri.EscapeDataString(error) : notice is not null ? "?notice=" + Uri.EscapeDataString(notice) : string.Empty;
        return Results.Redirect(path + query);
    }

    /// <summary>The lines of an invoice (or estimate) as a table, with its total.</summary>
    public static string Lines(CalculatedInvoice invoice, string testId)
    {
        var html = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<table data-testid=\"{E(testId)}\"><tr><th>Line</th><th class=\"num\">Quantity</th><th class=\"num\">Unit price</th><th class=\"num\">Amount</th></tr>");
        foreach (var line in invoice.Lines)
        {
            var unit = line.UnitPrice is { } price ? Money(new Money(price, invoice.Currency)) : string.Empty;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(line.Description)}</td><td class=\"num\">{E(Quantity(line.Quantity))}</td><td class=\"num\">{E(unit)}</td><td class=\"num\">{E(Money(line.Amount))}</td></tr>");
        }

        return html.Append(CultureInfo.InvariantCulture, $"<tr class=\"total\"><td colspan=\"3\">Total</td><td class=\"num\" data-testid=\"{E(testId)}-total\">{E(Money(invoice.Total))}</td></tr></table>").ToString();
    }
}
