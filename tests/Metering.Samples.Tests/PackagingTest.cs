namespace Metering.Samples.Tests;

using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;

/// <summary>
/// Packs every shipped project (src/) with a version no cache can hold, then restores, builds and runs a
/// throwaway app that consumes them from a local folder only (third-party dependencies from nuget.org or the
/// machine's package cache), so a package that is broken (missing dependency, missing assembly) fails here.
/// </summary>
public class PackagingTest
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Packages_WorkWhenConsumedFromALocalFolder()
    {
        var repo = FindRepositoryRoot();
        var work = Directory.CreateTempSubdirectory("metering-packages-");
        try
        {
            // A unique prerelease version: a stale Metering 0.1.0 in any cache cannot stand in for what was just packed.
            var version = "0.1.0-check.r" + Guid.NewGuid().ToString("N")[..12];
            var feed = Path.Combine(work.FullName, "feed");

            // Packed with its own artifacts path, so the repository's bin/ and obj/ are left alone.
            var pack = await DotnetAsync(repo, $"pack \"{Path.Combine(repo, "Metering.sln")}\" -c Release -o \"{feed}\" --artifacts-path \"{Path.Combine(work.FullName, "artifacts")}\" -p:Version={version} --disable-build-servers");
            pack.ExitCode.Should().Be(0, pack.Output);

            var shipped = Directory.GetDirectories(Path.Combine(repo, "src"))
                .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
                .Select(Path.GetFileName)
                .ToList();
            shipped.Should().Contain(["Metering.Core", "Metering", "Metering.Testing"]);
            foreach (var id in shipped)
            {
                CheckPackage(feed, id!, version);
            }

            var consumer = Path.Combine(work.FullName, "consumer");
            WriteConsumer(consumer, feed, Path.Combine(work.FullName, "packages"), version, repo);
            var run = await DotnetAsync(consumer, "run -c Release --disable-build-servers");
            run.ExitCode.Should().Be(0, run.Output);

            // 2,999.00 base fee + 150 packages × 50.00 + 12 returns × 100.00 = 11,699.00 JMD.
            run.Output.Should().Contain("Total: 11699.00 JMD");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void CheckPackage(string feed, string id, string version)
    {
        var nupkg = Path.Combine(feed, $"{id}.{version}.nupkg");
        var snupkg = Path.Combine(feed, $"{id}.{version}.snupkg");
        File.Exists(nupkg).Should().BeTrue($"{id} is shipped from src/ and must be packed");
        File.Exists(snupkg).Should().BeTrue($"{id} must ship its symbols");

        using (var package = ZipFile.OpenRead(nupkg))
        {
            var entries = package.Entries.Select(e => e.FullName).ToList();
            entries.Should().Contain(["README.md", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"], $"{id} ships its readme, assembly and XML docs");

            using var stream = package.GetEntry($"{id}.nuspec")!.Open();
            var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
            license.Attribute("type")!.Value.Should().Be("expression");
            license.Value.Should().Be("MIT");
            Value("readme").Should().Be("README.md");
            Value("description").Should().NotBeNullOrWhiteSpace($"{id} needs a <Description> in its csproj");
            Value("version").Should().Be(version);
        }

        using var symbols = ZipFile.OpenRead(snupkg);
        symbols.Entries.Select(e => e.FullName).Should().Contain($"lib/net10.0/{id}.pdb");
    }

    private static void WriteConsumer(string directory, string feed, string packagesFolder, string version, string repo)
    {
        Directory.CreateDirectory(directory);

        // Stop MSBuild from looking further up for Directory.*.props, and use the SDK the repository pins.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />\n");
        File.Copy(Path.Combine(repo, "global.json"), Path.Combine(directory, "global.json"));

        // Our packages only from the local feed (source mapping), everything else from nuget.org. A private
        // globalPackagesFolder keeps the machine cache clean; the machine cache is only a read-only fallback for
        // third-party packages, so the check also runs offline once they have been restored once.
        var fallback = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallbackEntry = Directory.Exists(fallback)
            ? $"""
                <fallbackPackageFolders>
                  <clear />
                  <add key="machine" value="{fallback}" />
                </fallbackPackageFolders>
              """
            : string.Empty;
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packagesFolder}" />
              </config>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="Metering" />
                  <package pattern="Metering.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            {fallbackEntry}
            </configuration>
            """);

        File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Metering.Testing" Version="{version}" />
              </ItemGroup>
            </Project>
            """);

        // The quickstart's shipping flow, written against the packages only.
        File.WriteAllText(Path.Combine(directory, "Program.cs"), """
            using System.Globalization;
            using Metering;
            using Metering.Testing;
            using NodaTime;

            await using var billing = TestMetering.Create(o => o
                .AddMeter(Meter.Sum("packages"))
                .AddMeter(Meter.Sum("returns"))
                .AddPlan(Plan.Create("shipping-pro", Currency.JMD, BillingInterval.Months(1))
                    .WithBaseFee(2_999.00m)
                    .WithCharge("packages", PricingModel.PerUnit(50.00m))
                    .WithCharge("returns", PricingModel.PerUnit(100.00m))
                    .Build()));

            await billing.Subscriptions.CreateCustomerAsync("merchant-42", "Kingston Parcels Ltd", "America/Jamaica");
            await billing.Subscriptions.SubscribeAsync(new SubscribeRequest { CustomerId = "merchant-42", PlanKey = "shipping-pro", SubscriptionId = "sub-1" });

            var records = new List<UsageRecord>();
            for (int i = 1; i <= 150; i++)
            {
                records.Add(new UsageRecord("merchant-42", "packages", 1m, billing.Clock.Now, $"pkg-{i}"));
            }

            for (int i = 1; i <= 12; i++)
            {
                records.Add(new UsageRecord("merchant-42", "returns", 1m, billing.Clock.Now, $"ret-{i}"));
            }

            var outcomes = await billing.Recorder.RecordBatchAsync(records);
            Console.WriteLine($"Accepted: {outcomes.Count(o => o.Kind == UsageOutcomeKind.Accepted)}");

            var report = await billing.AdvanceToPeriodEndAsync("sub-1");
            var total = report.Invoices.Single().Total;
            Console.WriteLine($"Total: {total.Amount.ToString("F2", CultureInfo.InvariantCulture)} {total.Currency.Code}");
            """);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Metering.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Metering.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(string workingDirectory, string arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The test host runs inside `dotnet test`, whose MSBuild settings must not leak into a separate build.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(StepTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {arguments} did not finish within {StepTimeout}:\n{output}");
        }

        lock (output)
        {
            return (process.ExitCode, $"dotnet {arguments}\n{output}");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
