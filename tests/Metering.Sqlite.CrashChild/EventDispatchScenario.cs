using System.Globalization;
using System.Text;
using Metering.Storage;
using Metering.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.CrashChild;

/// <summary>
/// Child mode <c>events &lt;database&gt; &lt;journal&gt; &lt;run&gt;</c> (issue #14): a host whose dispatcher delivers the
/// event log to <see cref="JournalingHandler"/>, which appends each delivered EventId to the journal (fsync) slowly
/// enough to be killed mid-batch. Prints <c>caught-up;</c> and exits once the handler's checkpoint reaches the end.
/// </summary>
public static class EventDispatchScenario
{
    /// <summary>The handler's durable name.</summary>
    public const string HandlerName = "journal";

    /// <summary>The clock of the parent, which stores the events.</summary>
    public static readonly Instant Start = Instant.FromUtc(2026, 1, 1, 0, 0);

    /// <summary>
    /// The clock of run <paramref name="run"/>: an hour after the previous run, so the lease a killed run left behind
    /// has expired (the child's clock does not move on its own).
    /// </summary>
    public static Instant RunNow(int run) => Start + Duration.FromHours(1 + run);

    /// <summary>Stores <paramref name="count"/> CreditsGranted events (one customer, one grant each).</summary>
    public static async Task GrantAsync(string databasePath, int count)
    {
        await using var billing = TestMetering.Create(start: Start, configureBuilder: b => b.UseSqlite(databasePath));
        await billing.Subscriptions.CreateCustomerAsync("crash-customer", "Crash", "UTC").ConfigureAwait(false);
        for (var i = 0; i < count; i++)
        {
            await billing.Credits.GrantAsync(new CreditGrantRequest
            {
                CustomerId = "crash-customer",
                Amount = new Money(1m, Currency.USD),
                GrantId = string.Create(CultureInfo.InvariantCulture, $"grant-{i}"),
            }).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the mode with its arguments (after <c>events</c>).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var path = args[0];
        using var journal = new DeliveryJournal(args[1]);
        var run = int.Parse(args[2], CultureInfo.InvariantCulture);
        await using var billing = TestMetering.Create(start: RunNow(run), configureBuilder: b => b
            .UseSqlite(path)
            .ConfigureEventDelivery(o => o.PollInterval = TimeSpan.FromMilliseconds(20))
            .AddEventHandler<JournalingHandler>(o =>
            {
                o.Name = HandlerName;
                o.BatchSize = 25;
            })
            .Services.AddSingleton(journal));

        var log = await billing.Store.ReadEventsAsync(null, 100_000, CancellationToken.None).ConfigureAwait(false);
        await billing.StartHostedServicesAsync().ConfigureAwait(false);
        await Console.Out.WriteAsync("started;\n").ConfigureAwait(false);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var state = (await billing.Store.ListEventHandlersAsync(guard.Token).ConfigureAwait(false)).FirstOrDefault(h => h.Handler == HandlerName);
            if (state?.Position == log[^1].Position)
            {
                break;
            }

            await Task.Delay(20, guard.Token).ConfigureAwait(false);
        }

        await Console.Out.WriteAsync("caught-up;\n").ConfigureAwait(false);
        return 0;
    }
}

/// <summary>The file the handler appends delivered EventIds to, one per line, each line in one write and flushed to disk.</summary>
public sealed class DeliveryJournal(string path) : IDisposable
{
    private readonly FileStream _file = new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    private readonly Lock _gate = new();

    /// <summary>Appends <paramref name="eventId"/> and fsyncs before returning.</summary>
    public void Append(string eventId)
    {
        var line = Encoding.UTF8.GetBytes(eventId + "\n");
        lock (_gate)
        {
            _file.Write(line);
            _file.Flush(flushToDisk: true);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}

/// <summary>Journals each delivered event, slowly (a few milliseconds each) so the parent's SIGKILL lands mid-dispatch.</summary>
public sealed class JournalingHandler(DeliveryJournal journal) : IBillingEventHandler
{
    /// <inheritdoc/>
    public async ValueTask HandleAsync(BillingEventDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        await Task.Delay(3, cancellationToken).ConfigureAwait(false);
        journal.Append(delivery.Event.EventId);
    }
}
