namespace Metering;

/// <summary>
/// Thrown (<see cref="MeteringErrorCode.InvalidState"/>) when a subscribe or plan change targets an archived plan.
/// Unarchive it with <see cref="ICatalogService.UnarchivePlanAsync"/> or choose another plan.
/// </summary>
public sealed class PlanArchivedException : MeteringException
{
    /// <summary>Creates the exception for the archived plan.</summary>
    /// <param name="planKey">The archived plan's key.</param>
    public PlanArchivedException(string planKey)
        : base(MeteringErrorCode.InvalidState, $"Plan '{planKey}' is archived and takes no new subscriptions or plan changes; unarchive it with ICatalogService.UnarchivePlanAsync or choose another plan.") =>
        PlanKey = planKey;

    /// <summary>The archived plan's key.</summary>
    public string PlanKey { get; }
}
