using System.CommandLine;
using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt run [experiment.json]</c>: play the policies of an experiment and write its report.</summary>
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
        var parallelism = new Option<int>("--parallelism") { Description = "Trials run at once (default: one per core). Results do not depend on it.", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "Run an experiment: every policy against the same simulated users; prints a table and writes Markdown, CSV, SVG and HTML.")
        {
            file, preset, seed, trials, iterations, output, parallelism,
        };
        command.SetAction(parse => Run(
            parse.GetValue(file), parse.GetValue(preset), parse.GetValue(seed), parse.GetValue(trials), parse.GetValue(iterations), parse.GetValue(output), parse.GetValue(parallelism)));
        return command;
    }

    private static int Run(FileInfo? file, string? preset, ulong? seed, int? trials, int? iterations, DirectoryInfo? output, int parallelism)
    {
        ExperimentSpec spec;
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
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(spec.Name)}[/]: {spec.Policies.Count} policies, {spec.Trials} trials x {spec.Iterations} rounds, world [blue]{spec.World.Kind}[/], seed {spec.Seed}");
        ExperimentResult result;
        try
        {
            result = AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("rounds played", maxValue: (double)spec.Trials * spec.Policies.Count * spec.Iterations);
                    return ExperimentRunner.Run(spec, parallelism, done => task.Increment(done));
                });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OptionsException)
        {
            return Errors.Report($"the experiment stopped: {e.Message}");
        }

        ExperimentReport.Write(result, folder);
        AnsiConsole.Write(Tables.From(ExperimentReport.ResultsTable(result)));
        AnsiConsole.Write(Tables.From(ExperimentReport.TimingTable(result)));
        AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] ({string.Join(", ", ExperimentReport.Files)})");
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
