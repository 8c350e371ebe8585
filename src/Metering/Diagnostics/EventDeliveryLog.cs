using Microsoft.Extensions.Logging;

namespace Metering.Diagnostics;

/// <summary>Log messages of event delivery (event ids 1200-1299; a public contract, listed in README).</summary>
internal static partial class EventDeliveryLog
{
    [LoggerMessage(1201, LogLevel.Information, "Metering delivers billing events to handler {Handler} from instance {Instance}.")]
    public static partial void HandlerStarted(ILogger logger, string handler, string instance);

    [LoggerMessage(1202, LogLevel.Warning, "Handler {Handler} failed on event {EventId} ({EventType}), attempt {Attempt} of {MaxAttempts}; next attempt in {RetryIn}.")]
    public static partial void AttemptFailed(ILogger logger, Exception exception, string handler, string eventId, BillingEventType eventType, int attempt, int maxAttempts, TimeSpan retryIn);

    [LoggerMessage(1203, LogLevel.Error, "Handler {Handler} failed {Attempts} times on event {EventId} ({EventType}); the event is parked (re-drive it with IEventDeliveryService) and delivery goes on.")]
    public static partial void Parked(ILogger logger, Exception exception, string handler, string eventId, BillingEventType eventType, int attempts);

    [LoggerMessage(1204, LogLevel.Information, "Handler {Handler}: another instance holds the delivery lease; this instance stands by.")]
    public static partial void LeaseHeldElsewhere(ILogger logger, string handler);

    [LoggerMessage(1205, LogLevel.Error, "Handler {Handler}: delivery failed as a whole (e.g. the store is unreachable); retrying in {RetryIn}.")]
    public static partial void PumpFailed(ILogger logger, Exception exception, string handler, TimeSpan retryIn);

    [LoggerMessage(1206, LogLevel.Information, "Handler {Handler}: parked event {EventId} was redelivered successfully.")]
    public static partial void Redelivered(ILogger logger, string handler, string eventId);
}
