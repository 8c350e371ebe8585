using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's subscription writes, and its write-through cache of subscriptions.</summary>
internal sealed partial class SqliteWriter
{
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private RawStatement? _insertSubscription;
    private RawStatement? _updateSubscription;

    public bool AddSubscription(Subscription subscription, IReadOnlyList<BillingEvent> events)
    {
        var insert = _insertSubscription ??= Prepare(
            """
            INSERT INTO subscriptions (subscription_id, customer_id, current_period_end, ended_at, revision, data)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT (subscription_id) DO NOTHING
            """);
        var inserted = BindSubscription(insert, subscription).Execute() == 1;
        if (inserted)
        {
            _subscriptions[subscription.SubscriptionId] = subscription;
            AppendEvents(events);
        }

        return inserted;
    }

    public bool UpdateSubscription(Subscription updated, IReadOnlyList<BillingEvent> events)
    {
        var stored = GetSubscription(updated.SubscriptionId);
        if (stored is null || stored.Revision != updated.Revision - 1)
        {
            return false;
        }

        StoreSubscription(updated);
        AppendEvents(events);
        return true;
    }

    private void StoreSubscription(Subscription subscription)
    {
        var update = _updateSubscription ??= Prepare(
            "UPDATE subscriptions SET customer_id = ?2, current_period_end = ?3, ended_at = ?4, revision = ?5, data = ?6 WHERE subscription_id = ?1");
        BindSubscription(update, subscription).Execute();
        _subscriptions[subscription.SubscriptionId] = subscription;
    }

    private static RawStatement BindSubscription(RawStatement statement, Subscription subscription)
    {
        statement.Bind(1, subscription.SubscriptionId);
        statement.Bind(2, subscription.CustomerId);
        statement.Bind(3, Nanos(subscription.CurrentPeriod.End));
        statement.Bind(4, Nanos(subscription.EndedAt));
        statement.Bind(5, subscription.Revision);
        statement.Bind(6, StoreDocuments.Json(subscription));
        return statement;
    }

    private Subscription? GetSubscription(string subscriptionId)
    {
        if (_subscriptions.TryGetValue(subscriptionId, out var cached))
        {
            return cached;
        }

        var loaded = StoreQueries.LoadSubscription(_connection, subscriptionId);
        if (loaded is not null)
        {
            _subscriptions[subscriptionId] = loaded;
        }

        return loaded;
    }
}
