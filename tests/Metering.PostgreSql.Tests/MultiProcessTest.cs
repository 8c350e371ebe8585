using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.PostgreSql.Tests;

/// <summary>
/// Several app instances on one database (DESIGN §4): three OS processes (Metering.PostgreSql.LoadChild) record usage
/// for the same customers with overlapping idempotency keys, then all close periods at once. Every record is counted
/// once, every period is invoiced once, invoice numbers are 1..N without gaps, and every total is as computed by hand.
/// </summary>
[Collection(MeasurementsCollection.Name)]
public sealed class MultiProcessTest(PostgresServer server)
{
    private const int Customers = 6;
    private const int KeysPerChild = 600;
    private const int KeyStride = 400;
    private static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ThreeProcesses_RecordOverlappingKeys_AndCloseTogether_EachPeriodInvoicedOnce_WithExactTotals()
    {
        var connectionString = server.CreateDatabase();
        await using (var setup = TestMetering.Create(
            o => o.AddMeter(Meter.Sum("api_calls")).AddPlan(Plan.Create("standard", Currency.USD, BillingInterval.Months(1)).WithBaseFee(5.00m).WithCharge("api_calls", PricingModel.PerUnit(0.10m)).Build()),
            Start,
            b => b.UsePostgreSql(connectionString)))
        {
            for (int c = 0; c < Customers; c++)
            {
                await setup.Subscriptions.CreateCustomerAsync($"c{c}", $"c{c}", "UTC");
                await setup.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = $"c{c}", PlanKey = "standard", SubscriptionId = $"s{c}" });
            }
        }

        // Child k records keys [400k, 400k + 600) per customer: [0, 600), [400, 1000), [800, 1400).
        var clockStart = Start + Duration.FromDays(1);
        var children = Enumerable.Range(0, 3).Select(k => StartChild(connectionString, k * KeyStride, KeysPerChild, clockStart)).ToArray();
        try
        {
            var recorded = await Task.WhenAll(children.Select(c => ReadLineAsync(c, "RECORDED")));

            // Past the end of February plus the 1-hour grace: January and February are due for every subscription.
            var closeAt = Instant.FromUtc(2026, 3, 1, 2, 0).ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture);
            foreach (var child in children)
            {
                await child.StandardInput.WriteLineAsync("CLOSE " + closeAt);
                await child.StandardInput.FlushAsync();
            }

            var closed = await Task.WhenAll(children.Select(c => ReadLineAsync(c, "CLOSED")));
            foreach (var child in children)
            {
                await child.WaitForExitAsync().WaitAsync(Patience);
                child.ExitCode.Should().Be(0, await child.StandardError.ReadToEndAsync());
            }

            // 6 customers × 3 children × 600 records sent = 10,800; 1,400 distinct keys per customer = 8,400 accepted;
            // the two overlaps of 200 keys per customer are 2 × 200 × 6 = 2,400 duplicates.
            recorded.Sum(r => int.Parse(r[1], CultureInfo.InvariantCulture)).Should().Be(8_400);
            recorded.Sum(r => int.Parse(r[2], CultureInfo.InvariantCulture)).Should().Be(2_400);

            // Two periods for each of 6 subscriptions, whichever instance closed them.
            closed.Sum(r => int.Parse(r[1], CultureInfo.InvariantCulture)).Should().Be(12);
        }
        finally
        {
            foreach (var child in children.Where(c => !c.HasExited))
            {
                child.Kill(entireProcessTree: true);
            }

            foreach (var child in children)
            {
                child.Dispose();
            }
        }

        await using var check = TestMetering.Create(start: Instant.FromUtc(2026, 3, 1, 2, 0), configureBuilder: b => b.UsePostgreSql(connectionString));
        var invoices = new List<Invoice>();
        for (int c = 0; c < Customers; c++)
        {
            invoices.AddRange((await check.Store.ListInvoicesAsync($"c{c}", null, 100, CancellationToken.None)).Items);
        }

        invoices.Select(i => i.Number).Order().Should().Equal(Enumerable.Range(1, 12).Select(n => (long)n));
        invoices.GroupBy(i => (i.SubscriptionId, i.Period.Start)).Should().HaveCount(12).And.OnlyContain(g => g.Count() == 1);
        foreach (var invoice in invoices)
        {
            if (invoice.Period.Start == Start)
            {
                // Per customer: sum over i in [0, 1400) of 1 + i % 4 = 1,400 + 350 × (0 + 1 + 2 + 3) = 3,500 calls;
                // 5.00 + 3,500 × 0.10 = 355.00.
                UsageQuantity(invoice).Should().Be(3_500m);
                invoice.Total.Should().Be(new Money(355.00m, Currency.USD));
            }
            else
            {
                // February had no usage: the base fee only.
                invoice.Period.Start.Should().Be(Instant.FromUtc(2026, 2, 1, 0, 0));
                invoice.Total.Should().Be(new Money(5.00m, Currency.USD));
            }
        }

        for (int c = 0; c < Customers; c++)
        {
            var reconciliation = await check.Reconciler.ReconcileAsync($"s{c}", Start);
            reconciliation.RecordCount.Should().Be(1_400);
            reconciliation.IsConsistent.Should().BeTrue();
        }
    }

    private static decimal UsageQuantity(Invoice invoice) =>
        invoice.Content.Lines.Single(l => l.Kind == InvoiceLineKind.Usage).Quantity;

    private static Process StartChild(string connectionString, int first, int count, Instant clockStart)
    {
        var childPath = typeof(MultiProcessTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LoadChildPath").Value!;
        File.Exists(childPath).Should().BeTrue($"the child program is built with the tests at {childPath}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[childPath, connectionString, Invariant(first), Invariant(count), Invariant(Customers), Invariant(Start.ToUnixTimeTicks()), Invariant(clockStart.ToUnixTimeTicks())])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }

    private static async Task<string[]> ReadLineAsync(Process child, string expected)
    {
        var line = await child.StandardOutput.ReadLineAsync().WaitAsync(Patience);
        if (line is null || !line.StartsWith(expected + " ", StringComparison.Ordinal))
        {
            await child.WaitForExitAsync().WaitAsync(Patience);
            throw new InvalidOperationException($"Child {child.Id} said '{line}' instead of '{expected} ...': {await child.StandardError.ReadToEndAsync()}");
        }

        return line.Split(' ');
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
