using System.CommandLine;
using Cobalt.Data;
using Cobalt.Data.Fetch;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt data info PATH</c> and <c>cobalt data fetch NAME</c>.</summary>
internal static class DataCommand
{
    public static Command Create() => new("data", "Inspect and download datasets (MovieLens, MIND, Open Bandit Dataset, Coat).")
    {
        Info(),
        Fetch(),
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
            return 0;
        });
        return command;
    }

    private static Command Fetch()
    {
        var name = new Argument<string>("name") { Description = $"Dataset to download: {string.Join(", ", DatasetRegistry.All.Select(d => d.Name))}." };
        var root = new Option<DirectoryInfo>("--root") { Description = "Folder the dataset goes into (default: data).", DefaultValueFactory = _ => new DirectoryInfo("data") };
        var replace = new Option<bool>("--replace") { Description = "Download again and replace an existing copy." };
        var command = new Command("fetch", "Download a published dataset: resumable, size- and checksum-verified, placed atomically.") { name, root, replace };
        command.SetAction(async (parse, cancellationToken) =>
        {
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
                var folder = await AnsiConsole.Progress()
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
                        return await new DatasetFetcher(http).FetchAsync(dataset, parse.GetValue(root)!.FullName, parse.GetValue(replace), progress, cancellationToken);
                    });
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
}
