using BenchmarkDotNet.Running;
using Metering.Benchmarks.Load;

namespace Metering.Benchmarks;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && string.Equals(args[0], "load", StringComparison.OrdinalIgnoreCase))
        {
            return await LoadCommand.RunAsync(args.AsMemory(1), Console.Out, Console.Error).ConfigureAwait(false);
        }

        if (args.Length > 0 && string.Equals(args[0], LoadChild.Verb, StringComparison.Ordinal))
        {
            return await LoadChild.RunAsync(args.AsMemory(1), Console.In, Console.Out, Console.Error).ConfigureAwait(false);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
