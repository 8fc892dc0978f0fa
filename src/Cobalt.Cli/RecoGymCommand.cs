using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;
using Cobalt.RecoGym.Logs;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt recogym</c>: the RecoGym challenge A/B test (100 products, K = 5, 1,000 training users under the
/// logging policy, 10,000 test users, several environment seeds), every agent, one table per world.
/// </summary>
internal static class RecoGymCommand
{
    public static Command Create()
    {
        var products = new Option<int?>("--products") { Description = "Number of products P (default 100, or the environment file's)." };
        var trainUsers = new Option<int>("--train-users") { Description = "Users in the training log.", DefaultValueFactory = _ => 1_000 };
        var testUsers = new Option<int>("--test-users") { Description = "Users in the A/B test, per environment.", DefaultValueFactory = _ => 10_000 };
        var flips = new Option<int[]>("--flips")
        {
            Description = "Number of flipped product pairs; several values run one world each (e.g. --flips 0 20).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [0],
        };
        var seeds = new Option<int>("--seeds") { Description = "Number of environment seeds.", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Root seed.", DefaultValueFactory = _ => 1 };
        var agents = new Option<string[]>("--agents")
        {
            Description = $"Agents to test (default all): {string.Join(", ", AgentCatalog.Kinds)}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var environment = new Option<FileInfo?>("--environment") { Description = "JSON file of environment options (kebab-case names; see `cobalt recogym --help`)." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for results.md, results.csv and results.svg (default reports/recogym)." };
        var parallelism = new Option<int>("--parallelism") { Description = "Runs at once (default: one per core). Results do not depend on it.", DefaultValueFactory = _ => 0 };
        var saveLogs = new Option<bool>("--save-logs") { Description = "Also write every training log as CSV (train-log-flips-F-env-E.csv)." };
        var command = new Command("recogym", "RecoGym A/B test: agents trained on logs of the organic-user-count policy face the same simulated users; writes results.md, results.csv, results.svg.")
        {
            products, trainUsers, testUsers, flips, seeds, seed, agents, environment, output, parallelism, saveLogs,
        };
        command.SetAction(parse => Run(
            new Settings(
                parse.GetValue(products),
                parse.GetValue(trainUsers),
                parse.GetValue(testUsers),
                parse.GetValue(flips) ?? [0],
                parse.GetValue(seeds),
                parse.GetValue(seed),
                parse.GetValue(agents),
                parse.GetValue(environment),
                parse.GetValue(output),
                parse.GetValue(parallelism),
                parse.GetValue(saveLogs)),
            "cobalt " + string.Join(' ', parse.Tokens.Select(t => t.Value))));
        return command;
    }

    private static int Run(Settings settings, string commandLine)
    {
        AbTestSpec[] specs;
        try
        {
            specs = Specs(settings);
        }
        catch (OptionsException e)
        {
            return Errors.Report(e.Message);
        }
        catch (IOException e)
        {
            return Errors.Report(e.Message);
        }

        var folder = settings.Output?.FullName ?? Path.Combine("reports", "recogym");
        var first = specs[0];
        AnsiConsole.MarkupLine(
            $"[bold]RecoGym A/B test[/]: {first.World.Products} products, {first.TrainUsers:N0} training users, {first.TestUsers:N0} test users, " +
            $"{first.EnvironmentSeeds} environment seeds, {first.Agents.Count} agents, flips {string.Join(", ", specs.Select(s => s.World.NumberOfFlips))}");
        var results = new List<AbTestResult>();
        var clock = Stopwatch.StartNew();
        try
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    foreach (var spec in specs)
                    {
                        var task = context.AddTask(
                            $"{spec.World.NumberOfFlips} flips: test users",
                            maxValue: (double)spec.EnvironmentSeeds * spec.Agents.Count * spec.TestUsers);
                        var gate = new Lock();
                        results.Add(AbTestRunner.Run(spec, settings.Parallelism, done =>
                        {
                            lock (gate)
                            {
                                task.Increment(done);
                            }
                        }));
                        if (settings.SaveLogs)
                        {
                            SaveLogs(spec, folder);
                        }
                    }
                });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OptionsException)
        {
            return Errors.Report($"the A/B test stopped: {e.Message}");
        }

        AbTestReport.Write(results, folder, commandLine);
        foreach (var result in results)
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(AbTestReport.WorldName(result))}[/] (wall time {result.WallSeconds.ToString("F1", CultureInfo.InvariantCulture)} s)");
            AnsiConsole.Write(Tables.From(AbTestReport.Table(result)));
        }
        AnsiConsole.MarkupLine($"Total wall time {clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s. Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] ({string.Join(", ", AbTestReport.Files)})");
        return 0;
    }

    private static AbTestSpec[] Specs(Settings settings)
    {
        var world = new RecoGymOptions();
        if (settings.Environment is { } file)
        {
            if (!file.Exists)
            {
                throw new IOException($"The environment file '{file.FullName}' does not exist.");
            }
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file.FullName));
                world = OptionsBinder.Bind<RecoGymOptions>(json.RootElement, string.Empty);
            }
            catch (OptionsException e)
            {
                throw new OptionsException($"{file.Name}: {e.Field}", e.Problem, e);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new OptionsException(file.Name, $"is not valid JSON ({e.Message})", e);
            }
        }
        if (settings.Products is { } p)
        {
            world = world with { Products = p };
        }
        var agents = settings.Agents is { Length: > 0 } kinds
            ? kinds.SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(AgentSpec.Default).ToArray()
            : AgentCatalog.All.Select(d => AgentSpec.Default(d.Kind)).ToArray();
        if (settings.Flips.Length == 0)
        {
            throw new OptionsException("--flips", "give at least one number of flips.");
        }
        var specs = settings.Flips.Distinct().Select(f => new AbTestSpec
        {
            World = world with { NumberOfFlips = f },
            TrainUsers = settings.TrainUsers,
            TestUsers = settings.TestUsers,
            EnvironmentSeeds = settings.Seeds,
            Seed = settings.Seed,
            Agents = agents,
        }).ToArray();
        foreach (var spec in specs)
        {
            try
            {
                spec.Validate();
            }
            catch (OptionsException e)
            {
                throw e.Field switch
                {
                    "world.number-of-flips" => new OptionsException("--flips", e.Problem),
                    "world.products" => new OptionsException("--products", e.Problem),
                    "train-users" => new OptionsException("--train-users", e.Problem),
                    "test-users" => new OptionsException("--test-users", e.Problem),
                    "environment-seeds" => new OptionsException("--seeds", e.Problem),
                    _ => e,
                };
            }
        }
        return specs;
    }

    private static void SaveLogs(AbTestSpec spec, string folder)
    {
        for (var e = 0; e < spec.EnvironmentSeeds; e++)
        {
            var world = new RecoGymWorld(spec.World, spec.EnvironmentSeed(e));
            var log = LogReplay.Generate(world, spec.TrainUsers);
            LogFile.Write(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"train-log-flips-{spec.World.NumberOfFlips}-env-{e + 1}.csv")), log);
        }
    }

    private sealed record Settings(
        int? Products,
        int TrainUsers,
        int TestUsers,
        int[] Flips,
        int Seeds,
        ulong Seed,
        string[]? Agents,
        FileInfo? Environment,
        DirectoryInfo? Output,
        int Parallelism,
        bool SaveLogs);
}
