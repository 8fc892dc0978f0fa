using System.CommandLine;
using System.Text.Json;
using Cobalt.Simulation.Experiments;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt merge DIR... --out DIR</c>: put together the shard files that <c>cobalt run --shard i/n</c>
/// or <c>cobalt paper STUDY --shard i/n</c> wrote (on one machine or many) and write the report an unsharded run writes.
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
        var command = new Command("merge", "Merge the shards of `cobalt run --shard i/n` into the report one machine would write (results.md, index.html, curves.csv, SVGs, experiment.json).")
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
