namespace Metering;

/// <summary>
/// Details of a customer to create (<see cref="ISubscriptionService.CreateCustomerAsync(string, CustomerDetails, CancellationToken)"/>)
/// or to change (<see cref="ISubscriptionService.UpdateCustomerAsync"/>). A null member sets nothing: the default when
/// creating, the stored value when updating.
/// </summary>
public sealed record CustomerDetails
{
    /// <summary>The most metadata entries a customer keeps.</summary>
    public const int MaxMetadataEntries = 50;

    /// <summary>The longest metadata key, in UTF-16 code units.</summary>
    public const int MaxMetadataKeyLength = 40;

    /// <summary>The longest metadata value, in UTF-16 code units.</summary>
    public const int MaxMetadataValueLength = 500;

    /// <summary>The longest email address, in UTF-16 code units.</summary>
    public const int MaxEmailLength = 320;

    /// <summary>A display name; an empty string clears it.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// An IANA time zone id. When it changes, the running period of each active subscription keeps its end, and the
    /// periods after it start at the anchor's local time in the new zone. The period in between is a little shorter or
    /// longer than a full one: when shorter, its base fee is prorated against the new zone's full period it ends; when
    /// longer (by less than a period), it is billed as one full period.
    /// </summary>
    public string? TimeZoneId { get; init; }

    /// <summary>An email address; an empty string clears it.</summary>
    public string? Email { get; init; }

    /// <summary>
    /// The customer's own invoice approval (e.g. <see cref="InvoiceApproval.Manual"/> review for one customer while the
    /// global <see cref="MeteringOptions.InvoiceApproval"/> is automatic); null leaves it as it is (when creating: follow
    /// the global option). Applies to invoices created after the change.
    /// </summary>
    public InvoiceApproval? InvoiceApproval { get; init; }

    /// <summary>True to drop the customer's own invoice approval so the global option applies again (cannot be combined with <see cref="InvoiceApproval"/>).</summary>
    public bool UseGlobalInvoiceApproval { get; init; }

    /// <summary>
    /// Metadata entries to set, merged into the stored ones; an entry whose value is empty removes that key. Keys are
    /// 1 to <see cref="MaxMetadataKeyLength"/> characters, values up to <see cref="MaxMetadataValueLength"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
