namespace Metering.Samples.Tests;

using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;

/// <summary>
/// Packs every shipped project (src/) with a version no cache can hold, checks each package's metadata (license,
/// own readme, icon, project and repository URLs, commit, release notes, dependency floors), then restores, builds
/// and runs a throwaway app that consumes them from a local folder only (third-party dependencies from nuget.org or
/// the machine's package cache), so a package that is broken (missing dependency, missing assembly) fails here.
/// A second test packs one commit from two clones without a hosted git remote (CI's has none) and wants byte-identical
/// packages.
/// </summary>
public class PackagingTest
{
    private const string RepositoryUrl = "https://github.com/metering-dotnet/metering";

    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// What each package asks for: no floor higher than the code needs (an app must stay free to pick any later
    /// version). Raising one is a deliberate change: update it here and in Directory.Packages.props together.
    /// "Metering*" ids are the version being packed.
    /// </summary>
    private static readonly Dictionary<string, (string Id, string Version)[]> ExpectedDependencies = new()
    {
        ["Metering.Core"] = [("NodaTime", "3.3.7")],
        ["Metering"] =
        [
            ("Metering.Core", "*"),
            ("Microsoft.Extensions.Configuration.Abstractions", "10.0.14"),
            ("Microsoft.Extensions.Configuration.Binder", "10.0.14"),
            ("Microsoft.Extensions.DependencyInjection.Abstractions", "10.0.14"),
            ("Microsoft.Extensions.Diagnostics.HealthChecks", "10.0.14"),
            ("Microsoft.Extensions.Hosting.Abstractions", "10.0.14"),
            ("Microsoft.Extensions.Logging.Abstractions", "10.0.14"),
            ("Microsoft.Extensions.Options", "10.0.14"),
            ("NodaTime.Serialization.SystemTextJson", "1.4.0"),
        ],
        // SQLitePCLRaw: what Microsoft.Data.Sqlite 10.0.14 itself asks for (2.1.13), not a later line.
        ["Metering.Sqlite"] = [("Metering", "*"), ("Dapper", "2.1.86"), ("Microsoft.Data.Sqlite", "10.0.14"), ("SQLitePCLRaw.core", "2.1.13")],
        ["Metering.PostgreSql"] =
        [
            ("Metering", "*"),
            ("Dapper", "2.1.86"),
            ("Microsoft.Extensions.DependencyInjection.Abstractions", "10.0.14"),
            ("Microsoft.Extensions.Options", "10.0.14"),
            ("Npgsql", "10.0.0"),
        ],
        ["Metering.Testing"] = [("Metering", "*"), ("Microsoft.Extensions.DependencyInjection", "10.0.14")],
        // ASP.NET Core comes from the shared framework (a framework reference), never from packages.
        ["Metering.AspNetCore"] = [("Metering", "*")],
    };

    /// <summary>Shared frameworks a package needs (nuspec frameworkReferences); none unless listed.</summary>
    private static readonly Dictionary<string, string[]> ExpectedFrameworkReferences = new()
    {
        ["Metering.AspNetCore"] = ["Microsoft.AspNetCore.App"],
    };

