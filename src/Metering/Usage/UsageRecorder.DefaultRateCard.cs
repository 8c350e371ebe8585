namespace Metering;

// MeteringOptions.DefaultCreditRateCard: the usage of a customer with no subscription covering a record is priced by
// the default rate card, through the customer's credit wallet, attached on first use.
internal sealed partial class UsageRecorder
{
    /// <summary>
    /// How far before the first record's arrival a wallet attached on first use starts: the grace window, so records
    /// that arrive late within it are covered (kept a minute inside <see cref="MeteringOptions.MaxBackdatedStart"/>).
    /// </summary>
    private static Duration DefaultWalletBackdate(MeteringOptions options)
    {
        var limit = options.MaxBackdatedStart - Duration.FromMinutes(1);
        var backdate = options.GracePeriod < limit ? options.GracePeriod : limit;
        return backdate < Duration.Zero ? Duration.Zero : backdate;
    }

    /// <summary>
    /// True when a record no subscription covers should go to the customer's wallet on the default rate card: one is
    /// set, the record does not name another subscription, and the customer has no such wallet yet (an existing wallet
    /// that does not cover the record, e.g. an ended one, is not attached again).
    /// </summary>
    private bool ShouldAttachDefaultWallet(UsageRecord record, Subscription[] candidates)
    {
        if (_defaultRateCard is not { } key)
        {
            return false;
        }

        var walletId = CreditWallets.IdFor(record.CustomerId, key);
        if (record.SubscriptionId is { } wanted && !string.Equals(wanted, walletId, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var subscription in candidates)
        {
            if (string.Equals(subscription.SubscriptionId, walletId, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Attaches the customer's wallet on the default rate card (the path of <see cref="ICreditService.AttachRateCardAsync"/>,
    /// idempotent also under concurrent first records) and returns the customer's subscriptions read again; or a
    /// <c>NoActiveSubscription</c> rejection saying why the wallet could not be attached.
    /// </summary>
    private async ValueTask<(Subscription[]? Subscriptions, UsageOutcome? Failure)> AttachDefaultWalletAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        var key = _defaultRateCard!;
        try
        {
            await wallets.AttachRateCardAsync(record.CustomerId, key, clock.GetCurrentInstant() - _walletBackdate, cancellationToken).ConfigureAwait(false);
        }
        catch (MeteringException e) when (e.ErrorCode is MeteringErrorCode.NotFound or MeteringErrorCode.InvalidState or MeteringErrorCode.InvalidArgument)
        {
            return (null, UsageOutcome.Rejected(new UsageRejection(
                UsageRejectionReason.NoActiveSubscription,
                $"Customer '{record.CustomerId}' has no subscription active at {record.Timestamp}, and its wallet on the default credit rate card '{key}' could not be attached: {e.Message}")));
        }

        var refreshed = await subscriptions.RefreshAsync(record.CustomerId, cancellationToken).ConfigureAwait(false);
        return refreshed is null
            ? (null, UsageOutcome.Rejected(UsageRejection.UnknownCustomer(record.CustomerId)))
            : (refreshed, null);
    }
}
