using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Validates <see cref="MeteringBackgroundOptions"/> once at startup, collecting every failure with the setting's name.</summary>
internal sealed class MeteringBackgroundOptionsValidator : IValidateOptions<MeteringBackgroundOptions>
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, MeteringBackgroundOptions options)
    {
        var failures = new List<string>();
        if (options.CloseInterval < MinInterval || options.CloseInterval > MaxInterval)
        {
            failures.Add($"MeteringBackgroundOptions.CloseInterval must be between 1 second and 1 day, but was {DurationText.Format(options.CloseInterval)}.");
        }

        if (options.CreditExpiryInterval < MinInterval || options.CreditExpiryInterval > MaxInterval)
        {
            failures.Add($"MeteringBackgroundOptions.CreditExpiryInterval must be between 1 second and 1 day, but was {DurationText.Format(options.CreditExpiryInterval)}.");
        }

        if (!(options.Jitter is >= 0 and <= 1))
        {
            failures.Add($"MeteringBackgroundOptions.Jitter must be between 0 and 1 (a fraction of the interval), but was {options.Jitter}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
