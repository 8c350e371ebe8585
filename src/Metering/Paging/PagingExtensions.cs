using System.Runtime.CompilerServices;

namespace Metering;

/// <summary>
/// Every paged listing as an <see cref="IAsyncEnumerable{T}"/>, so callers need no paging loop: pages are fetched
/// lazily as the enumeration goes on, with the listing's own order and page size.
/// </summary>
/// <example>
/// <code>
/// await foreach (var invoice in invoices.ListAllAsync("merchant-42", cancellationToken))
/// {
///     Console.WriteLine($"{invoice.Number}: {invoice.Content.Total}");
/// }
/// </code>
/// </example>
public static class PagingExtensions
{
    /// <summary>All of a customer's invoices, newest first (see <see cref="IInvoiceService.ListAsync(string, string?, int, CancellationToken)"/>).</summary>
    public static IAsyncEnumerable<Invoice> ListAllAsync(this IInvoiceService invoices, string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invoices);
        return EnumerateAsync((cursor, token) => invoices.ListAsync(customerId, cursor, 100, token), cancellationToken);
    }

    /// <summary>Every customer's invoices in <paramref name="status"/>, oldest first (see <see cref="IInvoiceService.ListByStatusAsync"/>).</summary>
    public static IAsyncEnumerable<Invoice> ListAllByStatusAsync(this IInvoiceService invoices, InvoiceStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invoices);
        return EnumerateAsync((cursor, token) => invoices.ListByStatusAsync(status, cursor, 100, token), cancellationToken);
    }

    /// <summary>All of a customer's credit transactions, in ledger order (see <see cref="ICreditService.ListTransactionsAsync(string, string?, int, CancellationToken)"/>).</summary>
    public static IAsyncEnumerable<CreditTransaction> ListAllTransactionsAsync(this ICreditService credits, string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credits);
        return EnumerateAsync((cursor, token) => credits.ListTransactionsAsync(customerId, cursor, 200, token), cancellationToken);
    }

    /// <summary>The usage of every period of a subscription, newest first (see <see cref="IUsageQuery.GetHistoryAsync"/>).</summary>
    public static IAsyncEnumerable<PeriodUsage> GetAllHistoryAsync(this IUsageQuery usage, string subscriptionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return EnumerateAsync((cursor, token) => usage.GetHistoryAsync(subscriptionId, cursor, 24, token), cancellationToken);
    }

    /// <summary>Enumerates any cursor-paged listing: <paramref name="fetch"/> gets the cursor (null first) and returns a page.</summary>
    /// <typeparam name="T">Item type.</typeparam>
    /// <param name="fetch">Reads one page after the cursor.</param>
    /// <param name="cancellationToken">Cancels the enumeration (also passed to each fetch).</param>
    public static async IAsyncEnumerable<T> EnumerateAsync<T>(Func<string?, CancellationToken, ValueTask<Page<T>>> fetch, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        string? cursor = null;
        do
        {
            var page = await fetch(cursor, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }
}
