namespace Metering.Storage;

public partial interface IMeteringStore
{
    /// <summary>The latest version of every plan with whether the plan is archived, ordered by plan key (ordinal).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken);

    /// <summary>Every published version of <paramref name="planKey"/>, oldest first; empty when the plan is unknown.</summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken);

    /// <summary>
    /// Marks <paramref name="planKey"/> (all its versions, including ones published later) archived or not. Idempotent.
    /// </summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="archived">True to archive, false to unarchive.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when no version of the plan is published (nothing is written).</returns>
    ValueTask<bool> SetPlanArchivedAsync(string planKey, bool archived, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="planKey"/> is archived; false when it is not or is unknown.</summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> IsPlanArchivedAsync(string planKey, CancellationToken cancellationToken);
}
