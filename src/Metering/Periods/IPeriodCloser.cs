namespace Metering;

/// <summary>What one run of the period closer did.</summary>
/// <param name="Invoices">Invoices created by this run, in invoice-number order.</param>
/// <param name="AlreadyClosed">Periods found closed by someone else (another instance) meanwhile.</param>
/// <param name="CreditsExpired">Credit grants whose remainder expired in this run.</param>
public sealed record PeriodCloseReport(IReadOnlyList<Invoice> Invoices, int AlreadyClosed, int CreditsExpired)
{
    /// <summary>
    /// Subscriptions whose close failed in this run (each alone: the others were closed). Each is retried by a later
    /// run once its backoff has passed (<see cref="MeteringOptions.CloseRetryDelay"/>).
    /// </summary>
    public IReadOnlyList<PeriodCloseFailure> Failed { get; init; } = [];

    /// <summary>Customers whose due credit expiry failed in this run (each alone); retried by a later run after backoff.</summary>
    public IReadOnlyList<CreditExpiryFailure> CreditExpiryFailed { get; init; } = [];

    /// <summary>Due subscriptions skipped because an earlier failure's backoff has not passed yet.</summary>
    public int Deferred { get; init; }

    /// <summary>
    /// Closed periods whose backfill adjustment had not committed (a <see cref="IUsageRecorder.BackfillAsync"/> call that
    /// failed after storing its records) and that this run settled from their pending marker, with what was billed or
    /// credited; empty in the usual case.
    /// </summary>
    public IReadOnlyList<BackfillPeriod> SettledBackfills { get; init; } = [];
}

/// <summary>One subscription whose period close failed; nothing of that close was stored.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="PeriodStart">Start of the period that could not be closed.</param>
/// <param name="Reason">The failure's message.</param>
/// <param name="Exception">The failure.</param>
/// <param name="Attempts">Consecutive failed attempts of this period so far (1 on the first failure).</param>
/// <param name="RetryAfter">The earliest clock instant at which a run tries this subscription again.</param>
public sealed record PeriodCloseFailure(string SubscriptionId, Instant PeriodStart, string Reason, Exception Exception, int Attempts, Instant RetryAfter);

/// <summary>One customer whose due credit expiry failed; nothing of that expiry was stored.</summary>
/// <param name="CustomerId">The customer whose ledger could not be updated.</param>
/// <param name="Reason">The failure's message.</param>
/// <param name="Exception">The failure.</param>
/// <param name="Attempts">Consecutive failed attempts so far (1 on the first failure).</param>
/// <param name="RetryAfter">The earliest clock instant at which a run tries this ledger again.</param>
public sealed record CreditExpiryFailure(string CustomerId, string Reason, Exception Exception, int Attempts, Instant RetryAfter);

/// <summary>
/// Closes every billing period whose end plus the grace window has passed, one store transaction per
/// subscription period, each exactly once even when run concurrently or again after a crash; and
/// writes due credit expirations. One failing subscription or ledger never stops the others: it is
/// reported in <see cref="PeriodCloseReport.Failed"/>, logged, and retried by later runs with backoff.
/// Run it on a schedule (<c>AddMetering(...).RunInBackground()</c>), or advance a test clock and call it.
/// </summary>
public interface IPeriodCloser
{
    /// <summary>Closes everything due at the clock's now.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled (not reported as a failure).</exception>
    ValueTask<PeriodCloseReport> CloseDueAsync(CancellationToken cancellationToken = default);
}
