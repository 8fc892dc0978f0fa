using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace Cobalt.Cli.Tests;

/// <summary>
/// <c>cobalt</c> as a .NET tool: the package packs (from this build, no rebuild), installs with
/// <c>dotnet tool install --tool-path P --add-source DIR cobalt</c>, prints its version, and runs an experiment and the
/// main job (a few rounds) from a folder outside the repository, with the data it carries. The libraries' packages carry
/// the metadata every package needs.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cobalt-tool-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    private static string Configuration =>
        typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string Version => typeof(CobaltCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    private string Pack(string project)
    {
        var feed = Path.Combine(_folder, "feed");
        var pack = Readme.Run(Dotnet, ["pack", Path.Combine(Readme.Root, "src", project, project + ".csproj"), "-c", Configuration, "--no-build", "-o", feed, "-nologo", "-v", "q"],
            Readme.Root, TimeSpan.FromMinutes(3));
        pack.Exit.Should().Be(0, pack.Output);
        return feed;
    }

    [Fact]
    public void The_tool_installs_from_a_local_folder_prints_its_version_and_runs_the_main_job()
    {
        var feed = Pack("Cobalt.Cli");
        var package = Path.Combine(feed, $"cobalt.{Version}.nupkg");
        File.Exists(package).Should().BeTrue($"the tool's package is named after the command and the one version ({string.Join(", ", Directory.GetFiles(feed))})");
        using (var zip = ZipFile.OpenRead(package))
        {
            zip.Entries.Select(e => e.FullName).Should().Contain("tools/net10.0/any/data/simulators/nrms-ips-movielens-latest-small.bin")
                .And.Contain("tools/net10.0/any/data/movielens-latest-small/ratings.csv")
                .And.Contain("README.md");
        }

        // The install runs in a folder whose nuget.config clears the machine's sources, so it needs nothing but the local
        // folder (as offline: with an unreachable nuget.org, resolving the latest 'cobalt' everywhere fails otherwise).
        File.WriteAllText(Path.Combine(_folder, "nuget.config"), """<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear /></packageSources></configuration>""");
        var tools = Path.Combine(_folder, "tools");
        var install = Readme.Run(Dotnet, ["tool", "install", "--tool-path", tools, "--add-source", feed, "cobalt"], _folder, TimeSpan.FromMinutes(3));
        install.Exit.Should().Be(0, install.Output);
        var cobalt = Path.Combine(tools, OperatingSystem.IsWindows() ? "cobalt.exe" : "cobalt");
        File.Exists(cobalt).Should().BeTrue(install.Output);

        var version = Readme.Run(cobalt, ["--version"], _folder, TimeSpan.FromMinutes(1));
        version.Exit.Should().Be(0, version.Output);
        version.Output.Trim().Should().StartWith(Version);

        // Run from a folder with no data/ above it: the tool finds the data it carries.
        var work = Path.Combine(_folder, "work");
        Directory.CreateDirectory(work);
        var linear = Readme.Run(cobalt, ["run", "--preset", "linear", "--trials", "1", "--iterations", "200", "--out", "linear"], work, TimeSpan.FromMinutes(2));
        linear.Exit.Should().Be(0, linear.Output);
        File.Exists(Path.Combine(work, "linear", "results.md")).Should().BeTrue(linear.Output);

        var main = Readme.Run(cobalt, ["run", "--trials", "1", "--iterations", "20", "--out", "two-stage"], work, TimeSpan.FromMinutes(4));
        main.Exit.Should().Be(0, main.Output);
        File.ReadAllText(Path.Combine(work, "two-stage", "results.md")).Should().Contain("2-");
    }

    [Fact]
    public void Every_library_package_has_its_metadata_and_the_readme()
    {
        var feed = Pack("Cobalt.Policies");
        var package = Path.Combine(feed, $"Cobalt.Policies.{Version}.nupkg");
        using var zip = ZipFile.OpenRead(package);
        zip.Entries.Select(e => e.FullName).Should().Contain("README.md").And.Contain("lib/net10.0/Cobalt.Policies.dll");
        using var stream = zip.GetEntry("Cobalt.Policies.nuspec")!.Open();
        var nuspec = XDocument.Load(stream);
        string Field(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        Field("id").Should().Be("Cobalt.Policies");
        Field("version").Should().Be(Version);
        Field("description").Should().Contain("Cobalt.Bandit").And.NotBe("Package Description");
        Field("license").Should().Be("MIT");
        Field("readme").Should().Be("README.md");
        nuspec.Descendants().Single(e => e.Name.LocalName == "repository").Attribute("url")!.Value.Should().NotBeNullOrEmpty();
        Field("tags").Should().Contain("contextual-bandits");
        // The library depends on Cobalt.Core's package of the same version.
        nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Should().Contain(e => e.Attribute("id")!.Value == "Cobalt.Core" && e.Attribute("version")!.Value == Version);

        // Every project under src/ packs (with a description of its own), and the test and benchmark projects do not.
        foreach (var project in Directory.GetDirectories(Path.Combine(Readme.Root, "src")))
        {
            var file = Path.Combine(project, Path.GetFileName(project) + ".csproj");
            File.ReadAllText(file).Should().Contain("<Description>", file);
        }
        File.ReadAllText(Path.Combine(Readme.Root, "Directory.Build.props")).Should().Contain("<IsPackable>false</IsPackable>");
    }
}
