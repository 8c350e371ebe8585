using System.Globalization;

namespace Metering.Benchmarks.Load;

/// <summary>The load runner's settings, parsed from <c>load --store memory --producers 64 --records 1000000 [--batch N] [--quick]</c>.</summary>
public sealed record LoadOptions
{
    /// <summary>The usage text.</summary>
    public const string Usage =
        """
        usage: load [--store memory|sqlite|postgres] [--producers P] [--records R] [--batch N]
                    [--subscriptions S] [--reads N] [--listener] [--quick] [--instances N]
          --store          store to drive (default memory)
          --producers      concurrent producer tasks (default 64)
          --records        usage records to record in total (default 1,000,000; quick 200,000)
          --batch          records per call: 1 = RecordAsync, N > 1 = RecordBatchAsync (default 1)
          --subscriptions  customers with one subscription each, closed in the period close (default 100,000; quick 2,000)
          --reads          reads timed for the read latency (default 10,000)
          --listener       attach a MeterListener and an ActivityListener to Metering's telemetry for the whole run
          --quick          small run for CI and smoke checks (under a minute)
          --instances      postgres only: N OS processes record their share of --records concurrently into one
                           database, then all close the period at once; prints combined records/s and the
                           exactly-once checks (recorder and close phases only)
        """;

    /// <summary>Store name.</summary>
    public string Store { get; init; } = "memory";

    /// <summary>Concurrent producers.</summary>
    public int Producers { get; init; } = 64;

    /// <summary>Records in total.</summary>
    public int Records { get; init; } = 1_000_000;

    /// <summary>Records per recorder call.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Customers (one subscription each).</summary>
    public int Subscriptions { get; init; } = 100_000;

    /// <summary>Reads timed.</summary>
    public int Reads { get; init; } = 10_000;

    /// <summary>Instances (OS processes) for a multi-instance run; 0 for the ordinary in-process run.</summary>
    public int Instances { get; init; }

    /// <summary>True for the quick run.</summary>
    public bool Quick { get; init; }

    /// <summary>True to run with listeners on Metering's meter and activity source (their cost is what is measured).</summary>
    public bool Listener { get; init; }

    /// <summary>Parses the arguments after <c>load</c>; null with <paramref name="error"/> set when they are wrong.</summary>
    public static LoadOptions? Parse(ReadOnlySpan<string> args, out string? error)
    {
        error = null;
        bool quick = args.Contains("--quick");
        var options = new LoadOptions { Quick = quick, Listener = args.Contains("--listener"), Records = quick ? 200_000 : 1_000_000, Subscriptions = quick ? 2_000 : 100_000 };
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--quick" or "--listener")
            {
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"option '{name}' needs a value.";
                return null;
            }

            string value = args[++i];
            switch (name)
            {
                case "--store":
                    options = options with { Store = value.ToLowerInvariant() };
                    break;
                case "--producers":
                    options = options with { Producers = Positive(name, value, ref error) };
                    break;
                case "--records":
                    options = options with { Records = Positive(name, value, ref error) };
                    break;
                case "--batch":
                    options = options with { Batch = Positive(name, value, ref error) };
                    break;
                case "--subscriptions":
                    options = options with { Subscriptions = Positive(name, value, ref error) };
                    break;
                case "--reads":
                    options = options with { Reads = Positive(name, value, ref error) };
                    break;
                case "--instances":
                    options = options with { Instances = Positive(name, value, ref error) };
                    break;
                default:
                    error = $"unknown option '{name}'.";
                    return null;
            }

            if (error is not null)
            {
                return null;
            }
        }

        if (options.Instances > 0 && options.Store != "postgres")
        {
            error = $"--instances needs --store postgres (one database shared by OS processes), not '{options.Store}'.";
            return null;
        }

        if (options.Records < options.Producers * Math.Max(1, options.Instances))
        {
            error = $"--records ({options.Records}) must be at least --producers ({options.Producers}) per instance.";
            return null;
        }

        return options;
    }

    private static int Positive(string name, string value, ref string? error)
    {
        if (int.TryParse(value.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out int parsed) && parsed > 0)
        {
            return parsed;
        }

        error = $"option '{name}' needs a positive whole number, not '{value}'.";
        return 0;
    }
}
