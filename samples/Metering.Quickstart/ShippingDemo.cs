using System.Globalization;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metering.Quickstart;

/// <summary>
/// The shipping-platform flow: a merchant on a 2,999.00 JMD/month plan ships packages (50.00 each)
/// and handles returns (100.00 each) over a simulated month; the running bill is shown mid-month
/// and the period closes into one invoice.
/// </summary>
public static class ShippingDemo
{
    /// <summary>Runs the demo, writing to <paramref name="output"/>; returns the closed invoice.</summary>
    /// <param name="output">Where the report is printed.</param>
    /// <param name="useStore">Picks the store (the quickstart passes the embedded SQLite file).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public static async Task<Invoice> RunAsync(TextWriter output, Action<MeteringBuilder> useStore, CancellationToken cancellationToken = default)
    {
        // A test clock lets the demo live through a month in a second; a real app registers SystemClock.Instance.
        var clock = new TestClock(Instant.FromUtc(2026, 3, 1, 5, 0));
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        var builder = services.AddMetering(o => o
            .AddMeter(Meter.Sum("packages").WithDisplayName("Packages shipped"))
            .AddMeter(Meter.Sum("returns").WithDisplayName("Returns handled"))
            .AddPlan(Plan.Create("shipping-pro", Currency.JMD, BillingInterval.Months(1))
                .WithDisplayName("Shipping Pro")
                .WithBaseFee(2_999.00m)
                .WithCharge("packages", PricingModel.PerUnit(50.00m), c => c.DisplayName = "Packages shipped")
                .WithCharge("returns", PricingModel.PerUnit(100.00m), c => c.DisplayName = "Returns handled")
                .Build()))
            // The host is told what happened, like a webhook: events are delivered to this handler by a hosted dispatcher.
            .AddEventHandler<InvoiceEmails>(o => o.Name = "invoice-emails");
        services.AddSingleton<EmailOutbox>();
        useStore(builder);
        await using var provider = services.BuildServiceProvider();

        var subscriptions = provider.GetRequiredService<ISubscriptionService>();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        var usage = provider.GetRequiredService<IUsageQuery>();
        var closer = provider.GetRequiredService<IPeriodCloser>();

        await subscriptions.CreateCustomerAsync("merchant-42", "Kingston Parcels Ltd", "America/Jamaica", cancellationToken);
        var subscription = await subscriptions.SubscribeAsync(
            new SubscribeRequest { CustomerId = "merchant-42", PlanKey = "shipping-pro", SubscriptionId = "sub-merchant-42" },
            cancellationToken);
        output.WriteLine($"Subscribed merchant-42 to Shipping Pro; period {Format(subscription.CurrentPeriod)}.");

        // 150 packages and 12 returns over the month, one record per event, each with its own idempotency key.
        int packages = 0, returns = 0;
        for (int day = 0; day < 30; day++)
        {
            clock.Advance(Duration.FromHours(20));
            for (int i = 0; i < 5; i++)
            {
                await recorder.RecordAsync(new UsageRecord("merchant-42", "packages", 1m, clock.Now, $"pkg-{++packages}"), cancellationToken);
            }

            if (day % 5 == 0 || day % 5 == 2)
            {
                await recorder.RecordAsync(new UsageRecord("merchant-42", "returns", 1m, clock.Now, $"ret-{++returns}"), cancellationToken);
            }

            if (day == 14)
            {
                // A network retry of the same event: a duplicate, counted once.
                var retry = await recorder.RecordAsync(new UsageRecord("merchant-42", "packages", 1m, clock.Now, $"pkg-{packages}"), cancellationToken);
                output.WriteLine($"Retried pkg-{packages}: {retry.Kind}.");

                var midMonth = await usage.GetCurrentAsync(subscription.SubscriptionId, cancellationToken);
                output.WriteLine();
                output.WriteLine($"Running bill on {clock.Now.InZone(DateTimeZoneProviders.Tzdb["America/Jamaica"]).Date.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}:");
                Print(output, midMonth.Estimate);
            }
        }

        clock.AdvanceTo(subscription.CurrentPeriod.End + Duration.FromHours(2));
        var report = await closer.CloseDueAsync(cancellationToken);
        var invoice = report.Invoices.Single();
        output.WriteLine();
        output.WriteLine($"Invoice #{invoice.Number} ({invoice.Status}) for {Format(invoice.Period)}:");
        Print(output, invoice.Content);

        // The card on file is declined; the customer hears about the invoice, the renewal and the failed payment.
        await provider.GetRequiredService<IInvoiceService>().MarkPaymentFailedAsync(invoice.InvoiceId, cancellationToken);
        var outbox = provider.GetRequiredService<EmailOutbox>();
        await DeliverEventsAsync(provider, () => outbox.Sent.Count >= 3, cancellationToken);
        output.WriteLine();
        output.WriteLine("Emails sent from billing events:");
        foreach (var email in outbox.Sent)
        {
            output.WriteLine($"  {email}");
        }

        return invoice;
    }

    /// <summary>
    /// Runs the hosted services (here: the event dispatcher) until <paramref name="done"/>, as a host would for the
    /// app's lifetime; a web app or worker gets this from <c>IHost</c> without any code.
    /// </summary>
    private static async Task DeliverEventsAsync(IServiceProvider provider, Func<bool> done, CancellationToken cancellationToken)
    {
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(cancellationToken);
        }

        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            while (!done())
            {
                await Task.Delay(20, guard.Token);
            }
        }
        finally
        {
            for (var i = hosted.Count - 1; i >= 0; i--)
            {
                await hosted[i].StopAsync(CancellationToken.None);
            }
        }
    }

    private static void Print(TextWriter output, CalculatedInvoice invoice)
    {
        output.WriteLine($"  {"Line",-28} {"Qty",8} {"Unit price",12} {"Amount",14}");
        output.WriteLine($"  {new string('-', 28)} {new string('-', 8)} {new string('-', 12)} {new string('-', 14)}");
        foreach (var line in invoice.Lines)
        {
            var unit = line.UnitPrice is { } price ? price.ToString("N2", CultureInfo.InvariantCulture) : string.Empty;
            output.WriteLine($"  {line.Description,-28} {line.Quantity.ToString("N0", CultureInfo.InvariantCulture),8} {unit,12} {Amount(line.Amount),14}");
        }

        output.WriteLine($"  {"Total",-28} {string.Empty,8} {string.Empty,12} {Amount(invoice.Total),14}");
    }

    private static string Amount(Money money) => $"{money.Amount.ToString("N2", CultureInfo.InvariantCulture)} {money.Currency.Code}";

    private static string Format(BillingPeriod period)
    {
        var zone = DateTimeZoneProviders.Tzdb["America/Jamaica"];
        return $"{period.Start.InZone(zone).Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} to {period.End.InZone(zone).Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} (America/Jamaica)";
    }
}
