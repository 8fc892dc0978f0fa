using System.CommandLine;
using System.Diagnostics;
using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Studies;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt study [NAME]</c>: run a study (several experiments that make one finding) and write its report.</summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("study")
        {
            Description = $"Study to run: {string.Join(", ", StudyCatalog.All.Select(s => s.Name))}. Without one, the studies are listed.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var seed = new Option<ulong>("--seed") { Description = "Root seed.", DefaultValueFactory = _ => 2026 };
        var trials = new Option<int?>("--trials") { Description = "Trials (held-out users, runs) per configuration (default: the study's)." };
        var iterations = new Option<int?>("--iterations") { Description = "Rounds per trial (default: the study's, 10,000)." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for the report (default reports/<study name>)." };
        var options = new Option<FileInfo?>("--options") { Description = "JSON file with the study's options (an object; options left out keep their defaults). The report echoes every option into results.md and options.json." };
        var parallelism = new Option<int>("--parallelism") { Description = "Runs played at once (default: one per core). Results do not depend on it.", DefaultValueFactory = _ => 0 };
        var shard = new Option<string?>("--shard") { Description = "Play only slice i of n (1-based, e.g. 2/4) of the study's (trial, policy) runs and write shard-i-of-n.state into --out; `cobalt merge` makes the report." };
        var command = new Command("study", "Run a study: the sweeps and leave-one-out experiments of CoFineUCB and the mixed UCB/LinUCB recommender; writes Markdown tables and SVG figures.")
        {
            name, seed, trials, iterations, options, output, parallelism, shard,
        };
        command.SetAction(parse => Run(parse.GetValue(name), parse.GetValue(seed), parse.GetValue(trials), parse.GetValue(iterations), parse.GetValue(options), parse.GetValue(output), parse.GetValue(parallelism), parse.GetValue(shard)));
        return command;
    }

    private static int Run(string? name, ulong seed, int? trials, int? iterations, FileInfo? optionsFile, DirectoryInfo? output, int parallelism, string? shardText)
    {
        ShardId? shard = null;
        if (name is null)
        {
            var table = new Reporting.MarkdownTable("study", "what it reproduces");
            foreach (var study in StudyCatalog.All)
            {
                table.AddRow(study.Name, study.Summary);
            }
            AnsiConsole.Write(Tables.From(table));
            CliOutput.Document(w =>
            {
                w.WriteStartObject();
                w.WriteString("command", "study");
                w.WriteStartArray("studies");
                foreach (var study in StudyCatalog.All)
                {
                    w.WriteStartObject();
                    w.WriteString("name", study.Name);
                    w.WriteString("summary", study.Summary);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return 0;
        }
        StudyDefinition definition;
        var settings = new StudySettings
        {
            Seed = seed,
            Trials = trials,
            Iterations = iterations,
            Parallelism = parallelism,
            Log = line => AnsiConsole.MarkupLine(Markup.Escape(line)),
        };
        try
        {
            definition = StudyCatalog.Get(name);
            settings.Validate();
            shard = shardText is null ? null : ShardId.Parse(shardText);
            if (optionsFile is not null)
            {
                settings = settings with { Options = StudyCatalog.ReadOptions(definition, optionsFile.FullName), OptionsSource = optionsFile.FullName };
            }
        }
        catch (OptionsException e)
        {
            return Errors.Report(e.Message);
        }
        var folder = output?.FullName ?? Path.Combine("reports", definition.Name);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(definition.Name)}[/]: {Markup.Escape(definition.Summary)}");
        var watch = Stopwatch.StartNew();
        if (shard is { } slice)
        {
            return RunShard(definition, settings, slice, folder, watch);
        }
        StudyReport report;
        try
        {
            report = StudyCatalog.Run(definition, settings, folder);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OptionsException or IOException)
        {
            return Errors.Report($"the study stopped: {e.Message}");
        }
        CliOutput.Final($"Done in {watch.Elapsed.TotalSeconds:F0} s. Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] (results.md, {Markup.Escape(string.Join(", ", report.Files))})");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "study");
            w.WriteString("study", definition.Name);
            w.WriteString("summary", definition.Summary);
            CliOutput.WriteReport(w, folder, ["results.md", .. report.Files]);
            w.WriteStartArray("tables");
            foreach (var (heading, table) in report.Tables)
            {
                w.WriteStartObject();
                w.WriteString("heading", heading);
                CliOutput.WriteTable(w, "table", table);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return 0;
    }

    /// <summary>Plays shard <paramref name="slice"/> of the study and writes <c>shard-i-of-n.state</c> into <paramref name="folder"/>.</summary>
    private static int RunShard(StudyDefinition definition, StudySettings settings, ShardId slice, string folder, Stopwatch watch)
    {
        StudyShard result;
        try
        {
            result = StudyCatalog.RunShard(definition, settings, slice, line => AnsiConsole.MarkupLine(Markup.Escape(line)));
        }
        catch (PolicyFailedException e)
        {
            return Errors.Fail($"the shard stopped: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OptionsException or IOException)
        {
            return Errors.Report($"the study stopped: {e.Message}");
        }
        var path = Path.Combine(folder, slice.FileName);
        result.Write(path);
        CliOutput.Final($"Shard {slice}: {result.Runs.Count} of {result.JobCount} runs in {watch.Elapsed.TotalSeconds:F0} s. Written: [link]{Markup.Escape(Path.GetFullPath(path))}[/]; `cobalt merge` makes the report once every shard is done.");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "study");
            w.WriteString("study", definition.Name);
            w.WriteString("shard", slice.ToString());
            w.WriteNumber("runs", result.Runs.Count);
            w.WriteNumber("study_runs", result.JobCount);
            w.WriteString("file", Path.GetFullPath(path));
            w.WriteEndObject();
        });
        return 0;
    }
}
