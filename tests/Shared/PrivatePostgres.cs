using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Metering.TestSupport;

/// <summary>
/// A throw-away PostgreSQL cluster from the Debian <c>postgresql</c> binaries (initdb + pg_ctl) in a temp
/// directory on a free loopback port, owned by and run as the <c>postgres</c> user when the caller is root
/// (PostgreSQL refuses to run as root). Compiled into the PostgreSQL tests and the benchmarks by link.
/// </summary>
internal sealed class PrivatePostgres
{
    private PrivatePostgres(string binDirectory, string root, int port)
    {
        BinDirectory = binDirectory;
        Root = root;
        Port = port;
        AdminConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres" }.ConnectionString;
    }

    /// <summary>The directory of initdb and pg_ctl that started it.</summary>
    public string BinDirectory { get; }

    /// <summary>The temp directory holding the cluster (deleted by <see cref="Stop"/>).</summary>
    public string Root { get; }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A superuser on the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

    private string DataDirectory => Path.Combine(Root, "data");

    /// <summary>
    /// Starts a cluster with extra <paramref name="serverSettings"/> (e.g. <c>-c fsync=off</c>). When no binaries
    /// are found, throws with <paramref name="missingBinaries"/> followed by how to install them.
    /// </summary>
    public static PrivatePostgres Start(string serverSettings, string missingBinaries)
    {
        var bin = FindBinDirectory(missingBinaries);
        var root = Path.Combine(Path.GetTempPath(), "metering-pg-" + Guid.NewGuid().ToString("N"));
        var sockets = Path.Combine(root, "sockets");
        Directory.CreateDirectory(sockets);
        if (IsRoot)
        {
            Run("chown", ["-R", "postgres:postgres", root], asPostgres: false);
        }

        int port = FreeLoopbackPort();
        var server = new PrivatePostgres(bin, root, port);
        Run(Path.Combine(bin, "initdb"), ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], asPostgres: true);
        var options = $"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 {serverSettings}";
        Run(Path.Combine(bin, "pg_ctl"), ["-D", server.DataDirectory, "-o", options, "-l", Path.Combine(root, "server.log"), "start", "-w"], asPostgres: true);
        return server;
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public void Stop()
    {
        try
        {
            Run(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "stop", "-m", "fast", "-w"], asPostgres: true);
        }
        finally
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static bool IsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    private static string FindBinDirectory(string missingBinaries)
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Path: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => HasBinaries(d.Path))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Path is not null)
            {
                return newest.Path;
            }
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasBinaries(directory))
            {
                return directory;
            }
        }

        throw new InvalidOperationException(
            $"{missingBinaries}: no initdb/pg_ctl was found under {debianRoot}/<version>/bin or on PATH. "
            + "Install the binaries (apt-get install postgresql) or set METERING_TEST_POSTGRES to an admin connection string, e.g. 'Host=localhost;Username=postgres;Password=...'.");
    }

    private static bool HasBinaries(string directory) =>
        File.Exists(Path.Combine(directory, "pg_ctl")) && File.Exists(Path.Combine(directory, "initdb"));

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] all = asPostgres && IsRoot ? ["-u", "postgres", "--", program, .. arguments] : arguments;
        start.FileName = asPostgres && IsRoot ? "runuser" : program;
        foreach (var argument in all)
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {program}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {output}");
        }

        static void Append(StringBuilder output, string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }
    }
}
