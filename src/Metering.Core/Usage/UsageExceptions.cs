namespace Metering;

/// <summary>Thrown when a meter definition breaks a rule (bad key, missing or misplaced unique property, ...).</summary>
public sealed class InvalidMeterException : MeteringException
{
    /// <summary>Creates the exception for the meter <paramref name="meterKey"/> with a message that names the rule and the fix.</summary>
    public InvalidMeterException(string? meterKey, string message)
        : base(message)
    {
        MeterKey = meterKey;
    }

    /// <summary>The key of the meter being defined, as given (may be null or invalid itself).</summary>
    public string? MeterKey { get; }
}
