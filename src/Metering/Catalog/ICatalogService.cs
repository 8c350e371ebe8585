namespace Metering;

/// <summary>
/// The catalog at run time: publish plans, list plans, their versions and the meters, archive plans, and what a
/// customer is billed for. Plans declared in <see cref="MeteringOptions"/> are published at startup the same way.
/// </summary>
/// <remarks>
/// Caching: this process caches each plan version it has seen (published versions never change) and sees its own
/// publishes, archives and unarchives at once. Another instance sees a new plan version the next time it looks the
/// plan up without a version (a subscribe or plan change to the latest version always reads the store), and a version
/// it has not cached when it is first asked for. The archived flag is never cached: every subscribe and plan change
/// reads it from the store, so an archive applies to every instance at once. A subscribe racing with an archive of its
/// plan may still go through.
/// </remarks>
public interface ICatalogService
{
    /// <summary>
    /// Publishes a plan definition: when the latest version has the same definition (<see cref="Plan.DefinitionEquals"/>)
    /// that version is returned unchanged; otherwise the definition is stored as the next version. Existing
    /// subscriptions stay on their version; new subscriptions without an explicit version get the latest one.
    /// Publishing a version of an archived plan does not unarchive it.
    /// </summary>
    /// <param name="plan">The definition (its <see cref="Plan.Version"/> is ignored).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored version.</returns>
    /// <exception cref="MeteringException">A charge prices a meter that is not declared (<see cref="MeteringErrorCode.Configuration"/>).</exception>
    ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken = default);

    /// <summary>A plan version, or the latest one when <paramref name="version"/> is null; null when there is no such version.</summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="version">The version, or null for the latest.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Plan?> GetPlanAsync(string planKey, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every plan: its latest version and whether it is archived, ordered by plan key (ordinal). Not paginated: a
    /// catalog holds a handful to a few hundred plans, which one call returns.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken = default);

    /// <summary>Every published version of a plan, oldest (version 1) first.</summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MeteringException">No version of the plan is published (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Archives a plan (all its versions): subscribing to it or changing a subscription to it is then refused with
    /// <see cref="MeteringErrorCode.InvalidState"/>; subscriptions already on it keep renewing and closing normally.
    /// Idempotent.
    /// </summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MeteringException">No version of the plan is published (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    ValueTask ArchivePlanAsync(string planKey, CancellationToken cancellationToken = default);

    /// <summary>Unarchives a plan: it takes new subscriptions again. Idempotent.</summary>
    /// <param name="planKey">The plan key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MeteringException">No version of the plan is published (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    ValueTask UnarchivePlanAsync(string planKey, CancellationToken cancellationToken = default);

    /// <summary>Every meter, ordered by key (ordinal).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Meter>> ListMetersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// What a customer is billed for: one <see cref="BillableItem"/> per subscription that has not ended, in the order
    /// <see cref="ISubscriptionService.ListAsync"/> returns them, with the prices of the plan version each is on.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MeteringException">The customer does not exist (<see cref="MeteringErrorCode.NotFound"/>).</exception>
    ValueTask<IReadOnlyList<BillableItem>> GetBillableItemsAsync(string customerId, CancellationToken cancellationToken = default);
}
