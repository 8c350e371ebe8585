using Metering.Storage;

namespace Metering;

/// <summary>How events are delivered to one handler, set in <c>AddEventHandler</c> and checked when it is registered.</summary>
public sealed class EventHandlerOptions
{
    /// <summary>The longest handler name (200 characters).</summary>
    public const int MaxNameLength = 200;

    /// <summary>
    /// The handler's durable name: its checkpoint, lease and parked events are kept under it, so keep it stable across
    /// releases (renaming it starts a new handler). Default: the handler type's full name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Where the handler starts the first time it is seen (default <see cref="EventHandlerStart.Beginning"/>: every event ever stored).</summary>
    public EventHandlerStart Start { get; set; } = EventHandlerStart.Beginning;

    /// <summary>How many times one event is attempted before it is parked (default 5, 1 to 100).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry (default 1 second); it doubles each retry up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries (default 1 minute).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may run before it is cancelled and counted as failed (default 1 minute).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many events are read per store round trip (default 256, 1 to 10,000); the checkpoint is written once per batch.</summary>
    public int BatchSize { get; set; } = 256;

    internal void Validate(string name)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || !TextRules.IsValid(name))
        {
            failures.Add($"EventHandlerOptions.Name must be 1 to {MaxNameLength} characters of valid text.");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            failures.Add($"EventHandlerOptions.MaxAttempts must be between 1 and 100, but was {MaxAttempts}.");
        }

        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff || MaxBackoff > TimeSpan.FromDays(1))
        {
            failures.Add($"EventHandlerOptions.InitialBackoff ({DurationText.Format(InitialBackoff)}) must be at least 0 and at most MaxBackoff ({DurationText.Format(MaxBackoff)}), which must be at most 1 day.");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromDays(1))
        {
            failures.Add($"EventHandlerOptions.Timeout must be more than 0 and at most 1 day, but was {DurationText.Format(Timeout)}.");
        }

        if (BatchSize is < 1 or > 10_000)
        {
            failures.Add($"EventHandlerOptions.BatchSize must be between 1 and 10,000, but was {BatchSize}.");
        }

        if (failures.Count > 0)
        {
            throw new MeteringException($"Event handler '{(TextRules.IsValid(name) ? name : "(invalid name)")}' is misconfigured: {string.Join(" ", failures)}");
        }
    }
}

/// <summary>Settings shared by every handler's delivery, validated at startup.</summary>
public sealed class EventDeliveryOptions
{
    /// <summary>Whether this instance delivers events (default true). Turn it off on instances that should only record.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often an idle handler looks for new events (default 250 ms, 10 ms to 1 minute): the bound on delivery lag.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long a handler's lease lasts unless renewed (default 30 seconds, 1 second to 1 hour): when an instance dies,
    /// another takes its handlers over after this long.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>This instance's name in leases (default machine name, process id and a random suffix).</summary>
    public string? InstanceId { get; set; }
}
