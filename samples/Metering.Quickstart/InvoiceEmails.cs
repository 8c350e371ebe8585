using System.Collections.Concurrent;
using System.Globalization;

namespace Metering.Quickstart;

/// <summary>Where the demo's "emails" go: a real app would hand them to its mail service.</summary>
public sealed class EmailOutbox
{
    private readonly ConcurrentQueue<string> _sent = new();

    /// <summary>The emails sent so far, in order.</summary>
    public IReadOnlyList<string> Sent => [.. _sent];

    /// <summary>Queues one email.</summary>
    public void Send(string to, string subject) => _sent.Enqueue($"To: {to} | {subject}");
}

/// <summary>
/// A billing-event handler, as a host writes one: it turns invoice and renewal events into customer emails. Delivery
/// is at least once, so a real sender would remember <see cref="BillingEvent.EventId"/>s it has sent.
/// </summary>
public sealed class InvoiceEmails(EmailOutbox outbox, ISubscriptionService subscriptions) : IBillingEventHandler
{
    /// <inheritdoc/>
    public async ValueTask HandleAsync(BillingEventDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var e = delivery.Event;
        var subject = e.Type switch
        {
            BillingEventType.InvoiceFinalized => $"Your invoice {e.SubjectId} is ready",
            BillingEventType.InvoicePaymentFailed => $"Payment for invoice {e.SubjectId} failed; please update your card",
            BillingEventType.SubscriptionRenewed => "Your Shipping Pro subscription renewed",
            _ => null,
        };
        if (subject is null)
        {
            return;
        }

        var customer = await subscriptions.GetCustomerAsync(e.CustomerId, cancellationToken);
        outbox.Send(customer?.Name ?? e.CustomerId, string.Create(CultureInfo.InvariantCulture, $"{subject} (event {e.Type})"));
    }
}
