namespace Metering;

/// <summary>What one run of the period closer did.</summary>
/// <param name="Invoices">Invoices created by this run, in invoice-number order.</param>
/// <param name="AlreadyClosed">Periods found closed by someone else (another instance) meanwhile.</param>
/// <param name="CreditsExpired">Credit grants whose remainder expired in this run.</param>
public sealed record PeriodCloseReport(IReadOnlyList<Invoice> Invoices, int AlreadyClosed, int CreditsExpired);

/// <summary>
/// Closes every billing period whose end plus the grace window has passed, one store transaction per
/// subscription period, each exactly once even when run concurrently or again after a crash; and
/// writes due credit expirations. Run it on a schedule (or advance a test clock and call it).
/// </summary>
public interface IPeriodCloser
{
    /// <summary>Closes everything due at the clock's now.</summary>
    ValueTask<PeriodCloseReport> CloseDueAsync(CancellationToken cancellationToken = default);
}
