using Metering.Storage;
using Npgsql;

namespace Metering.PostgreSql;

/// <summary>Backfill markers: written before a backfill's append, deleted by the period's adjustment (schema 10).</summary>
public sealed partial class PostgreSqlMeteringStore
{
    /// <inheritdoc/>
    public async ValueTask MarkPendingAdjustmentsAsync(IReadOnlyList<PendingAdjustment> markers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(markers);
        if (markers.Count == 0)
        {
            return;
        }

        await InTransactionAsync(
            async (connection, transaction) =>
            {
                foreach (var marker in markers)
                {
                    await using var insert = Command(connection, transaction, _sql.MarkPendingAdjustment);
                    insert.Parameters.Add(Text(marker.SubscriptionId));
                    insert.Parameters.Add(P(Instants.Nanos(marker.PeriodStart)));
                    insert.Parameters.Add(Text(marker.Reason));
                    insert.Parameters.Add(P(Instants.Nanos(marker.CreatedAt)));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<PendingAdjustment>> ListPendingAdjustmentsAsync(Instant createdBefore, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, _sql.ListPendingAdjustments);
        command.Parameters.Add(P(Instants.Nanos(createdBefore)));
        command.Parameters.Add(P((long)limit));
        var markers = new List<PendingAdjustment>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            markers.Add(new PendingAdjustment(reader.GetString(0), Instants.At(reader.GetInt64(1)), reader.GetString(2), Instants.At(reader.GetInt64(3))));
        }

        return markers;
    }

    /// <summary>Deletes a period's marker inside the adjustment's transaction.</summary>
    private async Task DeletePendingAdjustmentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string subscriptionId, Instant periodStart, CancellationToken cancellationToken)
    {
        await using var delete = Command(connection, transaction, _sql.DeletePendingAdjustment);
        delete.Parameters.Add(Text(subscriptionId));
        delete.Parameters.Add(P(Instants.Nanos(periodStart)));
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
