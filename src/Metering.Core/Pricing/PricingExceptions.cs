namespace Metering;

/// <summary>
/// Thrown when a tier table for <see cref="PricingModel.Graduated"/> or <see cref="PricingModel.Volume"/>
/// is not valid: empty, unsorted, duplicate or negative bounds, negative prices, or an unbounded tier
/// that is not the last. The message names the tier (1-based) and the fix.
/// </summary>
public sealed class InvalidTierTableException : MeteringException
{
    /// <summary>Creates the exception for the tier at <paramref name="tierNumber"/> (1-based).</summary>
    public InvalidTierTableException(int tierNumber, string message)
        : base(message)
    {
        TierNumber = tierNumber;
    }

    /// <summary>The 1-based number of the offending tier in the table as given.</summary>
    public int TierNumber { get; }
}

/// <summary>
/// Thrown by <see cref="PlanBuilder.Build(int)"/> when a plan definition breaks a rule. The message
/// lists every problem found, each naming the plan, the item and the fix.
/// </summary>
public sealed class InvalidPlanException : MeteringException
{
    /// <summary>Creates the exception for plan <paramref name="planKey"/> with the problems found.</summary>
    public InvalidPlanException(string planKey, IReadOnlyList<string> problems)
        : base(FormatMessage(planKey, problems))
    {
        PlanKey = planKey;
        Problems = problems;
    }

    /// <summary>The key of the plan being built, as given.</summary>
    public string PlanKey { get; }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string FormatMessage(string planKey, IReadOnlyList<string> problems) =>
        problems.Count == 1
            ? $"Plan '{planKey}' is not valid: {problems[0]}"
            : $"Plan '{planKey}' is not valid ({problems.Count} problems): {string.Join(" ", problems)}";
}
