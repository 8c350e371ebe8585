using System.Globalization;

namespace Metering;

/// <summary>
/// An entitlement a plan grants: a switch (<see cref="On"/>) or a numeric limit such as the maximum
/// number of seats (<see cref="Limited"/>). Keys follow the plan key rules and are unique in a plan.
/// </summary>
/// <param name="Key">The feature key, e.g. <c>sso</c> or <c>max_seats</c>.</param>
/// <param name="Enabled">Whether the plan grants the feature.</param>
/// <param name="Limit">A numeric entitlement (zero or more); null for unlimited or a plain on/off feature.</param>
public sealed record Feature(string Key, bool Enabled, decimal? Limit = null)
{
    /// <summary>A feature that is enabled without a limit.</summary>
    public static Feature On(string key) => new(key, true);

    /// <summary>A feature that the plan lists but does not grant.</summary>
    public static Feature Off(string key) => new(key, false);

    /// <summary>An enabled feature with a numeric limit, e.g. <c>Feature.Limited("max_seats", 10)</c>.</summary>
    public static Feature Limited(string key, decimal limit) => new(key, true, limit);

    /// <summary>E.g. <c>max_seats = 10</c>, <c>sso on</c>.</summary>
    public override string ToString() =>
        !Enabled ? $"{Key} off" : Limit is { } limit ? string.Create(CultureInfo.InvariantCulture, $"{Key} = {limit}") : $"{Key} on";
}

/// <summary>What happens to usage that would burn real-time credits when the customer has none left.</summary>
public enum CreditOverflow
{
    /// <summary>The usage runs into billable overage, invoiced at period close (the default).</summary>
    Overage,

    /// <summary>Further usage is rejected with <c>InsufficientCredits</c>.</summary>
    Block,
}
