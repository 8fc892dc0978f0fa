using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;
using Cobalt.Service.Loops;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Cli.Tests;

/// <summary>
/// The README's claims run: every <c>cobalt</c> command in its shell blocks parses through the real command tree (concrete
/// lines with no error; synopsis lines: every command and option exists), every JSON example is accepted by the loader that
/// reads it (experiments run a few rounds), and the in-process example compiles, runs and prints what the README says.
/// </summary>
public sealed partial class ReadmeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cobalt-readme-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Every_cobalt_command_in_the_readme_parses()
    {
        var commands = Readme.CobaltCommands();
        commands.Count.Should().BeGreaterThan(30, "the README's usage block alone lists more than 30 commands");
        var problems = new List<string>();
        foreach (var (line, words) in commands)
        {
            var root = CobaltCommand.Create();
            if (words.Count == 0)
            {
                problems.Add($"{line}: no subcommand");
                continue;
            }
            if (line.Contains('[', StringComparison.Ordinal) || words.Any(w => w.Contains('|', StringComparison.Ordinal) || w.Contains("...", StringComparison.Ordinal)))
            {
                problems.AddRange(CheckSynopsis(root, [.. words]).Select(p => $"{line}: {p}"));
                continue;
            }
            var arguments = words.Select(w => ShellVariable().Replace(w, m => m.Value == "$i" ? "1" : "value")).ToArray();
            var result = root.Parse(arguments);
            if (result.Errors.Count > 0)
            {
                problems.Add($"{line}: {string.Join("; ", result.Errors.Select(e => e.Message))}");
            }
            if (result.CommandResult.Command == root)
            {
                problems.Add($"{line}: names no subcommand");
            }
        }
        problems.Should().BeEmpty();
    }

    [Fact]
    public void A_synopsis_with_an_unknown_option_or_command_is_caught()
    {
        CheckSynopsis(CobaltCommand.Create(), ["run", "[--seed", "N]"]).Should().BeEmpty();
        CheckSynopsis(CobaltCommand.Create(), ["run", "[--sead", "N]"]).Should().Equal("'run' has no option --sead");
        CheckSynopsis(CobaltCommand.Create(), ["data", "info|infos", "PATH"]).Should().Equal("'data' has no subcommand infos");
        CheckSynopsis(CobaltCommand.Create(), ["evaluate", "slate", "--log", "FILE", "[--list-length", "L]"]).Should().BeEmpty();
        CobaltCommand.Create().Parse(["run", "--preset", "linear", "--trails", "2"]).Errors.Should().NotBeEmpty();
    }

    [Fact]
    public void Every_json_example_in_the_readme_is_accepted_by_its_loader()
    {
        var blocks = Readme.Blocks();
        var experiments = blocks.Where(b => b.Language == "json").Select(b => b.Body).ToList();
        experiments.Should().NotBeEmpty();
        foreach (var json in experiments)
        {
            using var document = JsonDocument.Parse(json);
            document.RootElement.TryGetProperty("world", out _).Should().BeTrue("the README's JSON blocks are experiments");
            var spec = ExperimentSpec.Parse(json);
            spec.Policies.Should().NotBeEmpty();
            // It runs: a few rounds of one trial, through the real command.
            var file = Path.Combine(_folder, "experiment.json");
            File.WriteAllText(file, json);
            var (exit, output) = CliRunner.Run("run", file, "--trials", "1", "--iterations", "30", "--out", Path.Combine(_folder, "out"));
            exit.Should().Be(0, output);
        }

        // Request bodies sent with curl -d '...': the loop's creation, a rank, a reward.
        var bodies = blocks.Where(b => b.Language == "bash").SelectMany(b => CurlBody().Matches(b.Body).Select(m => m.Groups[1].Value)).ToList();
        bodies.Should().HaveCountGreaterThanOrEqualTo(3);
        LoopOptions? loop = null;
        foreach (var body in bodies)
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.TryGetProperty("policy", out var policy))
            {
                loop = OptionsBinder.Bind<LoopOptions>(root.GetProperty("options"), "options");
                var spec = PolicyCatalog.ParseSpec(policy, "policy");
                PolicyCatalog.Build(spec, new PolicyBuildContext(loop.ContextDimension, loop.ActionDimension, loop.Seed)).Should().NotBeNull();
            }
            else if (root.TryGetProperty("actions", out var actions))
            {
                loop.Should().NotBeNull("the loop is created before it ranks");
                root.GetProperty("context").GetArrayLength().Should().Be(loop!.ContextDimension);
                foreach (var action in actions.EnumerateArray())
                {
                    action.GetProperty("id").GetString().Should().NotBeNullOrEmpty();
                    action.GetProperty("features").GetArrayLength().Should().Be(loop.ActionDimension);
                }
            }
            else
            {
                root.GetProperty("value").ValueKind.Should().Be(JsonValueKind.Number, body);
            }
        }
    }

    [Fact]
    public void The_in_process_example_compiles_runs_and_prints_what_the_readme_says()
    {
        var text = Readme.Text;
        var code = Readme.Blocks().First(b => b.Heading == "Use it in-process" && b.Language == "csharp").Body;
        code.Split('\n').Length.Should().BeLessThanOrEqualTo(16, "the example stays short");
        var claim = PrintsClaim().Match(text[text.IndexOf("## Use it in-process", StringComparison.Ordinal)..]);
        claim.Success.Should().BeTrue("the section says what the example prints");

        var project = Path.Combine(_folder, "example");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Program.cs"), code);
        var references = string.Join("\n", new[] { "Cobalt.Policies", "Cobalt.Core", "System.Numerics.Tensors" }.Select(name =>
            $"""    <Reference Include="{name}"><HintPath>{Path.Combine(AppContext.BaseDirectory, name + ".dll")}</HintPath></Reference>"""));
        File.WriteAllText(Path.Combine(project, "example.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var build = Readme.Run(dotnet, ["build", "-o", "bin", "-nologo", "-v", "q"], project, TimeSpan.FromMinutes(3));
        build.Exit.Should().Be(0, build.Output);
        var run = Readme.Run(dotnet, [Path.Combine(project, "bin", "example.dll")], project, TimeSpan.FromMinutes(1));
        run.Exit.Should().Be(0, run.Output);
        run.Output.Trim().Should().Be(claim.Groups[1].Value);
        File.Exists(Path.Combine(project, "news.bandit")).Should().BeTrue();
        Bandit.Load(Path.Combine(project, "news.bandit")).Kind.Should().Be("linucb-disjoint");
    }

    /// <summary>Problems of a synopsis line: commands (alternatives a|b included) that do not exist, options a command lacks.</summary>
    private static List<string> CheckSynopsis(RootCommand root, string[] words)
    {
        var problems = new List<string>();
        Command command = root;
        var path = new List<Command> { root };
        foreach (var raw in words)
        {
            var word = raw.Trim('[', ']');
            if (word.Length == 0 || word == "|")
            {
                continue;
            }
            if (word.StartsWith("--", StringComparison.Ordinal))
            {
                var name = word.Split('=')[0];
                var known = command.Options.Any(o => o.Name == name || o.Aliases.Contains(name))
                    || path.Any(c => c.Options.Any(o => o.Recursive && (o.Name == name || o.Aliases.Contains(name))))
                    || name is "--help" or "--version";
                if (!known)
                {
                    problems.Add($"'{command.Name}' has no option {name}");
                }
                continue;
            }
            var alternatives = word.Split('|');
            var first = command.Subcommands.FirstOrDefault(c => c.Name == alternatives[0]);
            if (first is null)
            {
                if (alternatives.Length > 1 && alternatives.Skip(1).Any(a => command.Subcommands.Any(c => c.Name == a)))
                {
                    problems.Add($"'{command.Name}' has no subcommand {alternatives[0]}");
                }
                continue; // an argument or an option's value
            }
            foreach (var alternative in alternatives.Skip(1).Where(a => command.Subcommands.All(c => c.Name != a)))
            {
                problems.Add($"'{command.Name}' has no subcommand {alternative}");
            }
            command = first;
            path.Add(command);
        }
        if (command == root)
        {
            problems.Add($"'{words[0]}' is not a cobalt command");
        }
        return problems;
    }

    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")]
    private static partial Regex ShellVariable();

    [GeneratedRegex(@"-d\s+'([^']*)'")]
    private static partial Regex CurlBody();

    [GeneratedRegex(@"It prints `([^`]+)`")]
    private static partial Regex PrintsClaim();
}
