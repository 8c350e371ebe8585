namespace Metering;

/// <summary>A customer of the host application that can hold subscriptions, record usage and own credits.</summary>
/// <param name="CustomerId">The host's own id for the customer (1 to 255 characters).</param>
/// <param name="Name">A display name, for invoices.</param>
/// <param name="TimeZoneId">The customer's IANA time zone (e.g. <c>America/Jamaica</c>); billing periods start at local times in it.</param>
/// <param name="CreatedAt">When the customer was created.</param>
public sealed record Customer(string CustomerId, string? Name, string TimeZoneId, Instant CreatedAt);
