namespace Metering.Benchmarks.Load;

/// <summary>The <c>load</c> verb: parses options, picks the store, runs, prints the table and then one JSON line.</summary>
public static class LoadCommand
{
    /// <summary>Runs the load verb; returns the process exit code (0 ok, 1 checks failed, 2 bad usage or store unavailable).</summary>
    public static async Task<int> RunAsync(ReadOnlyMemory<string> args, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        if (args.Span.Contains("--help") || args.Span.Contains("-h"))
        {
            await output.WriteLineAsync(LoadOptions.Usage).ConfigureAwait(false);
            return 0;
        }

        var options = LoadOptions.Parse(args.Span, out var error);
        if (options is null)
        {
            await errors.WriteLineAsync($"load: {error}{Environment.NewLine}{LoadOptions.Usage}").ConfigureAwait(false);
            return 2;
        }

        if (options.Instances > 0)
        {
            return await MultiInstanceRun.RunAsync(options, output, errors, CancellationToken.None).ConfigureAwait(false);
        }

        await using var target = LoadTargets.Create(options.Store, out error);
        if (target is null)
        {
            await errors.WriteLineAsync($"load: {error}").ConfigureAwait(false);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var result = await new LoadRunner(options, target, errors).RunAsync(cancel.Token).ConfigureAwait(false);
        await output.WriteAsync(result.ToTable()).ConfigureAwait(false);
        await output.WriteLineAsync(result.ToJsonLine()).ConfigureAwait(false);
        return result.Problems.Count == 0 ? 0 : 1;
    }
}
