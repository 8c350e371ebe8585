namespace Metering.Benchmarks.Load;

/// <summary>The stores <c>--store</c> accepts. Register a new store here once its provider project exists.</summary>
public static class LoadTargets
{
    /// <summary>Every name <c>--store</c> knows, available or not.</summary>
    public static readonly IReadOnlyList<string> Names = ["memory", "sqlite", "postgres"];

    /// <summary>The target named <paramref name="name"/>, or null with a message saying why not.</summary>
    public static ILoadTarget? Create(string name, out string? error)
    {
        error = null;
        switch (name)
        {
            case "memory":
                return new InMemoryLoadTarget();
            case "sqlite":
                return new SqliteLoadTarget();
            case "postgres":
                return new PostgresLoadTarget();
            default:
                error = $"unknown store '{name}'; use one of: {string.Join(", ", Names)}.";
                return null;
        }
    }
}
