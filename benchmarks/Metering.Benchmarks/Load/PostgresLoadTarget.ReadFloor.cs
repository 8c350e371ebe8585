using Npgsql;

namespace Metering.Benchmarks.Load;

/// <summary>The PostgreSQL read floor: a prepared <c>SELECT 1</c> on a pooled connection, one round trip per read.</summary>
public sealed partial class PostgresLoadTarget : IReadFloor
{
    /// <inheritdoc/>
    public string ReadFloorDescription =>
        $"open a pooled connection, run a prepared SELECT 1 (one round trip), close it; the pool settings of the store (Max Auto Prepare=64, No Reset On Close); server: {_settings}";

    /// <inheritdoc/>
    public async ValueTask<LatencySummary> ReadFloorAsync(int reads, CancellationToken cancellationToken)
    {
        EnsureServer();
        var builder = new NpgsqlDataSourceBuilder(CreateDatabase());
        builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        var dataSource = builder.Build();
        await using (dataSource.ConfigureAwait(false))
        {
            return await ReadFloorTiming.TimeAsync(
                reads,
                async ct =>
                {
                    var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                    await using (connection.ConfigureAwait(false))
                    {
                        var command = new NpgsqlCommand("SELECT 1", connection);
                        await using (command.ConfigureAwait(false))
                        {
                            _ = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
    }
}
