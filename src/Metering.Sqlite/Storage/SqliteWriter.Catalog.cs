using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's catalog (meters, plans) and customer writes.</summary>
internal sealed partial class SqliteWriter
{
    public bool UpsertMeter(Meter meter)
    {
        Sql("INSERT INTO meters (meter_key, data) VALUES ($key, $data) ON CONFLICT (meter_key) DO UPDATE SET data = excluded.data", "$key", "$data")
            .With(meter.Key, StoreDocuments.Json(meter))
            .ExecuteNonQuery();
        return true;
    }

    public Plan PublishPlan(Plan plan)
    {
        var latest = StoreQueries.LoadPlan(_connection, plan.Key, null);
        if (latest is not null && latest.DefinitionEquals(plan))
        {
            return latest;
        }

        var published = plan.WithVersion((latest?.Version ?? 0) + 1);
        Sql("INSERT INTO plans (plan_key, version, data) VALUES ($key, $version, $data)", "$key", "$version", "$data")
            .With(published.Key, published.Version, StoreDocuments.Json(published))
            .ExecuteNonQuery();
        return published;
    }

    public bool SetPlanArchived(string planKey, bool archived)
    {
        if (StoreQueries.LoadPlan(_connection, planKey, null) is null)
        {
            return false;
        }

        (archived
            ? Sql("INSERT INTO archived_plans (plan_key) VALUES ($key) ON CONFLICT (plan_key) DO NOTHING", "$key")
            : Sql("DELETE FROM archived_plans WHERE plan_key = $key", "$key"))
            .With(planKey)
            .ExecuteNonQuery();
        return true;
    }

    public bool AddCustomer(Customer customer) =>
        Sql(
            "INSERT INTO customers (customer_id, name, time_zone_id, created_at, details) VALUES ($id, $name, $zone, $created, $details) ON CONFLICT (customer_id) DO NOTHING",
            "$id",
            "$name",
            "$zone",
            "$created",
            "$details")
        .With(customer.CustomerId, customer.Name, customer.TimeZoneId, Nanos(customer.CreatedAt), StoreDocuments.DetailsJson(customer))
        .ExecuteNonQuery() == 1;

    public Customer? UpdateCustomer(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change)
    {
        if (StoreQueries.LoadCustomer(_connection, customerId) is not { } current)
        {
            return null;
        }

        // The writer is the only one writing (its reads see its own transaction), so what it loads is what it overwrites.
        var subscriptions = StoreQueries.LoadSubscriptions(_connection, customerId);
        var result = StoreChangeRules.CheckCustomerChange(current, subscriptions, change);
        Sql("UPDATE customers SET name = $name, time_zone_id = $zone, details = $details WHERE customer_id = $id", "$id", "$name", "$zone", "$details")
            .With(customerId, result.Updated.Name, result.Updated.TimeZoneId, StoreDocuments.DetailsJson(result.Updated))
            .ExecuteNonQuery();
        foreach (var subscription in result.Subscriptions)
        {
            StoreSubscription(subscription);
        }

        return result.Updated;
    }
}
