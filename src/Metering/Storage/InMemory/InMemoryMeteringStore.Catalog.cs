namespace Metering.Storage.InMemory;

public sealed partial class InMemoryMeteringStore
{
    private readonly HashSet<string> _archivedPlans = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<CatalogPlan>> ListPlansAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new([.. _plans.Where(p => p.Value.Count > 0).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new CatalogPlan(p.Value[^1], _archivedPlans.Contains(p.Key)))]);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Plan>> ListPlanVersionsAsync(string planKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        lock (_gate)
        {
            return new(_plans.TryGetValue(planKey, out var versions) ? [.. versions] : []);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> SetPlanArchivedAsync(string planKey, bool archived, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        lock (_gate)
        {
            if (FindPlan(planKey, null) is null)
            {
                return new(false);
            }

            if (archived)
            {
                _archivedPlans.Add(planKey);
            }
            else
            {
                _archivedPlans.Remove(planKey);
            }

            return new(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> IsPlanArchivedAsync(string planKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planKey);
        lock (_gate)
        {
            return new(_archivedPlans.Contains(planKey));
        }
    }
}
