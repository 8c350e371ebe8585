using Metering.Storage;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's billing events: appended in the transaction of the change that raised them.</summary>
internal sealed partial class SqliteWriter
{
    private RawStatement? _insertEvent;

    private void AppendEvents(IReadOnlyList<BillingEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        _eventsAppended = true;
        var insert = _insertEvent ??= Prepare("INSERT INTO billing_events (data) VALUES (?1)");
        foreach (var e in events)
        {
            insert.Bind(1, StoreDocuments.Json(e));
            insert.Execute();
        }
    }
}
