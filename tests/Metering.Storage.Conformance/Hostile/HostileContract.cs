namespace Metering.Storage.Conformance.Hostile;

/// <summary>
/// What issue #11 promises for hostile input, in terms of the library's types: ill-formed text (a lone surrogate or NUL)
/// is <see cref="UsageRejectionReason.InvalidText"/> for a usage record and <see cref="InvalidTextException"/> for a
/// service call; a quantity over <see cref="MeteringLimits.MaxQuantity"/> is <see cref="UsageRejectionReason.QuantityOutOfRange"/>.
/// </summary>
public static class HostileContract
{
    /// <summary>The largest quantity of one record, used to generate values around the bound.</summary>
    public static decimal? MaxQuantity => MeteringLimits.MaxQuantity;

    /// <summary>The sweep answer of a usage record carrying ill-formed text.</summary>
    public const string RecordWithInvalidText = "Rejected(InvalidText)";

    /// <summary>The sweep answer of a service call storing ill-formed text.</summary>
    public const string CallWithInvalidText = "throws InvalidTextException";

    /// <summary>The sweep answer of a record whose quantity is over the bound.</summary>
    public const string RecordOutOfRange = "Rejected(QuantityOutOfRange)";

    /// <summary>What a record with these hostile parts must answer, or null when the contract leaves it to other rules.</summary>
    public static string? ForRecord(decimal quantity, params HostileText[] texts) =>
        texts.Any(t => !t.IsWellFormed) ? RecordWithInvalidText
        : quantity > MeteringLimits.MaxQuantity ? RecordOutOfRange
        : null;

    /// <summary>What a service call storing these texts must answer, or null when they are all well-formed.</summary>
    public static string? ForCall(params HostileText[] texts) => texts.Any(t => !t.IsWellFormed) ? CallWithInvalidText : null;

    /// <summary>Asserts every outcome was rejected because of ill-formed text.</summary>
    public static void CheckInvalidText(IReadOnlyList<UsageOutcome> outcomes) =>
        outcomes.Should().OnlyContain(o => o.Kind == UsageOutcomeKind.Rejected && o.Rejection!.Value.Reason == UsageRejectionReason.InvalidText);

    /// <summary>Asserts <paramref name="call"/> refuses ill-formed text with <see cref="InvalidTextException"/>.</summary>
    public static async Task ThrowsInvalidTextAsync(Func<Task> call) =>
        await call.Should().ThrowAsync<InvalidTextException>();
}
