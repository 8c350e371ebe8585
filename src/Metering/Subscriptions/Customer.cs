using System.Collections.Immutable;

namespace Metering;

/// <summary>A customer of the host application that can hold subscriptions, record usage and own credits.</summary>
/// <param name="CustomerId">The host's own id for the customer (1 to 255 characters).</param>
/// <param name="Name">A display name, for invoices.</param>
/// <param name="TimeZoneId">
/// The customer's IANA time zone (e.g. <c>America/Jamaica</c>); billing periods start at local times in it. A change
/// (<see cref="ISubscriptionService.UpdateCustomerAsync"/>) applies to subscriptions from their next period.
/// </param>
/// <param name="CreatedAt">When the customer was created.</param>
/// <remarks>Two customers are equal when all their values are, metadata compared entry by entry.</remarks>
public sealed record Customer(string CustomerId, string? Name, string TimeZoneId, Instant CreatedAt)
{
    private static readonly ImmutableSortedDictionary<string, string> NoMetadata = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
    private readonly ImmutableSortedDictionary<string, string> _metadata = NoMetadata;

    /// <summary>An email address for invoices and notices, or null.</summary>
    public string? Email { get; init; }

    /// <summary>
    /// Free key/value pairs of the host (e.g. an external CRM id), sorted by key; at most
    /// <see cref="CustomerDetails.MaxMetadataEntries"/> entries.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get => _metadata;
        init => _metadata = value is null || value.Count == 0 ? NoMetadata : value.ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// How this customer's invoices are finalized (manual review or automatic), overriding
    /// <see cref="MeteringOptions.InvoiceApproval"/>; null follows the global option.
    /// </summary>
    public InvoiceApproval? InvoiceApproval { get; init; }

    /// <summary>
    /// The customer's contract terms (<see cref="ContractTerms"/>), or null: every subscription of the customer without
    /// terms of its own carries them (<see cref="Subscription.ContractInherited"/>), present and future ones; credit
    /// wallets never do. Set with <see cref="ISubscriptionService.SetCustomerContractAsync"/>.
    /// </summary>
    public ContractTerms? Contract { get; init; }

    /// <summary>When the customer's details last changed; null when never changed since creation.</summary>
    public Instant? UpdatedAt { get; init; }

    /// <inheritdoc/>
    public bool Equals(Customer? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (string.Equals(CustomerId, other.CustomerId, StringComparison.Ordinal)
                && string.Equals(Name, other.Name, StringComparison.Ordinal)
                && string.Equals(TimeZoneId, other.TimeZoneId, StringComparison.Ordinal)
                && CreatedAt == other.CreatedAt
                && string.Equals(Email, other.Email, StringComparison.Ordinal)
                && UpdatedAt == other.UpdatedAt
                && InvoiceApproval == other.InvoiceApproval
                && Equals(Contract, other.Contract)
                && _metadata.Count == other._metadata.Count
                && _metadata.All(e => other._metadata.TryGetValue(e.Key, out var v) && string.Equals(e.Value, v, StringComparison.Ordinal))));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(CustomerId, Name, TimeZoneId, CreatedAt, Email, _metadata.Count);
}
