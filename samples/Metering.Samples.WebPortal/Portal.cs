using Metering.AspNetCore;
using Metering.Sqlite;
using Microsoft.AspNetCore.Mvc;

namespace Metering.Samples.WebPortal;

/// <summary>Registers Metering for the portal and maps its pages and forms.</summary>
public static class Portal
{
    /// <summary>
    /// Metering on the embedded SQLite store (<c>Portal:Database</c>, default <c>portal.db</c> next to the app), the
    /// shipping catalog, invoices held for the operator's approval, the background close and credit expiry, and the
    /// email handler.
    /// </summary>
    public static IServiceCollection AddBillingPortal(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var database = configuration["Portal:Database"] ?? Path.Combine(AppContext.BaseDirectory, "portal.db");
        services.AddSingleton<EmailOutbox>();
        services.AddAntiforgery();

        // Registered before Metering's background services, so the seed is in place before the first close runs.
        services.AddHostedService<PortalSeeder>();
        services.AddMetering(o =>
            {
                o.AddCatalog();
                o.InvoiceApproval = InvoiceApproval.Manual;
            })
            .UseSqlite(database)
            .RunInBackground()
            .AddEventHandler<PortalEmails>(o => o.Name = "portal-emails")
            // The JSON API acts for the customer in the X-Customer header: it stands in for the app's sign-in.
            .AddAspNetCore(o => o.ResolveCustomer = context => context.Request.Headers[CustomerHeader].FirstOrDefault());
        return services;
    }

    /// <summary>The header naming the customer the JSON API acts for (a real app takes it from the signed-in user).</summary>
    public const string CustomerHeader = "X-Customer";

    /// <summary>
    /// Maps the customer portal, the operator page, the outbox and their forms, and Metering's JSON API under
    /// <c>/api/metering</c> (usage ingest with idempotency keys, current usage, invoices, credits), whose errors are
    /// RFC 9457 problem details.
    /// </summary>
    public static WebApplication MapBillingPortal(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Metering's errors become their problem details (MeteringExceptionHandler); a bad request (e.g. a form without
        // its antiforgery token) keeps its 400.
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError });
        app.UseAntiforgery();
        app.MapMeteringEndpoints("/api/metering");
        app.MapGet("/", Home);
        app.MapGet("/customers/{customerId}", CustomerPage.RenderAsync);
        app.MapPost("/customers/{customerId}/plan", ChangePlanAsync);
        app.MapPost("/customers/{customerId}/cancel", CancelAsync);
        app.MapPost("/customers/{customerId}/reactivate", ReactivateAsync);
        app.MapGet("/operator", OperatorPages.RenderDraftsAsync);
        app.MapPost("/operator/invoices/{invoiceId}/approve", OperatorPages.ApproveAsync);
        app.MapPost("/operator/invoices/{invoiceId}/void", OperatorPages.VoidAsync);
        app.MapGet("/outbox", OperatorPages.RenderOutbox);
        return app;
    }

    private static IResult Home(HttpContext context)
    {
        var rows = string.Concat(PortalSeed.Merchants.Select(m =>
            $"<li><a href=\"/customers/{Html.E(m.CustomerId)}\" data-testid=\"customer-{Html.E(m.CustomerId)}\">{Html.E(m.Name)}</a></li>"));
        return Html.Page("Customers", $"<section><ul>{rows}</ul></section>", context);
    }

    private static async Task<IResult> ChangePlanAsync(string customerId, [FromForm] string planKey, ISubscriptionService subscriptions, CancellationToken cancellationToken)
    {
        var path = "/customers/" + Uri.EscapeDataString(customerId);
        try
        {
            var subscription = await CustomerPage.ActiveSubscriptionAsync(subscriptions, customerId, cancellationToken)
                ?? throw new MeteringException(MeteringErrorCode.InvalidState, $"Customer '{customerId}' has no active subscription to change.");
            var result = await subscriptions.ChangePlanAsync(subscription.SubscriptionId, planKey, cancellationToken: cancellationToken);
            return Html.Redirect(path, notice: $"Moved to {planKey}; this period until now was invoiced as {result.Invoice.InvoiceId} ({Html.Money(result.Invoice.Total)}).");
        }
        catch (MeteringException e)
        {
            return Html.Redirect(path, error: e.Message);
        }
    }

    private static async Task<IResult> CancelAsync(string customerId, [FromForm] string when, ISubscriptionService subscriptions, CancellationToken cancellationToken)
    {
        var path = "/customers/" + Uri.EscapeDataString(customerId);
        try
        {
            var subscription = await CustomerPage.ActiveSubscriptionAsync(subscriptions, customerId, cancellationToken)
                ?? throw new MeteringException(MeteringErrorCode.InvalidState, $"Customer '{customerId}' has no active subscription to cancel.");
            if (when == "now")
            {
                var invoice = await subscriptions.CancelNowAsync(subscription.SubscriptionId, cancellationToken);
                return Html.Redirect(path, notice: $"Canceled now; final invoice {invoice.InvoiceId} ({Html.Money(invoice.Total)}).");
            }

            await subscriptions.CancelAtPeriodEndAsync(subscription.SubscriptionId, cancellationToken);
            return Html.Redirect(path, notice: "The subscription ends at the end of this period.");
        }
        catch (MeteringException e)
        {
            return Html.Redirect(path, error: e.Message);
        }
    }

    private static async Task<IResult> ReactivateAsync(string customerId, ISubscriptionService subscriptions, CancellationToken cancellationToken)
    {
        var path = "/customers/" + Uri.EscapeDataString(customerId);
        try
        {
            var subscription = await CustomerPage.ActiveSubscriptionAsync(subscriptions, customerId, cancellationToken)
                ?? throw new MeteringException(MeteringErrorCode.InvalidState, $"Customer '{customerId}' has no subscription to reactivate.");
            await subscriptions.ReactivateAsync(subscription.SubscriptionId, cancellationToken);
            return Html.Redirect(path, notice: "The subscription continues.");
        }
        catch (MeteringException e)
        {
            return Html.Redirect(path, error: e.Message);
        }
    }
}
