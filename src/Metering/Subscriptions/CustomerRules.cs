using Metering.Storage;

namespace Metering;

/// <summary>
/// The decisions about a customer's details, made once: what a create or an update may contain, whether a repeated
/// create is the same customer, and how a time zone change reschedules the customer's subscriptions. Pure.
/// </summary>
internal static class CustomerRules
{
    /// <summary>Checks <paramref name="details"/> for customer <paramref name="customerId"/>.</summary>
    /// <exception cref="InvalidTextException">Text has a NUL or an unpaired surrogate.</exception>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: a value is too long, malformed or not an IANA zone.</exception>
    public static void Check(string customerId, CustomerDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        InputChecks.Optional(details.Name, "customer name");
        InputChecks.Optional(details.Email, "customer email");
        InputChecks.Optional(details.TimeZoneId, "time zone id");
        CheckLength(customerId, "email", details.Email);
        if (!string.IsNullOrEmpty(details.Email) && (details.Email.IndexOf('@', StringComparison.Ordinal) <= 0 || details.Email.Any(char.IsWhiteSpace)))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Email '{details.Email}' of customer '{customerId}' is not an email address; pass one such as 'billing@example.com', or an empty string to clear it.");
        }

        if (details.TimeZoneId is { } zoneId)
        {
            Zone(customerId, zoneId);
        }

