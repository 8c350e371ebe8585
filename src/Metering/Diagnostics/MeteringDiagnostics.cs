namespace Metering;

/// <summary>
/// Names of Metering's telemetry, for hosts that subscribe to it (e.g. OpenTelemetry's <c>AddMeter</c> and
/// <c>AddSource</c>). Instrument names, units and tags are a public contract, listed in README.
/// </summary>
public static class MeteringDiagnostics
{
    /// <summary>The name of the one <see cref="System.Diagnostics.Metrics.Meter"/> Metering reports on: <c>Metering</c>.</summary>
    public const string MeterName = "Metering";

    /// <summary>The name of the one <see cref="System.Diagnostics.ActivitySource"/> Metering traces on: <c>Metering</c>.</summary>
    public const string ActivitySourceName = "Metering";
}
