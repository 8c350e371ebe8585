namespace Metering.Samples.Tests;

using Microsoft.Extensions.DependencyInjection;

using Metering;
using Metering.Quickstart;

public class QuickstartTest
{
    [Fact]
    public async Task Quickstart_OnSqlite_PrintsTheShippingInvoice()
    {
        var path = Path.Combine(Path.GetTempPath(), $"metering-quickstart-{Guid.NewGuid():N}.db");
        try
        {
            using var output = new StringWriter();

            var invoice = await ShippingDemo.RunAsync(output, b => b.UseSqlite(path));

            // 2,999.00 + 150 × 50.00 + 12 × 100.00 = 11,699.00 JMD, read back from the SQLite file.
            invoice.Total.Should().Be(new Money(11_699.00m, Currency.JMD));
            output.ToString().Should().Contain("11,699.00 JMD").And.Contain("(event InvoicePaymentFailed)", "events are delivered from the SQLite store too");
        }
        finally
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task Quickstart_PrintsTheShippingInvoice()
    {
        using var output = new StringWriter();

        var invoice = await ShippingDemo.RunAsync(output, b => b.UseInMemoryStore());

        // 2,999.00 + 150 × 50.00 + 12 × 100.00 = 11,699.00 JMD.
        invoice.Total.Should().Be(new Money(11_699.00m, Currency.JMD));
        var text = output.ToString();
        text.Should().Contain("Retried pkg-75: Duplicate.");
        text.Should().Contain("11,699.00 JMD");
        text.Should().Contain("7,349.00 JMD", "the mid-month bill is 2,999 + 75 × 50 + 6 × 100");
        text.Should().Contain($"To: Kingston Parcels Ltd | Your invoice {invoice.InvoiceId} is ready (event InvoiceFinalized)")
            .And.Contain("To: Kingston Parcels Ltd | Your Shipping Pro subscription renewed (event SubscriptionRenewed)")
            .And.Contain($"To: Kingston Parcels Ltd | Payment for invoice {invoice.InvoiceId} failed; please update your card (event InvoicePaymentFailed)");
    }
}
