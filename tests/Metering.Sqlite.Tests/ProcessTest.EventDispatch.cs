using System.Diagnostics;
using Metering.Sqlite.CrashChild;
using Microsoft.Extensions.DependencyInjection;

namespace Metering.Sqlite.Tests;

/// <summary>Issue #14 on SQLite: a host killed during dispatch loses no event, and redelivers with the same EventId.</summary>
public partial class ProcessTest
{
    [Fact]
    public async Task HostKilledDuringDispatch_Restarted_DeliversEveryStoredEventAtLeastOnceWithItsId()
    {
        using var db = new TempDatabase();
        var journal = Path.Combine(Path.GetDirectoryName(db.Path)!, "delivered.txt");
        const int events = 500;
        const int kills = 3;
        const int deliveriesBeforeKill = 70;
        await EventDispatchScenario.GrantAsync(db.Path, events);
        using var timeout = new CancellationTokenSource(Deadline);

        var killedAt = new List<int>();
        for (var run = 0; run < kills; run++)
        {
            using var child = StartChild("events", db.Path, journal, run.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var before = JournalLines(journal).Count;
            (await child.StandardOutput.ReadLineAsync(timeout.Token)).Should().Be("started;", await ErrorsOfAsync(child));
            while (JournalLines(journal).Count < before + deliveriesBeforeKill)
            {
                child.HasExited.Should().BeFalse($"run {run} must still be dispatching when it is killed: {await ErrorsOfAsync(child)}");
                await Task.Delay(5, timeout.Token);
            }

            child.Kill(); // SIGKILL: the handler may be mid-event, its batch's checkpoint not yet written.
            await child.WaitForExitAsync(timeout.Token);
            killedAt.Add(JournalLines(journal).Count);
        }

        using (var last = StartChild("events", db.Path, journal, kills.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var output = await last.StandardOutput.ReadToEndAsync(timeout.Token);
            await last.WaitForExitAsync(timeout.Token);
            last.ExitCode.Should().Be(0, await ErrorsOfAsync(last));
            output.Should().EndWith("caught-up;\n");
        }

        await using var billing = TestMetering.Create(start: EventDispatchScenario.Start, configureBuilder: b => b.UseSqlite(db.Path));
        var stored = (await billing.Store.ReadEventsAsync(null, 10_000, timeout.Token)).Select(e => e.Event.EventId).ToList();
        stored.Should().HaveCountGreaterThanOrEqualTo(events);
        var delivered = JournalLines(journal);
        killedAt.Should().OnlyContain(count => count < stored.Count, "every kill landed before the log was fully delivered");
        delivered.Should().Contain(stored, "no stored event is lost across the kills");
        delivered.Should().OnlyContain(id => stored.Contains(id), "a redelivery carries the stored EventId, never a new one");
        delivered.Should().HaveCountGreaterThan(stored.Count, "a kill between two checkpoint writes redelivers what was handled after the last one");
        var state = (await billing.Store.ListEventHandlersAsync(timeout.Token)).Should().ContainSingle().Subject;
        state.Position.Should().Be((await billing.Store.ReadEventsAsync(null, 10_000, timeout.Token))[^1].Position);
        state.ParkedCount.Should().Be(0);
    }

    private static List<string> JournalLines(string journal)
    {
        if (!File.Exists(journal))
        {
            return [];
        }

        // Each id is written with one write() and a newline; a line without its newline was never fully written.
        using var reader = new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(reader);
        var content = text.ReadToEnd();
        var complete = content[..(content.LastIndexOf('\n') + 1)];
        return [.. complete.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static async Task<string> ErrorsOfAsync(Process child) =>
        child.HasExited ? await child.StandardError.ReadToEndAsync() : "(running)";
}
