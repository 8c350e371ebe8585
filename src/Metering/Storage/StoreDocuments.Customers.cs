using System.Text.Json;

namespace Metering.Storage;

public static partial class StoreDocuments
{
    /// <summary>
    /// The details of a customer kept beside its id, name, zone and creation instant (email, metadata, last update) as a
    /// JSON document, or null when it has none.
    /// </summary>
    public static string? DetailsJson(Customer customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (customer.Email is null && customer.Metadata.Count == 0 && customer.UpdatedAt is null && customer.InvoiceApproval is null && customer.Contract is null)
        {
            return null;
        }

        var metadata = customer.Metadata.Count == 0 ? null : new Dictionary<string, string>(customer.Metadata, StringComparer.Ordinal);
        return JsonSerializer.Serialize(new CustomerDetailsDoc(customer.Email, metadata, customer.UpdatedAt is { } at ? Iso(at) : null, customer.InvoiceApproval, customer.Contract is { } terms ? Of(terms) : null), Context.CustomerDetailsDoc);
    }

    /// <summary><paramref name="customer"/> with the details read back from <see cref="DetailsJson"/> (null: none).</summary>
    public static Customer WithDetails(Customer customer, string? detailsJson)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (detailsJson is null)
        {
            return customer;
        }

        var doc = JsonSerializer.Deserialize(detailsJson, Context.CustomerDetailsDoc)
            ?? throw new JsonException("A stored customer details document is null.");
        return customer with
        {
            Email = doc.Email,
            Metadata = doc.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(doc.Metadata, StringComparer.Ordinal),
            UpdatedAt = doc.UpdatedAt is null ? null : ParseInstant(doc.UpdatedAt),
            InvoiceApproval = doc.InvoiceApproval,
            Contract = doc.Contract is { } contract ? ToContract(contract) : null,
        };
    }
}
