namespace Metering.PostgreSql.Tests;

/// <summary>Heavy tests (throughput figures, child processes) run alone, after the parallel ones, so they neither skew nor starve them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementsCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Measurements";
}
