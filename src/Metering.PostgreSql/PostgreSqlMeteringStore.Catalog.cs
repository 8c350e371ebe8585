using System.Data;
using Dapper;
using Metering.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Metering.PostgreSql;

public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask UpsertMeterAsync(Meter meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.UpsertMeter);
        command.Parameters.Add(Text(meter.Key));
        command.Parameters.Add(Json(StoreDocuments.Json(meter)));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var docs = await connection.QueryAsync<string>(new CommandDefinition(_sql.ListMeters, commandTimeout: _timeout, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. docs.Select(d => StoreDocuments.ToMeter(d))];
    }

    /// <inheritdoc/>
    public async ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                // One publisher per plan key at a time, across instances, so versions are assigned once.
                await using (var lockCommand = Command(connection, transaction, _sql.LockPlanKey))
                {
                    lockCommand.Parameters.Add(Text(plan.Key));
                    await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var latest = await ReadPlanAsync(connection, transaction, plan.Key, null, cancellationToken).ConfigureAwait(false);
                if (latest is not null && latest.DefinitionEquals(plan))
                {
                    return latest;
                }

                var next = plan.WithVersion((latest?.Version ?? 0) + 1);
                await using var insert = Command(connection, transaction, _sql.InsertPlan);
                insert.Parameters.Add(Text(next.Key));
                insert.Parameters.Add(P(next.Version));
                insert.Parameters.Add(Json(StoreDocuments.Json(next)));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return next;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Reads the database every time: the runtime's catalog keeps the plans it has seen.</remarks>
    public async ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadPlanAsync(connection, null, planKey, version, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Plan?> ReadPlanAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string planKey, int? version, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, version is null ? _sql.LatestPlan : _sql.PlanVersion);
        command.Parameters.Add(Text(planKey));
        if (version is { } wanted)
        {
            command.Parameters.Add(P(wanted));
        }

        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string doc)
        {
            return null;
        }

        return StoreDocuments.ToPlan(doc);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> AddCustomerAsync(Customer customer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customer);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.InsertCustomer);
        command.Parameters.Add(Text(customer.CustomerId));
        command.Parameters.Add(Text(customer.Name));
        command.Parameters.Add(Text(customer.TimeZoneId));
        command.Parameters.Add(P(Instants.Nanos(customer.CreatedAt)));
        command.Parameters.Add(Json(StoreDocuments.DetailsJson(customer)));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<Customer?> FindCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.FindCustomer);
        command.Parameters.Add(Text(customerId));
        return await ReadCustomerAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<Customer?> UpdateCustomerAsync(string customerId, Func<Customer, IReadOnlyList<Subscription>, CustomerChange> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentNullException.ThrowIfNull(change);
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                // The customer row first, then its subscriptions in id order: changes of one customer queue up here,
                // and a close or plan change of a subscription waits for (or is waited for by) the subscription lock.
                Customer? current;
                await using (var lockCustomer = Command(connection, transaction, _sql.LockCustomer))
                {
                    lockCustomer.Parameters.Add(Text(customerId));
                    current = await ReadCustomerAsync(lockCustomer, cancellationToken).ConfigureAwait(false);
                }

                if (current is null)
                {
                    return null;
                }

                List<Subscription> subscriptions;
                await using (var lockSubscriptions = Command(connection, transaction, _sql.LockCustomerSubscriptions))
                {
                    lockSubscriptions.Parameters.Add(Text(customerId));
                    subscriptions = await ReadSubscriptionsAsync(lockSubscriptions, cancellationToken).ConfigureAwait(false);
                }

                var result = StoreChangeRules.CheckCustomerChange(current, subscriptions, change);
                await using (var update = Command(connection, transaction, _sql.UpdateCustomer))
                {
                    update.Parameters.Add(Text(customerId));
                    update.Parameters.Add(Text(result.Updated.Name));
                    update.Parameters.Add(Text(result.Updated.TimeZoneId));
                    update.Parameters.Add(Json(StoreDocuments.DetailsJson(result.Updated)));
                    await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var subscription in result.Subscriptions)
                {
                    await WriteSubscriptionAsync(connection, transaction, subscription, cancellationToken).ConfigureAwait(false);
                }

                return result.Updated;
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Customer?> ReadCustomerAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return ReadCustomerRow(reader);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> AddSubscriptionAsync(Subscription subscription, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(events);
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, _sql.InsertSubscription);
                command.Parameters.Add(Text(subscription.SubscriptionId));
                command.Parameters.Add(Text(subscription.CustomerId));
                AddSubscriptionState(command, subscription);
                if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                {
                    return false;
                }

                await AppendEventsAsync(connection, transaction, events, cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<Subscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        return await _warm.ReadAsync(
            async connection =>
            {
                await using var command = Command(connection, null, _sql.FindSubscription);
                command.Parameters.Add(Text(subscriptionId));
                var found = await ReadSubscriptionsAsync(command, cancellationToken).ConfigureAwait(false);
                return found.Count == 0 ? null : found[0];
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.ListSubscriptions);
        command.Parameters.Add(Text(customerId));
        return await ReadSubscriptionsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> UpdateSubscriptionAsync(Subscription updated, IReadOnlyList<BillingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentNullException.ThrowIfNull(events);
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                // FOR UPDATE (not a plain UPDATE's weaker lock) so the change waits for in-flight ingest, like a close.
                var stored = await LockSubscriptionAsync(connection, transaction, updated.SubscriptionId, cancellationToken).ConfigureAwait(false);
                if (stored is null || stored.Revision != updated.Revision - 1)
                {
                    return false;
                }

                await WriteSubscriptionAsync(connection, transaction, updated, cancellationToken).ConfigureAwait(false);
                await AppendEventsAsync(connection, transaction, events, cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<Subscription?> LockSubscriptionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string subscriptionId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, _sql.LockSubscription);
        command.Parameters.Add(Text(subscriptionId));
        var found = await ReadSubscriptionsAsync(command, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    private async Task WriteSubscriptionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Subscription subscription, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, _sql.UpdateSubscription);
        command.Parameters.Add(Text(subscription.SubscriptionId));
        AddSubscriptionState(command, subscription);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddSubscriptionState(NpgsqlCommand command, Subscription subscription)
    {
        command.Parameters.Add(P(subscription.Revision));
        command.Parameters.Add(P(Instants.Nanos(subscription.CurrentPeriod.Start)));
        command.Parameters.Add(P(Instants.Nanos(subscription.CurrentPeriod.End)));
        command.Parameters.Add(Long(Instants.Nanos(subscription.EndedAt)));
        command.Parameters.Add(Json(StoreDocuments.Json(subscription)));
    }

    private async Task<List<Subscription>> ReadSubscriptionsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<Subscription>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadSubscription(reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
        }

        return list;
    }
}