    [Fact]
    public async Task Packages_WorkWhenConsumedFromALocalFolder()
    {
        var repo = FindRepositoryRoot();
        var commit = await HeadCommitAsync(repo);
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
            shipped.Should().Contain(["Metering.Core", "Metering", "Metering.Testing", "Metering.AspNetCore"]);
            foreach (var id in shipped)
            {
                CheckPackage(feed, repo, id!, version, commit);
            }

            var consumer = Path.Combine(work.FullName, "consumer");
            WriteConsumer(consumer, feed, Path.Combine(work.FullName, "packages"), version, repo);
            var run = await DotnetAsync(consumer, "run -c Release --disable-build-servers");
            run.ExitCode.Should().Be(0, run.Output);

            // 2,999.00 base fee + 150 packages × 50.00 + 12 returns × 100.00 = 11,699.00 JMD.
            run.Output.Should().Contain("Total: 11699.00 JMD");
            run.Output.Should().Contain("Problem: https://metering.dev/problems/insufficient-credits");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Packs_OfOneCommit_AreByteIdentical_FromTwoClonesWithoutAHostedRemote()
    {
        var repo = FindRepositoryRoot();
        var commit = await HeadCommitAsync(repo);
        var work = Directory.CreateTempSubdirectory("metering-deterministic-");
        try
        {
            // Two clones of the commit in different folders, neither with a hosted remote: the first keeps its origin
            // (a local path), the second has none, like CI's clone. SourceLink must work in both without a warning
            // (-warnaserror), and nothing of the folder may reach the package.
            var packs = new List<string>();
            foreach (var (name, removeOrigin) in new[] { ("first", false), ("second-clone", true) })
            {
                var clone = Path.Combine(work.FullName, name);
                string[] steps = removeOrigin
                    ? [$"clone --quiet --no-checkout \"{repo}\" \"{clone}\"", $"-C \"{clone}\" checkout --quiet --detach {commit}", $"-C \"{clone}\" remote remove origin"]
                    : [$"clone --quiet --no-checkout \"{repo}\" \"{clone}\"", $"-C \"{clone}\" checkout --quiet --detach {commit}"];
                foreach (var git in steps)
                {
                    var result = await RunAsync("git", work.FullName, git);
                    result.ExitCode.Should().Be(0, result.Output);
                }

                var output = Path.Combine(work.FullName, name + "-packages");
                var pack = await DotnetAsync(clone, $"pack src/Metering.Core/Metering.Core.csproj -c Release -warnaserror -p:ContinuousIntegrationBuild=true -o \"{output}\" --disable-build-servers");
                pack.ExitCode.Should().Be(0, pack.Output);
                packs.Add(output);
            }

            foreach (var file in new[] { "Metering.Core.0.1.0.nupkg", "Metering.Core.0.1.0.snupkg" })
            {
                var first = await File.ReadAllBytesAsync(Path.Combine(packs[0], file));
                var second = await File.ReadAllBytesAsync(Path.Combine(packs[1], file));
                first.SequenceEqual(second).Should().BeTrue($"{file} packed from two clones of {commit} must be byte-identical");
            }

            // SourceLink: the PDB maps the sources to the repository at this commit (the folders' paths are mapped
            // away, or the two packs above would differ).
            using var symbols = ZipFile.OpenRead(Path.Combine(packs[0], "Metering.Core.0.1.0.snupkg"));
            using var pdb = new MemoryStream();
            using (var stream = symbols.GetEntry("lib/net10.0/Metering.Core.pdb")!.Open())
            {
                await stream.CopyToAsync(pdb);
            }

            var text = Encoding.UTF8.GetString(pdb.ToArray());
            text.Should().Contain($"https://raw.githubusercontent.com/metering-dotnet/metering/{commit}/*", "the PDB carries a source link to the commit");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void CheckPackage(string feed, string repo, string id, string version, string commit)
    {
        var nupkg = Path.Combine(feed, $"{id}.{version}.nupkg");
        var snupkg = Path.Combine(feed, $"{id}.{version}.snupkg");
        File.Exists(nupkg).Should().BeTrue($"{id} is shipped from src/ and must be packed");
        File.Exists(snupkg).Should().BeTrue($"{id} must ship its symbols");

        using (var package = ZipFile.OpenRead(nupkg))
        {
            var entries = package.Entries.Select(e => e.FullName).ToList();
            entries.Should().Contain(["README.md", "icon.png", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"], $"{id} ships its readme, icon, assembly and XML docs");

            using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
            {
                readme.ReadToEnd().Should().Be(File.ReadAllText(Path.Combine(repo, "src", id, "README.md")), $"{id} ships its own README, not the repository's");
            }

            using var stream = package.GetEntry($"{id}.nuspec")!.Open();
            var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            XElement? Element(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name);
            string? Value(string name) => Element(name)?.Value;
            var license = Element("license")!;
            license.Attribute("type")!.Value.Should().Be("expression");
            license.Value.Should().Be("MIT");
            Value("readme").Should().Be("README.md");
            Value("icon").Should().Be("icon.png");
            Value("projectUrl").Should().Be(RepositoryUrl);
            Value("releaseNotes").Should().Contain("CHANGELOG.md");
            Value("description").Should().NotBeNullOrWhiteSpace($"{id} needs a <Description> in its csproj");
            Value("version").Should().Be(version);

            var repository = Element("repository");
            repository.Should().NotBeNull($"{id} names its source repository");
            repository!.Attribute("type")?.Value.Should().Be("git");
            repository.Attribute("url")?.Value.Should().Be(RepositoryUrl);
            repository.Attribute("commit")?.Value.Should().Be(commit, "SourceLink stamps the commit the package was built from");

            var dependencies = Element("dependencies")!.Descendants().Where(e => e.Name.LocalName == "dependency")
                .Select(e => (Id: e.Attribute("id")!.Value, Version: e.Attribute("version")!.Value))
                .OrderBy(d => d.Id, StringComparer.Ordinal)
                .ToList();
            var expected = ExpectedDependencies.Should().ContainKey(id, "every shipped package lists its expected dependencies here").WhoseValue
                .Select(d => (d.Id, Version: d.Version == "*" ? version : d.Version))
                .OrderBy(d => d.Id, StringComparer.Ordinal)
                .ToList();
            dependencies.Should().Equal(expected, $"{id}'s dependency floors are deliberate");

            var frameworkReferences = metadata.Descendants().Where(e => e.Name.LocalName == "frameworkReference")
                .Select(e => e.Attribute("name")!.Value)
                .ToList();
            frameworkReferences.Should().Equal(ExpectedFrameworkReferences.GetValueOrDefault(id, []), $"{id}'s shared frameworks are deliberate");
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
                <PackageReference Include="Metering.AspNetCore" Version="{version}" />
              </ItemGroup>
            </Project>
            """);

        // The quickstart's shipping flow, written against the packages only.
        File.WriteAllText(Path.Combine(directory, "Program.cs"), """
            using System.Globalization;
            using Metering;
            using Metering.Testing;
            using Microsoft.Extensions.DependencyInjection;
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

            // Metering.AspNetCore: wires up from the package (its framework reference brings ASP.NET Core).
            new ServiceCollection().AddMetering().UseInMemoryStore().AddAspNetCore(o => o.ResolveCustomer = _ => "merchant-42");
            Console.WriteLine($"Problem: {Metering.AspNetCore.MeteringProblemDetails.TypeFor(UsageRejectionReason.InsufficientCredits)}");
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

    private static async Task<string> HeadCommitAsync(string repo)
    {
        var head = await RunAsync("git", repo, "rev-parse HEAD");
        head.ExitCode.Should().Be(0, $"the packaging test needs the repository's git history\n{head.Output}");
        return head.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
    }

    private static Task<(int ExitCode, string Output)> DotnetAsync(string workingDirectory, string arguments) =>
        RunAsync(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", workingDirectory, arguments);

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string workingDirectory, string arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments)
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
            throw new TimeoutException($"{fileName} {arguments} did not finish within {StepTimeout}:\n{output}");
        }

        lock (output)
        {
            return (process.ExitCode, $"{Path.GetFileName(fileName)} {arguments}\n{output}");
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
