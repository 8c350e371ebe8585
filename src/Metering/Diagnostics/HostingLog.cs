using Microsoft.Extensions.Logging;

namespace Metering.Diagnostics;

/// <summary>Log messages of startup and the background workers (event ids 1000-1999; a public contract, listed in README).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(1001, LogLevel.Information, "Metering started on {Store}: {Meters} meters and {Plans} plans declared in code applied.")]
    public static partial void Started(ILogger logger, string store, int meters, int plans);

    [LoggerMessage(1002, LogLevel.Critical, "Metering could not start on {Store}: the store could not be initialized or migrated, or a declaration was refused.")]
    public static partial void StartFailed(ILogger logger, Exception exception, string store);

    [LoggerMessage(1101, LogLevel.Information, "Metering background worker {Worker} started; runs every {Interval} (plus up to {Jitter:P0} jitter).")]
    public static partial void WorkerStarted(ILogger logger, string worker, TimeSpan interval, double jitter);

    [LoggerMessage(1102, LogLevel.Information, "Metering background worker {Worker} stopped.")]
    public static partial void WorkerStopped(ILogger logger, string worker);

    [LoggerMessage(1103, LogLevel.Error, "Metering background worker {Worker} run failed as a whole (e.g. the store is unreachable); it runs again after its interval.")]
    public static partial void WorkerRunFailed(ILogger logger, Exception exception, string worker);
}
