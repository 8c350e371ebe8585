using Metering.Storage;
using static Metering.Sqlite.Serialization.SqliteValues;

namespace Metering.Sqlite.Storage;

/// <summary>The writer's backfill markers: written before a backfill's append, deleted by the period's adjustment.</summary>
internal sealed partial class SqliteWriter
{
    public bool MarkPendingAdjustments(IReadOnlyList<PendingAdjustment> markers)
    {
        foreach (var marker in markers)
        {
            Sql("INSERT INTO pending_adjustments (subscription_id, period_start, reason, created_at) VALUES ($s, $p, $r, $c) ON CONFLICT (subscription_id, period_start) DO NOTHING", "$s", "$p", "$r", "$c")
                .With(marker.SubscriptionId, Nanos(marker.PeriodStart), marker.Reason, Nanos(marker.CreatedAt))
                .ExecuteNonQuery();
        }

        return true;
    }

    private void DeletePendingAdjustment(string subscriptionId, long periodStart) =>
        Sql("DELETE FROM pending_adjustments WHERE subscription_id = $s AND period_start = $p", "$s", "$p")
            .With(subscriptionId, periodStart)
            .ExecuteNonQuery();
}
