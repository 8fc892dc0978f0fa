using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;
using Cobalt.RecoGym.Logs;
using Cobalt.Simulation.Experiments;
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
        var shard = new Option<string?>("--shard") { Description = "Play only slice i of n (1-based, e.g. 2/4) of the (world, training seed, agent) runs and write shard-i-of-n.state into --out; `cobalt merge` makes the report." };
        var command = new Command("recogym", "RecoGym's own protocol: agents trained on the competition's logs face 10,000 test users of RecoGym's worlds; writes results.csv, summary.csv, results.md.")
        {
            worldSeed, worlds, agents, testUsers, online, output, trainUsers, organicUsers, logEpsilon, products, environment, parallelism, saveLogs, trainingSeeds, shard,
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
                parse.GetValue(trainingSeeds),
                parse.GetValue(shard)),
            "cobalt " + string.Join(' ', WithoutShard(parse.Tokens.Select(t => t.Value).ToArray()))));
        return command;
    }

    private static int Run(Settings settings, string commandLine)
    {
        RecoGymProtocol protocol;
        (int Index, int Count)? slice = null;
        try
        {
            protocol = Protocol(settings);
            if (settings.Shard is { } text)
            {
                var parsed = ShardId.Parse(text);
                if (settings.SaveLogs)
                {
                    throw new OptionsException("--save-logs", "cannot be combined with --shard (a shard builds only some training logs); save the logs in an unsharded run.");
                }
                slice = (parsed.Index, parsed.Count);
            }
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
        if (slice is { } part)
        {
            return RunShard(protocol, part.Index, part.Count, Manifest(protocol, commandLine), folder, settings.Parallelism);
        }
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

    /// <summary>Plays slice <paramref name="index"/>/<paramref name="count"/> of the protocol and writes <c>shard-i-of-n.state</c> into <paramref name="folder"/>.</summary>
    private static int RunShard(RecoGymProtocol protocol, int index, int count, string manifest, string folder, int parallelism)
    {
        ProtocolShard shard;
        try
        {
            shard = ProtocolShard.Run(protocol, index, count, manifest, parallelism);
        }
        catch (OptionsException e)
        {
            return Errors.Report(e.Message);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Errors.Report($"the RecoGym protocol stopped: {e.Message}");
        }
        var path = Path.Combine(folder, shard.FileName);
        shard.Write(path);
        CliOutput.Final(string.Create(CultureInfo.InvariantCulture, $"Shard {index}/{count}: {shard.Runs.Count} of {shard.JobCount} (world, training seed, agent) runs in {shard.WallSeconds:F1} s. Written: [link]{Markup.Escape(Path.GetFullPath(path))}[/]; `cobalt merge` makes the report once every shard is done."));
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "recogym");
            w.WriteString("shard", string.Create(CultureInfo.InvariantCulture, $"{index}/{count}"));
            w.WriteNumber("runs", shard.Runs.Count);
            w.WriteNumber("protocol_runs", shard.JobCount);
            w.WriteString("file", Path.GetFullPath(path));
            w.WriteEndObject();
        });
        return 0;
    }

    /// <summary>
    /// What <c>cobalt merge</c> needs to rebuild a sharded protocol: the environment's options, every protocol setting, the agents'
    /// kinds (the CLI's agents have default options) and the command line without <c>--shard</c>, which the merged results.md shows.
    /// </summary>
    private static string Manifest(RecoGymProtocol protocol, string commandLine)
    {
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("command", "recogym");
            w.WritePropertyName("world");
            OptionsBinder.Write(w, protocol.World);
            w.WriteNumber("world-seed", protocol.WorldSeed);
            w.WriteNumber("worlds", protocol.Worlds);
            w.WriteStartArray("agents");
            foreach (var agent in protocol.Agents)
            {
                w.WriteStringValue(agent.Kind);
            }
            w.WriteEndArray();
            w.WriteNumber("test-users", protocol.TestUsers);
            w.WriteBoolean("online", protocol.Online);
            w.WriteNumber("train-users", protocol.TrainUsers);
            w.WriteNumber("organic-users", protocol.OrganicTrainUsers);
            w.WriteNumber("log-epsilon", protocol.LoggingEpsilon);
            w.WriteNumber("training-seeds", protocol.TrainingSeeds);
            w.WriteString("command-line", commandLine);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Merges the shards of <c>cobalt recogym --shard i/n</c> and writes the report an unsharded run writes.</summary>
    /// <exception cref="InvalidDataException">The shards do not fit together, or their protocol does not load in this build.</exception>
    internal static void Merge(IReadOnlyList<(string Source, ProtocolShard Shard)> shards, string? output)
    {
        RecoGymProtocol protocol;
        string commandLine;
        try
        {
            using var manifest = System.Text.Json.JsonDocument.Parse(shards[0].Shard.Manifest);
            var root = manifest.RootElement;
            protocol = new RecoGymProtocol
            {
                World = OptionsBinder.Bind<RecoGymOptions>(root.GetProperty("world"), "world"),
                WorldSeed = root.GetProperty("world-seed").GetUInt32(),
                Worlds = root.GetProperty("worlds").GetInt32(),
                Agents = root.GetProperty("agents").EnumerateArray().Select(a => AgentSpec.Default(a.GetString() ?? string.Empty)).ToArray(),
                TestUsers = root.GetProperty("test-users").GetInt32(),
                Online = root.GetProperty("online").GetBoolean(),
                TrainUsers = root.GetProperty("train-users").GetInt32(),
                OrganicTrainUsers = root.GetProperty("organic-users").GetInt32(),
                LoggingEpsilon = root.GetProperty("log-epsilon").GetDouble(),
                TrainingSeeds = root.GetProperty("training-seeds").GetInt32(),
            };
            protocol.Validate();
            commandLine = root.GetProperty("command-line").GetString() ?? string.Empty;
        }
        catch (Exception e) when (e is OptionsException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{shards[0].Source}: its RecoGym protocol does not load in this build: {e.Message}", e);
        }
        var result = ProtocolShard.Merge(shards, protocol);
        var folder = output ?? Path.Combine("reports", "recogym");
        ProtocolReport.Write(result, folder, commandLine);
        CliOutput.Final($"RecoGym protocol ({ProtocolReport.ProtocolName(protocol)}): merged {shards.Count} shards ({result.Runs.Count} runs). Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] ({string.Join(", ", ProtocolReport.Files)})");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "merge");
            w.WriteString("protocol", ProtocolReport.ProtocolName(protocol));
            CliOutput.WriteReport(w, folder, ProtocolReport.Files);
            w.WriteEndObject();
        });
    }

    /// <summary>The command's tokens without <c>--shard i/n</c> (or <c>--shard=i/n</c>): every shard, and the merge, show the same command.</summary>
    private static IEnumerable<string> WithoutShard(string[] tokens)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] == "--shard")
            {
                i++;
                continue;
            }
            if (!tokens[i].StartsWith("--shard=", StringComparison.Ordinal))
            {
                yield return tokens[i];
            }
        }
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
        int TrainingSeeds,
        string? Shard);
}
