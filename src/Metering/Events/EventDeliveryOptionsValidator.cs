using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Validates <see cref="EventDeliveryOptions"/> once at startup, collecting every failure with the setting's name.</summary>
internal sealed class EventDeliveryOptionsValidator : IValidateOptions<EventDeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, EventDeliveryOptions options)
    {
        var failures = new List<string>();
        if (options.PollInterval < TimeSpan.FromMilliseconds(10) || options.PollInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"EventDeliveryOptions.PollInterval must be between 10 ms and 1 minute, but was {DurationText.Format(options.PollInterval)}.");
        }

        if (options.LeaseDuration < TimeSpan.FromSeconds(1) || options.LeaseDuration > TimeSpan.FromHours(1))
        {
            failures.Add($"EventDeliveryOptions.LeaseDuration must be between 1 second and 1 hour, but was {DurationText.Format(options.LeaseDuration)}.");
        }

        if (options.InstanceId is { } id && (id.Length is 0 or > EventHandlerOptions.MaxNameLength || !TextRules.IsValid(id)))
        {
            failures.Add($"EventDeliveryOptions.InstanceId must be 1 to {EventHandlerOptions.MaxNameLength} characters of valid text.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
