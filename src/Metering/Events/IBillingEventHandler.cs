namespace Metering;

/// <summary>
/// Receives billing events (emails, webhooks, accounting), registered with
/// <c>AddMetering(...).AddEventHandler&lt;T&gt;()</c>. Delivery is at least once, in store order: the handler's checkpoint
/// moves only after it returned, so after a crash or a lease takeover an event may come again with the same
/// <see cref="BillingEvent.EventId"/> — deduplicate on it where a repeat matters. A throwing handler is retried with
/// capped exponential backoff and, after <see cref="EventHandlerOptions.MaxAttempts"/>, the event is parked (see
/// <see cref="IEventDeliveryService"/>) and delivery goes on. Resolved from a new DI scope for each delivery.
/// </summary>
public interface IBillingEventHandler
{
    /// <summary>Handles one event. Throw to have it retried; honour <paramref name="cancellationToken"/> (shutdown or <see cref="EventHandlerOptions.Timeout"/>).</summary>
    /// <param name="delivery">The event and how it is being delivered.</param>
    /// <param name="cancellationToken">Cancelled when the host stops or the attempt times out.</param>
    ValueTask HandleAsync(BillingEventDelivery delivery, CancellationToken cancellationToken);
}

/// <summary>One delivery of a billing event to a handler.</summary>
/// <param name="Handler">The handler's name (its checkpoint's key).</param>
/// <param name="Sequence">The event's sequence number in the store.</param>
/// <param name="Event">The event.</param>
/// <param name="Attempt">1 for the first attempt of this delivery, then 2, 3, ... for its retries.</param>
/// <param name="IsRedelivery">Whether the event was parked and is delivered again on request.</param>
public sealed record BillingEventDelivery(string Handler, long Sequence, BillingEvent Event, int Attempt, bool IsRedelivery);
