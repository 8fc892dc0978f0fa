using System.CommandLine;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.RecoGym.Evaluation;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Studies;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt merge DIR... --out DIR</c>: put together the shard files that <c>cobalt run --shard i/n</c>,
/// <c>cobalt paper STUDY --shard i/n</c>, <c>cobalt study NAME --shard i/n</c> or <c>cobalt recogym --shard i/n</c> wrote
/// (on one machine or many) and write the report an unsharded run writes. The kind of shard is read from the files.
/// </summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("shards")
        {
            Description = $"Folders holding shard files ({ExperimentShard.FilePattern}), or the files themselves.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for the report (default reports/<experiment name>)." };
        var command = new Command("merge", "Merge the shards of `cobalt run|paper|study|recogym ... --shard i/n` into the report one machine would write (for run: results.md, index.html, curves.csv, SVGs, experiment.json).")
        {
            inputs, output,
        };
        command.SetAction(parse => Run(parse.GetValue(inputs) ?? [], parse.GetValue(output)));
        return command;
    }

    private static int Run(string[] inputs, DirectoryInfo? output)
    {
        try
        {
            var files = ShardFiles(inputs);
            var kinds = files.Select(f => (File: f, Kind: KindOf(f))).ToArray();
            if (kinds.FirstOrDefault(k => k.Kind != kinds[0].Kind) is { File: not null } mixed)
            {
                throw new InvalidDataException($"{mixed.File} is {Describe(mixed.Kind)} but {kinds[0].File} is {Describe(kinds[0].Kind)}: merge the shards of one command at a time.");
            }
            switch (kinds[0].Kind)
            {
                case StudyShard.FileKind:
                    MergeStudy(files, output);
                    return 0;
                case ProtocolShard.FileKind:
                    RecoGymCommand.Merge(files.Select(f => (f, ProtocolShard.Read(f))).ToArray(), output?.FullName);
                    return 0;
            }
            var shards = files.Select(f => (f, ExperimentShard.Read(f))).ToArray();
            using var manifest = Manifest(shards[0].f, shards[0].Item2.Manifest);
            switch (manifest.RootElement.GetProperty("command").GetString())
            {
                case "run":
                    var result = ExperimentShard.Merge(shards);
                    AnsiConsole.MarkupLine($"[bold]{Markup.Escape(result.Spec.Name)}[/]: merged {result.Policies.Sum(p => p.Trials.Count)} runs ({result.Spec.Trials} trials x {result.Spec.Policies.Count} policies)");
                    RunCommand.WriteReport(result, output?.FullName ?? Path.Combine("reports", result.Spec.Name), "merge");
                    break;
                case "paper":
                    PaperCommand.Merge(manifest.RootElement, shards, output?.FullName);
                    break;
                case var other:
                    throw new InvalidDataException($"{shards[0].f}: shards of '{other}', which this build cannot merge.");
            }
            return 0;
        }
        catch (InvalidDataException e)
        {
            return Errors.Report($"cannot merge: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Errors.Report($"cannot merge: {e.Message}");
        }
    }

    /// <summary>Merges <c>cobalt study NAME --shard i/n</c> shards: the study's report, as one machine writes it.</summary>
    private static void MergeStudy(List<string> files, DirectoryInfo? output)
    {
        var shards = files.Select(f => (f, StudyShard.Read(f))).ToArray();
        StudyDefinition study;
        StudyReport report;
        try
        {
            (study, report) = StudyCatalog.Merge(shards, output?.FullName, line => AnsiConsole.MarkupLine(Markup.Escape(line)));
        }
        catch (Exception e) when (e is OptionsException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{shards[0].f}: the study stopped while merging (its preparation runs again here, so this machine needs its data too): {e.Message}", e);
        }
        var folder = output?.FullName ?? Path.Combine("reports", study.Name);
        CliOutput.Final($"[bold]{Markup.Escape(study.Name)}[/]: merged {shards.Length} shards ({shards[0].Item2.JobCount} runs). Report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/] (results.md, {Markup.Escape(string.Join(", ", report.Files))})");
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", "merge");
            w.WriteString("study", study.Name);
            CliOutput.WriteReport(w, folder, ["results.md", .. report.Files]);
            w.WriteEndObject();
        });
    }

    /// <summary>The state-file kind of <paramref name="file"/> (which shard reader applies).</summary>
    private static string KindOf(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            var (header, state) = StateFile.Read(stream);
            state.Dispose();
            return header.Kind;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    private static string Describe(string kind) => kind switch
    {
        ExperimentShard.FileKind => "a shard of `cobalt run` or `cobalt paper`",
        StudyShard.FileKind => "a shard of `cobalt study`",
        ProtocolShard.FileKind => "a shard of `cobalt recogym`",
        _ => $"a '{kind}' file, not a shard",
    };

    private static JsonDocument Manifest(string file, string text)
    {
        try
        {
            var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("command", out var command) || command.ValueKind != JsonValueKind.String)
            {
                document.Dispose();
                throw new InvalidDataException($"{file}: its manifest names no command.");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: its manifest is not JSON: {e.Message}", e);
        }
    }

    /// <summary>Every shard file named or found (not recursively) in a named folder, each once, in a stable order.</summary>
    private static List<string> ShardFiles(string[] inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = Directory.GetFiles(input, ExperimentShard.FilePattern).Order(StringComparer.Ordinal).ToArray();
                if (found.Length == 0)
                {
                    throw new InvalidDataException($"{input} holds no shard files ({ExperimentShard.FilePattern}); run `cobalt run ... --shard i/n --out {input}` first.");
                }
                files.AddRange(found);
            }
            else if (File.Exists(input))
            {
                files.Add(input);
            }
            else
            {
                throw new InvalidDataException($"{input}: no such folder or file.");
            }
        }
        // The same file named twice (a folder and a file in it) is one shard, not a duplicate.
        return files.DistinctBy(Path.GetFullPath).ToList();
    }
}
