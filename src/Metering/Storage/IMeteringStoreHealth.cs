namespace Metering.Storage;

/// <summary>
/// Implemented by stores that can fail as a whole in the background (the SQLite store's single writer): the
/// <c>metering.store</c> health check reports such a fault as unhealthy until the store recovers.
/// </summary>
public interface IMeteringStoreHealth
{
    /// <summary>Why writes fail right now (e.g. the last transaction hit a disk I/O error), or null when the store is writing normally.</summary>
    Exception? CurrentFault { get; }
}
