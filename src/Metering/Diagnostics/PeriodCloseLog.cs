using Microsoft.Extensions.Logging;

namespace Metering.Diagnostics;

/// <summary>Log messages of period close and credit expiry (event ids 2000-2999; a public contract, listed in README).</summary>
internal static partial class PeriodCloseLog
{
    [LoggerMessage(2001, LogLevel.Information, "Period close run finished in {DurationMs} ms: {Invoices} invoices, {Failed} failed, {Deferred} deferred after earlier failures, {AlreadyClosed} already closed, {CreditsExpired} credit grants expired.")]
    public static partial void RunCompleted(ILogger logger, double durationMs, int invoices, int failed, int deferred, int alreadyClosed, int creditsExpired);

    [LoggerMessage(2002, LogLevel.Error, "Closing period {PeriodStart} of subscription '{SubscriptionId}' failed (attempt {Attempts}); nothing was stored, other subscriptions go on, retry after {RetryAfter}.")]
    public static partial void CloseFailed(ILogger logger, Exception exception, string subscriptionId, Instant periodStart, int attempts, Instant retryAfter);

    [LoggerMessage(2003, LogLevel.Debug, "Subscription '{SubscriptionId}' is due but waits for its retry backoff after an earlier failure.")]
    public static partial void CloseDeferred(ILogger logger, string subscriptionId);

    [LoggerMessage(2004, LogLevel.Information, "Subscription '{SubscriptionId}' closed after {Attempts} failed attempts.")]
    public static partial void CloseRecovered(ILogger logger, string subscriptionId, int attempts);

    [LoggerMessage(2007, LogLevel.Warning, "A batch of {Count} period closes failed as a whole; nothing of it was stored and each subscription is closed on its own instead.")]
    public static partial void ChunkFallback(ILogger logger, Exception exception, int count);
    [LoggerMessage(2005, LogLevel.Warning, "Period {PeriodStart} of subscription '{SubscriptionId}' had backfilled usage whose adjustment did not commit (the backfill call failed after its append); it was settled now.")]
    public static partial void BackfillSettled(ILogger logger, string subscriptionId, Instant periodStart);

    [LoggerMessage(2006, LogLevel.Error, "Settling the backfill of period {PeriodStart} of subscription '{SubscriptionId}' failed; its marker stays and a later run tries again, other periods go on.")]
    public static partial void BackfillSettleFailed(ILogger logger, Exception exception, string subscriptionId, Instant periodStart);

    [LoggerMessage(2101, LogLevel.Error, "Expiring due credits of customer '{CustomerId}' failed (attempt {Attempts}); nothing was stored, other customers go on, retry after {RetryAfter}.")]
    public static partial void CreditExpiryFailed(ILogger logger, Exception exception, string customerId, int attempts, Instant retryAfter);
}
