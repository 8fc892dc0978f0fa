using System.CommandLine;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Data;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Paper;
using Cobalt.Simulation.UserChoice;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt paper STUDY</c>: the two-stage paper's tables and figures (table4, table5, table6, fig2, fig3, fig4); with
/// <c>--shard i/n</c> only slice i of n of the study's (experiment, trial, policy) runs, merged by <c>cobalt merge</c>.
/// </summary>
internal static class PaperCommand
{
    public static Command Create()
    {
        var study = new Argument<string>("study") { Description = $"Which: {string.Join(", ", PaperStudies.Names)}." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "MovieLens (e.g. ml-20m) or MIND folder; default: the shipped ml-latest-small." };
        var iterations = new Option<int>("--iterations") { Description = "Iterations per trial.", DefaultValueFactory = _ => 2000 };
        var trials = new Option<int>("--trials") { Description = "Trials.", DefaultValueFactory = _ => 5 };
        var beta = new Option<double>("--beta") { Description = "Exploration weight of every UCB policy.", DefaultValueFactory = _ => 0.1 };
        var budget = new Option<int>("--budget-per-slot") { Description = "b of the budget B = b m (200 MovieLens, 1,000 MIND).", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Root seed.", DefaultValueFactory = _ => 2026 };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for the study (default reports/paper-STUDY)." };
        var noNeural = new Option<bool>("--no-neural") { Description = "Leave out the NRMS-based policies (the slow ones)." };
        var world = new Option<string>("--world") { Description = "nrms-ips (the authors' NRMS-IPS simulator) or user-choice (Cobalt's logistic simulator).", DefaultValueFactory = _ => "nrms-ips" };
        var history = new Option<string>("--history") { Description = "nrms-ips: empty (as the authors ran it: rewards depend on the item alone) or user (the user's logged history).", DefaultValueFactory = _ => "empty" };
        var users = new Option<int>("--users") { Description = "Users per trial; default the paper's (10, 100, 1,000 in table4; 100 elsewhere)." };
        var simulator = new Option<FileInfo?>("--simulator") { Description = "A saved simulator of the chosen world; default the shipped one (or one trained on --data)." };
        var pretrainEpochs = new Option<int?>("--pretrain-epochs") { Description = "Pre-training epochs of the neural policies (default the authors' 5, keeping the best validation epoch)." };
        var shard = new Option<string?>("--shard") { Description = "Run only slice i of n (1-based, e.g. 2/4) of the study's (experiment, trial, policy) runs and write shard-i-of-n.state into --out; `cobalt merge` makes the report." };
        var command = new Command("paper", "Reproduce a table or figure of the two-stage topic -> item paper on a user-choice simulator.") { study, data, iterations, trials, beta, budget, seed, output, noNeural, world, history, users, simulator, pretrainEpochs, shard };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(study)!;
            StudyResult result;
            PaperStudyOptions options;
            try
            {
                options = new PaperStudyOptions
                {
                    Data = parse.GetValue(data)?.FullName ?? string.Empty,
                    Iterations = parse.GetValue(iterations),
                    Trials = parse.GetValue(trials),
                    Beta = parse.GetValue(beta),
                    BudgetPerSlot = parse.GetValue(budget),
                    Seed = parse.GetValue(seed),
                    Neural = !parse.GetValue(noNeural),
                    World = parse.GetValue(world)!,
                    History = parse.GetValue(history) switch
                    {
                        "empty" => SimulatorHistory.Empty,
                        "user" => SimulatorHistory.User,
                        var other => throw new OptionsException("--history", $"'{other}' is not a history; allowed: empty, user."),
                    },
                    Users = parse.GetValue(users),
                    Simulator = parse.GetValue(simulator)?.FullName ?? string.Empty,
                    PretrainEpochs = parse.GetValue(pretrainEpochs),
                };
                options.Validate();
                if (!PaperStudies.Names.Contains(name))
                {
                    throw new OptionsException("study", $"unknown study '{name}'; allowed: {string.Join(", ", PaperStudies.Names)}.");
                }
                if (parse.GetValue(shard) is { } shardText)
                {
                    var slice = ShardId.Parse(shardText);
                    var specs = PaperStudies.Specs(name, options);
                    slice.Validate(ExperimentRunner.Jobs(specs).Count, $"{name}: {string.Join(" + ", specs.Select(s => $"{s.Trials} trials x {s.Policies.Count} policies"))}");
                    return RunCommand.RunShard(specs, Manifest(name, options), slice, parse.GetValue(output)?.FullName ?? Path.Combine("reports", $"paper-{name}"), 0, $"paper {name}");
                }
                result = AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        ProgressTask? task = null;
                        return PaperStudies.Run(name, options, done => task?.Increment(done), (experiment, rounds) => task = context.AddTask(experiment, maxValue: rounds));
                    });
            }
            catch (Exception e) when (e is OptionsException or DataFormatException or IOException)
            {
                return Errors.Report(e.Message);
            }
            WriteReport(name, result, options, parse.GetValue(output)?.FullName ?? Path.Combine("reports", $"paper-{name}"));
            return 0;
        });
        return command;
    }

    /// <summary>What <c>cobalt merge</c> needs to rebuild a sharded study: its name and options (JSON).</summary>
    internal static string Manifest(string name, PaperStudyOptions options) =>
        $"{{\"command\": \"paper\", \"study\": {JsonSerializer.Serialize(name)}, \"options\": {OptionsBinder.ToJson(options)}}}";

    /// <summary>Merges the shards of <c>cobalt paper --shard</c> (<paramref name="manifest"/> as <see cref="Manifest"/> wrote it) and writes the study's report.</summary>
    internal static void Merge(JsonElement manifest, IReadOnlyList<(string Source, ExperimentShard Shard)> shards, string? output)
    {
        string name;
        PaperStudyOptions options;
        try
        {
            name = manifest.GetProperty("study").GetString() ?? string.Empty;
            options = OptionsBinder.Bind<PaperStudyOptions>(manifest.GetProperty("options"), "options");
        }
        catch (Exception e) when (e is OptionsException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{shards[0].Source}: its study does not load in this build: {e.Message}", e);
        }
        var experiments = ExperimentShard.Merge(shards, (_, _) =>
        {
            try
            {
                return PaperStudies.Specs(name, options);
            }
            catch (OptionsException e)
            {
                throw new InvalidDataException($"{shards[0].Source}: its study does not load in this build: {e.Message}", e);
            }
        });
        var result = PaperStudies.Assemble(name, options, experiments);
        WriteReport(name, result, options, output ?? Path.Combine("reports", $"paper-{name}"));
    }

    private static void WriteReport(string name, StudyResult result, PaperStudyOptions options, string folder)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), PaperReport.Markdown(result, options));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), PaperReport.Csv(result, options));
        foreach (var (file, svg) in result.Figures)
        {
            AtomicFile.WriteAllText(Path.Combine(folder, file), svg);
        }
        foreach (var experiment in result.Experiments)
        {
            ExperimentReport.Write(experiment, Path.Combine(folder, experiment.Spec.Name));
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(result.Title)}[/]");
        AnsiConsole.Write(Tables.From(result.Table));
        CliOutput.Final($"Report: [link]{Markup.Escape(folder)}[/]");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "paper");
            w.WriteString("study", name);
            w.WriteString("title", result.Title);
            CliOutput.WriteReport(w, folder, ["results.md", "results.csv", .. result.Figures.Keys, .. result.Experiments.Select(e => e.Spec.Name + "/")]);
            CliOutput.WriteTable(w, "table", result.Table);
            w.WriteStartArray("experiments");
            foreach (var experiment in result.Experiments)
            {
                ExperimentReport.WriteJson(w, experiment);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
