using System.CommandLine;
using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt run [experiment.json]</c>: play the policies of an experiment and write its report; with
/// <c>--shard i/n</c> play only slice i of n and write <c>shard-i-of-n.state</c> for <c>cobalt merge</c>.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo?>("experiment")
        {
            Description = "Experiment file (JSON). Without one, the built-in preset runs.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var preset = new Option<string?>("--preset") { Description = $"Built-in experiment to run: {string.Join(", ", ExperimentPresets.Names)} (default {ExperimentPresets.Default})." };
        var seed = new Option<ulong?>("--seed") { Description = "Root seed (overrides the experiment's)." };
        var trials = new Option<int?>("--trials") { Description = "Number of trials (overrides the experiment's)." };
        var iterations = new Option<int?>("--iterations") { Description = "Rounds per trial (overrides the experiment's)." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for the report (default reports/<experiment name>)." };
        var shard = new Option<string?>("--shard") { Description = "Run only slice i of n (1-based, e.g. 2/4) of the (trial, policy) runs and write shard-i-of-n.state into --out; `cobalt merge` makes the report." };
        var parallelism = new Option<int>("--parallelism") { Description = "Trials run at once (default: one per core). Results do not depend on it.", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "Run an experiment: every policy against the same simulated users; prints a table and writes Markdown, CSV, SVG and HTML.")
        {
            file, preset, seed, trials, iterations, output, shard, parallelism,
        };
        command.SetAction(parse => Run(
            parse.GetValue(file), parse.GetValue(preset), parse.GetValue(seed), parse.GetValue(trials), parse.GetValue(iterations), parse.GetValue(output), parse.GetValue(shard), parse.GetValue(parallelism)));
        return command;
    }

    private static int Run(FileInfo? file, string? preset, ulong? seed, int? trials, int? iterations, DirectoryInfo? output, string? shardText, int parallelism)
    {
        ExperimentSpec spec;
        ShardId? shard = null;
        try
        {
            spec = Load(file, preset);
            spec = spec with
            {
                Seed = seed ?? spec.Seed,
                Trials = trials ?? spec.Trials,
                Iterations = iterations ?? spec.Iterations,
            };
            spec.Validate();
            if (shardText is not null)
            {
                shard = ShardId.Parse(shardText);
                shard.Value.Validate(spec.Trials * spec.Policies.Count, $"{spec.Trials} trials x {spec.Policies.Count} policies");
            }
        }
        catch (OptionsException e)
        {
            return Errors.Report(file is null ? e.Message : $"{file.Name}: {e.Message}");
        }
        catch (IOException e)
        {
            return Errors.Report(e.Message);
        }

        var folder = output?.FullName ?? Path.Combine("reports", spec.Name);
        if (shard is { } slice)
        {
            return RunShard(spec, slice, folder, parallelism);
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(spec.Name)}[/]: {spec.Policies.Count} policies, {spec.Trials} trials x {spec.Iterations} rounds, world [blue]{spec.World.Kind}[/], seed {spec.Seed}");
        ExperimentResult result;
        try
        {
            result = AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("rounds played", maxValue: (double)spec.Trials * spec.Policies.Count * spec.Iterations);
                    return ExperimentRunner.RunReportingFailures(spec, parallelism, done => task.Increment(done));
                });
        }
        catch (OptionsException e)
        {
            // The check before the first round: a policy that does not fit the world, named as in the experiment file.
            return Errors.Report(file is null ? $"{spec.Name}: {e.Message}" : $"{file.Name}: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Errors.Report($"the experiment stopped: {e.Message}");
        }

        WriteReport(result, folder);
        foreach (var failure in result.Failures)
        {
            Errors.Print(failure.ToString());
        }
        return result.Failures.Count == 0 ? 0 : Errors.Failed;
    }

    /// <summary>
    /// Writes the report files and shows the tables (also the last step of <c>cobalt merge</c>); with <c>--json</c> prints
    /// <c>{"command", "report", "files", "experiment": <see cref="ExperimentReport.WriteJson"/>}</c> instead of the tables.
    /// </summary>
    internal static void WriteReport(ExperimentResult result, string folder, string command = "run")
    {
        ExperimentReport.Write(result, folder);
        AnsiConsole.Write(Tables.From(ExperimentReport.ResultsTable(result)));
        AnsiConsole.Write(Tables.From(ExperimentReport.TimingTable(result)));
        CliOutput.Final($"Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] ({string.Join(", ", ExperimentReport.Files)})");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", command);
            CliOutput.WriteReport(w, folder, ExperimentReport.Files);
            w.WritePropertyName("experiment");
            ExperimentReport.WriteJson(w, result);
            w.WriteEndObject();
        });
    }

    private static int RunShard(ExperimentSpec spec, ShardId shard, string folder, int parallelism) =>
        RunShard([spec], ExperimentShard.RunManifest, shard, folder, parallelism, $"{spec.Name} (world {spec.World.Kind}, seed {spec.Seed})");

    /// <summary>Runs shard <paramref name="shard"/> of <paramref name="specs"/>' runs and writes its file into <paramref name="folder"/> (also <c>cobalt paper --shard</c>).</summary>
    internal static int RunShard(IReadOnlyList<ExperimentSpec> specs, string manifest, ShardId shard, string folder, int parallelism, string title)
    {
        var all = ExperimentRunner.Jobs(specs);
        var mine = shard.JobIndices(all.Count);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/] shard {shard}: {mine.Length} of {all.Count} (trial, policy) runs");
        ExperimentShard result;
        try
        {
            result = AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("rounds played", maxValue: mine.Sum(j => (double)specs[all[j].Experiment].Iterations));
                    return ExperimentRunner.RunShard(specs, shard, manifest, parallelism, done => task.Increment(done));
                });
        }
        catch (PolicyFailedException e)
        {
            return Errors.Fail($"the shard stopped: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OptionsException)
        {
            return Errors.Report($"the experiment stopped: {e.Message}");
        }
        var path = Path.Combine(folder, shard.FileName);
        try
        {
            result.Write(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Errors.Report($"could not write {path}: {e.Message}");
        }
        var runs = result.Parts.Sum(p => p.Runs.Count);
        CliOutput.Final($"Shard {shard}: {runs} runs written to [link]{Markup.Escape(Path.GetFullPath(path))}[/]; when every shard is done, run `cobalt merge {Markup.Escape(folder)} --out REPORT`.");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "shard");
            w.WriteString("shard", shard.ToString());
            w.WriteNumber("runs", runs);
            w.WriteString("file", Path.GetFullPath(path));
            w.WriteEndObject();
        });
        return 0;
    }

    private static ExperimentSpec Load(FileInfo? file, string? preset)
    {
        if (file is not null && preset is not null)
        {
            throw new OptionsException("--preset", "give either an experiment file or a preset, not both.");
        }
        if (file is null)
        {
            return ExperimentPresets.Load(preset ?? ExperimentPresets.Default);
        }
        if (!file.Exists)
        {
            throw new IOException($"The experiment file '{file.FullName}' does not exist.");
        }
        return ExperimentSpec.Parse(File.ReadAllText(file.FullName));
    }
}
