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
/// <c>cobalt recogym</c>: RecoGym's own experiment (its competition harness, <see cref="RecoGymProtocol"/>): RecoGym's
/// worlds for seeds S .. S + W - 1, 100 organic-only + 1,000 users logged by OrganicUserCount (epsilon 0.05), 10,000
/// test users, agents offline during the test (<c>--online</c>: the online-learning variant, reported apart).
/// Writes results.csv (both CTRs per agent and world), summary.csv (spread between worlds) and results.md.
/// </summary>
internal static class RecoGymCommand
{
    public static Command Create()
    {
        var worldSeed = new Option<uint>("--world-seed") { Description = "First world seed S (RecoGym's random_seed); worlds are S .. S + W - 1.", DefaultValueFactory = _ => 100 };
        var worlds = new Option<int>("--worlds") { Description = "Number of worlds W.", DefaultValueFactory = _ => 5 };
        var agents = new Option<string[]>("--agents")
        {
            Description = $"Agents to test, comma- or space-separated (default all but the oracle): {string.Join(", ", AgentCatalog.Kinds)}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var testUsers = new Option<int>("--test-users") { Description = "Test users per world.", DefaultValueFactory = _ => 10_000 };
        var online = new Option<bool>("--online") { Description = "Agents keep learning during the test (a separate experiment; RecoGym's harness never does)." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for results.csv, summary.csv and results.md (default reports/recogym)." };
        var trainUsers = new Option<int>("--train-users") { Description = "Users logged by the logging policy.", DefaultValueFactory = _ => 1_000 };
        var organicUsers = new Option<int>("--organic-users") { Description = "Organic-only users at the start of the training log.", DefaultValueFactory = _ => 100 };
        var logEpsilon = new Option<double>("--log-epsilon") { Description = "The logging policy's epsilon (exploration over the user's unviewed products).", DefaultValueFactory = _ => 0.05 };
        var products = new Option<int?>("--products") { Description = "Number of products P (default 100, or the environment file's)." };
        var environment = new Option<FileInfo?>("--environment") { Description = "JSON file of environment options (kebab-case names)." };
        var parallelism = new Option<int>("--parallelism") { Description = "Runs at once (default: one per core). Results do not depend on it.", DefaultValueFactory = _ => 0 };
        var saveLogs = new Option<bool>("--save-logs") { Description = "Also write every world's training log as CSV (train-log-S.csv; with several training seeds train-log-S-t.csv)." };
        var trainingSeeds = new Option<int>("--training-seeds")
        {
            Description = "Training logs per world T: log t draws its users from RandomState(S + t) (world, logging policy's stream, agents and test users unchanged); reports the spread between logs next to the spread between worlds. 1 = RecoGym's protocol.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("recogym", "RecoGym's own protocol: agents trained on the competition's logs face 10,000 test users of RecoGym's worlds; writes results.csv, summary.csv, results.md.")
        {
            worldSeed, worlds, agents, testUsers, online, output, trainUsers, organicUsers, logEpsilon, products, environment, parallelism, saveLogs, trainingSeeds,
        };
        command.SetAction(parse => Run(
            new Settings(
                parse.GetValue(worldSeed),
                parse.GetValue(worlds),
                parse.GetValue(agents),
                parse.GetValue(testUsers),
                parse.GetValue(online),
                parse.GetValue(output),
                parse.GetValue(trainUsers),
                parse.GetValue(organicUsers),
                parse.GetValue(logEpsilon),
                parse.GetValue(products),
                parse.GetValue(environment),
                parse.GetValue(parallelism),
                parse.GetValue(saveLogs),
                parse.GetValue(trainingSeeds)),
            "cobalt " + string.Join(' ', parse.Tokens.Select(t => t.Value))));
        return command;
    }

    private static int Run(Settings settings, string commandLine)
    {
        RecoGymProtocol protocol;
        try
        {
            protocol = Protocol(settings);
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
        AnsiConsole.MarkupLine(
            $"[bold]RecoGym protocol ({ProtocolReport.ProtocolName(protocol)})[/]: {protocol.World.Products} products, {protocol.OrganicTrainUsers:N0} organic-only + {protocol.TrainUsers:N0} logged training users, " +
            $"{protocol.TestUsers:N0} test users, world seeds {protocol.WorldSeed}..{protocol.WorldSeedOf(protocol.Worlds - 1)}, {protocol.TrainingSeeds} training log(s) per world, {protocol.Agents.Count} agents");
        ProtocolResult? result = null;
        var clock = Stopwatch.StartNew();
        try
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("test users", maxValue: (double)protocol.Worlds * protocol.TrainingSeeds * protocol.Agents.Count * protocol.TestUsers);
                    var gate = new Lock();
                    result = RecoGymProtocolRunner.Run(protocol, settings.Parallelism, done =>
                    {
                        lock (gate)
                        {
                            task.Increment(done);
                        }
                    });
                });
            if (settings.SaveLogs)
            {
                SaveLogs(protocol, folder);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OptionsException)
        {
            return Errors.Report($"the RecoGym protocol stopped: {e.Message}");
        }

        ProtocolReport.Write(result!, folder, commandLine);
        AnsiConsole.MarkupLine("[bold]All worlds[/]");
        AnsiConsole.Write(Tables.From(ProtocolReport.SpreadTable(result!)));
        foreach (var seed in result!.WorldSeeds)
        {
            AnsiConsole.MarkupLine($"[bold]World seed {seed}[/]");
            AnsiConsole.Write(Tables.From(ProtocolReport.WorldTable(result, seed)));
        }
        CliOutput.Final($"Total wall time {clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s. Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] ({string.Join(", ", ProtocolReport.Files)})");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "recogym");
            w.WriteString("protocol", ProtocolReport.ProtocolName(protocol));
            CliOutput.WriteReport(w, folder, ProtocolReport.Files);
            CliOutput.WriteTable(w, "all_worlds", ProtocolReport.SpreadTable(result!));
            w.WriteStartArray("worlds");
            foreach (var seed in result!.WorldSeeds)
            {
                w.WriteStartObject();
                w.WriteNumber("world_seed", seed);
                CliOutput.WriteTable(w, "table", ProtocolReport.WorldTable(result, seed));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return 0;
    }

    private static RecoGymProtocol Protocol(Settings settings)
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
            : new RecoGymProtocol().Agents;
        var protocol = new RecoGymProtocol
        {
            World = world,
            WorldSeed = settings.WorldSeed,
            Worlds = settings.Worlds,
            Agents = agents,
            TestUsers = settings.TestUsers,
            Online = settings.Online,
            TrainUsers = settings.TrainUsers,
            OrganicTrainUsers = settings.OrganicUsers,
            LoggingEpsilon = settings.LogEpsilon,
            TrainingSeeds = settings.TrainingSeeds,
        };
        try
        {
            protocol.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Field switch
            {
                "world.products" => new OptionsException("--products", e.Problem),
                "worlds" => new OptionsException("--worlds", e.Problem),
                "world-seed" => new OptionsException("--world-seed", e.Problem),
                "train-users" => new OptionsException("--train-users", e.Problem),
                "organic-train-users" => new OptionsException("--organic-users", e.Problem),
                "test-users" => new OptionsException("--test-users", e.Problem),
                "logging-epsilon" => new OptionsException("--log-epsilon", e.Problem),
                "training-seeds" => new OptionsException("--training-seeds", e.Problem),
                _ => e,
            };
        }
        return protocol;
    }

    private static void SaveLogs(RecoGymProtocol protocol, string folder)
    {
        for (var w = 0; w < protocol.Worlds; w++)
        {
            var seed = protocol.WorldSeedOf(w);
            var world = RecoGymWorld.FromNumpySeed(protocol.World, seed);
            for (var t = 0; t < protocol.TrainingSeeds; t++)
            {
                var log = RecoGymProtocolRunner.TrainingLog(world, seed, protocol.OrganicTrainUsers, protocol.TrainUsers, protocol.LoggingEpsilon, t);
                var name = protocol.TrainingSeeds > 1
                    ? string.Create(CultureInfo.InvariantCulture, $"train-log-{seed}-{t}.csv")
                    : string.Create(CultureInfo.InvariantCulture, $"train-log-{seed}.csv");
                LogFile.Write(Path.Combine(folder, name), log);
            }
        }
    }

    private sealed record Settings(
        uint WorldSeed,
        int Worlds,
        string[]? Agents,
        int TestUsers,
        bool Online,
        DirectoryInfo? Output,
        int TrainUsers,
        int OrganicUsers,
        double LogEpsilon,
        int? Products,
        FileInfo? Environment,
        int Parallelism,
        bool SaveLogs,
        int TrainingSeeds);
}
