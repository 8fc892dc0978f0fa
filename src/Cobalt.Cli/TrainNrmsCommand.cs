using System.CommandLine;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Data.Splits;
using Cobalt.Neural.Nrms;
using Cobalt.Reporting;
using Cobalt.Simulation.Neural;
using Cobalt.Simulation.UserChoice;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt train-nrms</c>: train the NRMS two-tower model on MovieLens (or MIND) titles and clicks; report validation AUC, MRR, nDCG@5/10.</summary>
internal static class TrainNrmsCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo?>("--data") { Description = "MovieLens or MIND folder; default: the shipped ml-latest-small." };
        var output = new Option<FileInfo>("--out") { Description = "Where to save the model.", DefaultValueFactory = _ => new FileInfo("nrms.cobalt") };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training samples.", DefaultValueFactory = _ => 2 };
        var samples = new Option<int>("--samples") { Description = "Most training samples (the latest of the training period).", DefaultValueFactory = _ => 6000 };
        var impressions = new Option<int>("--impressions") { Description = "Validation impressions (one clicked item and 9 unclicked).", DefaultValueFactory = _ => 2000 };
        var wordDimension = new Option<int>("--word-dimension") { Description = "Word embedding size (NRMS uses 300).", DefaultValueFactory = _ => 100 };
        var historyEnd = new Option<string>("--history-end") { Description = "First day of the training period.", DefaultValueFactory = _ => "2010-01-01" };
        var trainingEnd = new Option<string>("--training-end") { Description = "First day of the validation period.", DefaultValueFactory = _ => "2014-06-01" };
        var seed = new Option<ulong>("--seed") { Description = "Root seed.", DefaultValueFactory = _ => 1 };
        var command = new Command("train-nrms", "Train NRMS (Wu et al. 2019) on titles and clicks (ratings >= 4), split by date; report validation AUC, MRR, nDCG@5/10 and save the model.")
        {
            data, output, epochs, samples, impressions, wordDimension, historyEnd, trainingEnd, seed,
        };
        command.SetAction(parse =>
        {
            try
            {
                var folder = parse.GetValue(data)?.FullName ?? UserChoiceWorld.ShippedMovieLens();
                var dataset = AnsiConsole.Status().Start("Reading...", _ => InteractionReader.Read(folder));
                var split = TimeSplit.ByDate(dataset, Date(parse.GetValue(historyEnd)!, "--history-end"), Date(parse.GetValue(trainingEnd)!, "--training-end"));
                var options = new NrmsOptions { WordDimension = parse.GetValue(wordDimension) };
                options.Validate();
                var root = parse.GetValue(seed);
                var training = NrmsOnInteractions.TrainingSamples(dataset, split, options.Negatives, options.MaxHistory, parse.GetValue(samples), Seeds.Stream(root, "nrms/samples"));
                var validation = NrmsOnInteractions.ValidationImpressions(dataset, split, 9, options.MaxHistory, parse.GetValue(impressions), Seeds.Stream(root, "nrms/validation"));
                if (training.Count == 0 || validation.Count == 0)
                {
                    return Errors.Report($"the split leaves {training.Count} training samples and {validation.Count} validation impressions; move --history-end / --training-end.");
                }
                var model = NrmsModel.FromTitles(dataset.Items.Select(i => i.Title).ToArray(), options, Seeds.Derive(root, "nrms/model"));
                var before = NrmsOnInteractions.Evaluate(model, validation);
                var epochCount = parse.GetValue(epochs);
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask($"training on {training.Count:N0} samples", maxValue: epochCount);
                        model.Train(training, epochCount, Seeds.Stream(root, "nrms/training"), new Progress<NrmsProgress>(p =>
                        {
                            task.Value = p.Epoch;
                            task.Description = $"epoch {p.Epoch}/{p.Epochs}: loss {p.MeanLoss:F4}, {p.SamplesPerSecond:F0} samples/s";
                        }));
                    });
                var after = NrmsOnInteractions.Evaluate(model, validation);
                var file = parse.GetValue(output)!;
                model.Save(file.FullName);
                var table = new MarkdownTable(new Cobalt.Reporting.TableColumn("Validation"), new Cobalt.Reporting.TableColumn("AUC", ColumnAlignment.Right),
                    new Cobalt.Reporting.TableColumn("MRR", ColumnAlignment.Right), new Cobalt.Reporting.TableColumn("nDCG@5", ColumnAlignment.Right), new Cobalt.Reporting.TableColumn("nDCG@10", ColumnAlignment.Right));
                foreach (var (name, report) in new[] { ("untrained", before), ($"after {epochCount} epochs", after) })
                {
                    table.AddRow(name, Format.Number(report.Auc, 4), Format.Number(report.Mrr, 4), Format.Number(report.Ndcg5, 4), Format.Number(report.Ndcg10, 4));
                }
                AnsiConsole.Write(Tables.From(table));
                AnsiConsole.MarkupLine($"{validation.Count:N0} impressions (1 clicked + 9 unclicked each). Saved to [link]{Markup.Escape(file.FullName)}[/].");
                return 0;
            }
            catch (Exception e) when (e is OptionsException or DataFormatException or IOException or ArgumentException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    private static DateTimeOffset Date(string text, string option) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw new OptionsException(option, $"'{text}' is not a date like 2010-01-01.");
}
