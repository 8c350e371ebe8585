using System.Collections.Concurrent;
using System.Globalization;

namespace Metering.Samples.WebPortal;

/// <summary>One email the portal "sent".</summary>
/// <param name="EventId">The billing event it answers (delivery is at least once: the outbox keeps one email per event).</param>
/// <param name="To">The customer's name or id.</param>
/// <param name="Subject">The subject line.</param>
/// <param name="At">When the event happened.</param>
public sealed record Email(string EventId, string To, string Subject, Instant At);

/// <summary>Where the portal's emails go; a real app hands them to its mail service.</summary>
public sealed class EmailOutbox
{
    private readonly ConcurrentDictionary<string, Email> _sent = new(StringComparer.Ordinal);
    private long _order;
    private readonly ConcurrentDictionary<string, long> _orderOf = new(StringComparer.Ordinal);
    private TaskCompletionSource _sentOne = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The emails, oldest first.</summary>
    public IReadOnlyList<Email> Sent => [.. _sent.Values.OrderBy(e => _orderOf[e.EventId])];

    /// <summary>Sends one email per event id (a redelivered event sends nothing again).</summary>
    public void Send(Email email)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (_sent.TryAdd(email.EventId, email))
        {
            _orderOf[email.EventId] = Interlocked.Increment(ref _order);
            Interlocked.Exchange(ref _sentOne, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>Completes when an email matching <paramref name="match"/> has been sent (at once when one already was).</summary>
    public async Task<Email> WhenSentAsync(Func<Email, bool> match, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        while (true)
        {
            var next = Volatile.Read(ref _sentOne).Task;
            if (Sent.FirstOrDefault(match) is { } email)
            {
                return email;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Turns billing events into customer emails, as a host's webhook-like handler would.</summary>
public sealed class PortalEmails(EmailOutbox outbox, ISubscriptionService subscriptions) : IBillingEventHandler
{
    /// <inheritdoc/>
    public async ValueTask HandleAsync(BillingEventDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var e = delivery.Event;
        var subject = e.Type switch
        {
            BillingEventType.InvoiceFinalized => $"Your invoice {e.SubjectId} is ready",
            BillingEventType.InvoicePaid => $"Thank you: invoice {e.SubjectId} is paid",
            BillingEventType.InvoicePaymentFailed => $"Payment for invoice {e.SubjectId} failed; please update your card",
            BillingEventType.SubscriptionRenewed => "Your subscription renewed",
            BillingEventType.SubscriptionCanceled => "Your subscription was canceled",
            BillingEventType.CreditsLow => "Your credit balance is running low",
            _ => null,
        };
        if (subject is null)
        {
            return;
        }

        var customer = await subscriptions.GetCustomerAsync(e.CustomerId, cancellationToken);
        outbox.Send(new Email(e.EventId, customer?.Name ?? e.CustomerId, string.Create(CultureInfo.InvariantCulture, $"{subject}"), e.OccurredAt));
    }
}