        if (details.InvoiceApproval is { } approval && (!Enum.IsDefined(approval) || details.UseGlobalInvoiceApproval))
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Invoice approval {approval} of customer '{customerId}' is {(details.UseGlobalInvoiceApproval ? "given with UseGlobalInvoiceApproval" : "not defined")}; pass Automatic or Manual, or only UseGlobalInvoiceApproval to follow MeteringOptions.InvoiceApproval.");
        }

        CheckMetadata($"customer '{customerId}'", details.Metadata);
    }

    /// <summary>Checks metadata changes of <paramref name="owner"/> (e.g. <c>customer 'c1'</c>): key and value lengths, text.</summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: a key or value is too long or empty.</exception>
    public static void CheckMetadata(string owner, IReadOnlyDictionary<string, string>? changes)
    {
        if (changes is { } metadata)
        {
            TextRules.Check(metadata, owner.StartsWith("customer", StringComparison.Ordinal) ? "customer metadata" : "subscription metadata");
            foreach (var (key, value) in metadata)
            {
                if (key.Length is 0 or > CustomerDetails.MaxMetadataKeyLength)
                {
                    throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Metadata key '{key}' of {owner} has {key.Length} characters; use 1 to {CustomerDetails.MaxMetadataKeyLength}.");
                }

                if (value is null || value.Length > CustomerDetails.MaxMetadataValueLength)
                {
                    throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Metadata value of key '{key}' of {owner} is {(value is null ? "null" : $"{value.Length} characters long")}; use up to {CustomerDetails.MaxMetadataValueLength} characters, or an empty string to remove the key.");
                }
            }
        }
    }

    /// <summary>The zone <paramref name="zoneId"/>, or a typed error naming the customer.</summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: not an IANA zone id.</exception>
    public static DateTimeZone Zone(string customerId, string zoneId) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId)
        ?? throw new MeteringException(MeteringErrorCode.InvalidArgument, $"Time zone '{zoneId}' of customer '{customerId}' is not an IANA time zone id; use one such as 'UTC' or 'America/Jamaica'.");

    /// <summary>A new customer from checked <paramref name="details"/> (the name is kept as given).</summary>
    public static Customer Create(string customerId, CustomerDetails details, string defaultZoneId, Instant now) =>
        Apply(new Customer(customerId, details.Name, details.TimeZoneId ?? defaultZoneId, now), details with { Name = null }, updatedAt: null);

    /// <summary>
    /// True when <paramref name="requested"/>, given again to create <paramref name="existing"/>, asks for nothing else
    /// than it has: each detail given is the stored one (metadata: the same entries).
    /// </summary>
    public static bool Matches(Customer existing, CustomerDetails requested) =>
        (requested.Name is null || string.Equals(requested.Name, existing.Name, StringComparison.Ordinal))
        && (requested.TimeZoneId is null || string.Equals(requested.TimeZoneId, existing.TimeZoneId, StringComparison.Ordinal))
        && (requested.Email is null || string.Equals(NullIfEmpty(requested.Email), existing.Email, StringComparison.Ordinal))
        && (requested.InvoiceApproval is null || requested.InvoiceApproval == existing.InvoiceApproval)
        && (!requested.UseGlobalInvoiceApproval || existing.InvoiceApproval is null)
        && (requested.Metadata is null
            || (requested.Metadata.Count(e => e.Value.Length > 0) == existing.Metadata.Count
                && requested.Metadata.All(e => e.Value.Length == 0
                    ? !existing.Metadata.ContainsKey(e.Key)
                    : existing.Metadata.TryGetValue(e.Key, out var v) && string.Equals(v, e.Value, StringComparison.Ordinal))));

    /// <summary>
    /// The update of <paramref name="current"/> by checked <paramref name="changes"/>: the customer, and its active
    /// subscriptions moved to a new time zone from their next period (their running period keeps its bounds).
    /// </summary>
    public static CustomerChange DecideUpdate(Customer current, IReadOnlyList<Subscription> subscriptions, CustomerDetails changes, Instant now)
    {
        var updated = Apply(current, changes, now);
        if (updated with { UpdatedAt = current.UpdatedAt } == current)
        {
            return new CustomerChange(current, []);
        }

        var rescheduled = new List<Subscription>();
        if (!string.Equals(updated.TimeZoneId, current.TimeZoneId, StringComparison.Ordinal))
        {
            var zone = Zone(current.CustomerId, updated.TimeZoneId);
            foreach (var subscription in subscriptions)
            {
                if (subscription.EndedAt is null && !string.Equals(subscription.Schedule.Zone.Id, zone.Id, StringComparison.Ordinal))
                {
                    rescheduled.Add(subscription with { Schedule = subscription.Schedule.WithZone(zone), Revision = subscription.Revision + 1 });
                }
            }
        }

        return new CustomerChange(updated, rescheduled);
    }

    /// <summary>
    /// <paramref name="current"/> merged with checked <paramref name="changes"/> (an empty value removes its key) for
    /// <paramref name="owner"/> (e.g. <c>Subscription 's1'</c>); throws when the result has too many entries.
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.InvalidArgument"/>: more than <see cref="CustomerDetails.MaxMetadataEntries"/> entries.</exception>
    public static IReadOnlyDictionary<string, string> MergeMetadata(string owner, IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string>? changes)
    {
        if (changes is not { Count: > 0 })
        {
            return current;
        }

        var merged = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var (key, value) in changes)
        {
            if (value.Length == 0)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value;
            }
        }

        if (merged.Count > CustomerDetails.MaxMetadataEntries)
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"{owner} would have {merged.Count} metadata entries; keep at most {CustomerDetails.MaxMetadataEntries} (remove keys by setting them to an empty string).");
        }

        return merged;
    }

    private static Customer Apply(Customer customer, CustomerDetails details, Instant? updatedAt) =>
        customer with
        {
            Name = details.Name is null ? customer.Name : NullIfEmpty(details.Name),
            TimeZoneId = details.TimeZoneId ?? customer.TimeZoneId,
            Email = details.Email is null ? customer.Email : NullIfEmpty(details.Email),
            Metadata = MergeMetadata($"Customer '{customer.CustomerId}'", customer.Metadata, details.Metadata),
            InvoiceApproval = details.UseGlobalInvoiceApproval ? null : details.InvoiceApproval ?? customer.InvoiceApproval,
            UpdatedAt = updatedAt,
        };

    private static void CheckLength(string customerId, string what, string? value)
    {
        if (value is { Length: > CustomerDetails.MaxEmailLength })
        {
            throw new MeteringException(MeteringErrorCode.InvalidArgument, $"The {what} of customer '{customerId}' has {value.Length} characters; use up to {CustomerDetails.MaxEmailLength}.");
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
