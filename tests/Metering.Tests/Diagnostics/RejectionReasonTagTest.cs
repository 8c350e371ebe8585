using Metering.Diagnostics;
using System.Text.RegularExpressions;

namespace Metering.Tests.Diagnostics;

/// <summary>
/// The <c>metering.rejection_reason</c> tag is a public contract (README, Metrics): every rejection reason has its own
/// snake_case name, so no reason (a new one included) is ever lumped under "other".
/// </summary>
public sealed class RejectionReasonTagTest
{
    [Fact]
    public void EveryReason_HasItsOwnSnakeCaseName()
    {
        var reasons = Enum.GetValues<UsageRejectionReason>();

        var names = reasons.Select(MeteringTelemetry.ReasonName).ToArray();

        names.Should().OnlyHaveUniqueItems().And.NotContain("other");
        names.Should().OnlyContain(n => Regex.IsMatch(n, "^[a-z]+(_[a-z]+)*$"));
        names.Select(n => n.Replace("_", "", StringComparison.Ordinal))
            .Should().Equal(reasons.Select(r => r.ToString().ToLowerInvariant()), "each name spells its member's words");
        MeteringTelemetry.ReasonName(UsageRejectionReason.NoActiveSubscription).Should().Be("no_active_subscription");
        MeteringTelemetry.ReasonName(UsageRejectionReason.TooManyGroups).Should().Be("too_many_groups");
        MeteringTelemetry.ReasonName(UsageRejectionReason.IdempotencyKeyConflict).Should().Be("idempotency_key_conflict");
    }
}
