namespace Metering.Benchmarks.Load;

/// <summary>
/// A store whose load target also measures the close ceiling: the rows our period close wrote (invoices, the advanced
/// subscriptions, the close's events: the same bytes, read back from the run's store), written again into a fresh
/// database of the same schema the plainest way the store allows, with no reads, locks, pricing or serialization.
/// What writing those documents alone costs on this machine, for the close time to be read against.
/// </summary>
public interface ICloseCeiling
{
    /// <summary>What the close ceiling measures, as printed in the report.</summary>
    string CloseCeilingDescription { get; }

    /// <summary>Notes where the run's event log ends, so the ceiling takes only the events the close writes after it.</summary>
    ValueTask MarkBeforeCloseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads what the close wrote from the run's store (untimed), loads the subscriptions into a fresh database of the
    /// same schema (untimed), then times writing the invoices, subscription updates and events. Must not change the
    /// run's store.
    /// </summary>
    ValueTask<CloseCeilingRun> CloseCeilingAsync(CancellationToken cancellationToken);
}

/// <summary>What a close ceiling run wrote and how long it took.</summary>
/// <param name="Invoices">Invoices written (one subscription update each).</param>
/// <param name="Events">Events written.</param>
/// <param name="DocumentBytes">UTF-8 bytes of the invoice, subscription and event documents written.</param>
/// <param name="Elapsed">Wall time of the timed writes.</param>
public readonly record struct CloseCeilingRun(int Invoices, long Events, long DocumentBytes, TimeSpan Elapsed)
{
    /// <summary>Invoices per second.</summary>
    public double InvoicesPerSecond => Invoices / Elapsed.TotalSeconds;

    /// <summary>Document bytes per invoice (the invoice's, its subscription's and its share of the events').</summary>
    public double BytesPerInvoice => Invoices == 0 ? 0 : DocumentBytes / (double)Invoices;

    /// <summary>Splits <paramref name="count"/> items over <paramref name="invoices"/> invoices in order: the slice that goes with invoices [from, to).</summary>
    public static (int Start, int End) Share(int count, int invoices, int from, int to) =>
        ((int)((long)count * from / invoices), (int)((long)count * to / invoices));
}
