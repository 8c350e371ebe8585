using Metering.Storage;

namespace Metering.PostgreSql;

/// <summary>Plan listings and the archived flag (issue #17).</summary>
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.ListPlans);
        var plans = new List<CatalogPlan>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            plans.Add(new CatalogPlan(StoreDocuments.ToPlan(reader.GetString(0)), reader.GetBoolean(1)));
        }

        return plans;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.ListPlanVersions);
        command.Parameters.Add(Text(planKey));
        var plans = new List<Plan>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            plans.Add(StoreDocuments.ToPlan(reader.GetString(0)));
        }

        return plans;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> SetPlanArchivedAsync(string planKey, bool archived, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        return await InTransactionAsync(
            async (connection, transaction) =>
            {
                // The publishers' lock of the key, so the plan cannot appear between the check and the write.
                await using (var lockCommand = Command(connection, transaction, _sql.LockPlanKey))
                {
                    lockCommand.Parameters.Add(Text(planKey));
                    await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (await ReadPlanAsync(connection, transaction, planKey, null, cancellationToken).ConfigureAwait(false) is null)
                {
                    return false;
                }

                await using var write = Command(connection, transaction, archived ? _sql.ArchivePlan : _sql.UnarchivePlan);
                write.Parameters.Add(Text(planKey));
                await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> IsPlanArchivedAsync(string planKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.IsPlanArchived);
        command.Parameters.Add(Text(planKey));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }
}
