using System.CommandLine;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Data;
using Cobalt.Data.Coat;
using Cobalt.Data.MovieLens;
using Cobalt.Data.Splits;
using Cobalt.Reporting;
using Cobalt.Simulation.UserChoice;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt simulator train</c> and <c>cobalt simulator coat</c>: build the user-choice simulator and check IPS debiasing.</summary>
internal static class SimulatorCommand
{
    public static Command Create() => new("simulator", "The user-choice simulator trained on logged data (two-stage paper, section 4).")
    {
        Train(),
        Coat(),
    };

    private static Command Train()
    {
        var data = new Option<DirectoryInfo?>("--data") { Description = "MovieLens folder (any layout) or MIND folder; default: the shipped data/movielens-latest-small." };
        var output = new Option<FileInfo>("--out") { Description = "Where to save the simulator.", DefaultValueFactory = _ => new FileInfo("simulator.cobalt") };
        var threshold = new Option<double>("--threshold") { Description = "THRES; 0 (default) picks the best F1 on the validation period among thresholds leaving at most --max-positive-rate of pairs positive." };
        var maxRate = new Option<double>("--max-positive-rate") { Description = "Largest share of (user, item) pairs a chosen THRES may make positive.", DefaultValueFactory = _ => 0.1 };
        var noIps = new Option<bool>("--no-ips") { Description = "Fit without inverse-propensity weights." };
        var historyEnd = new Option<string>("--history-end") { Description = "First day of the training period.", DefaultValueFactory = _ => "2010-01-01" };
        var trainingEnd = new Option<string>("--training-end") { Description = "First day of the validation period.", DefaultValueFactory = _ => "2014-06-01" };
        var kind = new Option<string>("--kind") { Description = "logistic (a logistic regression over fixed features) or nrms-ips (the authors' NRMS simulator, CB4Rec NRMS_IPS_Sim).", DefaultValueFactory = _ => "logistic" };
        kind.AcceptOnlyFromAmong("logistic", "nrms-ips");
        var epochs = new Option<int>("--epochs") { Description = "nrms-ips: training epochs (the best validation-AUC epoch is kept).", DefaultValueFactory = _ => new NrmsIpsOptions().Epochs };
        var vectors = new Option<string>("--vectors") { Description = "nrms-ips: GloVe text file (its width sets the word dimension); default: the shipped data/glove-100d subset; 'none': random words." };
        var split = new Option<string>("--split") { Description = "nrms-ips: 'auto' (the nrms-ips world's split: the paper's dates where they leave 100 validation-period users, else user-quantiles), 'user-quantiles' (each user's first 60 % of ratings history, next 20 % training, last 20 % validation), 'fraction' (60/20/20 % of all ratings by time) or 'date' (--history-end, --training-end).", DefaultValueFactory = _ => "auto" };
        split.AcceptOnlyFromAmong("fraction", "date");
        var lr = new Option<double>("--lr") { Description = "nrms-ips: Adam learning rate (1e-4 as coded for MovieLens).", DefaultValueFactory = _ => new NrmsIpsOptions().Nrms.Optimiser.LearningRate };
        var seed = new Option<ulong>("--seed") { Description = "nrms-ips: root seed.", DefaultValueFactory = _ => NrmsIpsTrainer.DefaultSeed };
        var command = new Command("train", "Train the simulator on MovieLens or MIND, report its quality and save it.") { data, output, threshold, maxRate, noIps, historyEnd, trainingEnd, kind, epochs, vectors, split, lr, seed };
        command.SetAction(parse =>
        {
            if (parse.GetValue(kind) == "nrms-ips")
            {
                return TrainNrmsIps(parse.GetValue(data)?.FullName, parse.GetValue(output)!, parse.GetValue(epochs), parse.GetValue(vectors), parse.GetValue(threshold),
                    parse.GetValue(split)!, parse.GetValue(historyEnd)!, parse.GetValue(trainingEnd)!, parse.GetValue(lr), parse.GetValue(seed));
            }
            var options = new UserChoiceTrainingOptions
            {
                Threshold = parse.GetValue(threshold),
                MaxPositiveRate = parse.GetValue(maxRate),
                InversePropensity = !parse.GetValue(noIps),
                HistoryEnd = parse.GetValue(historyEnd)!,
                TrainingEnd = parse.GetValue(trainingEnd)!,
            };
            try
            {
                options.Validate();
                var folder = parse.GetValue(data)?.FullName ?? UserChoiceWorld.ShippedMovieLens();
                var (simulator, report) = AnsiConsole.Status().Start("Reading and training...", _ => UserChoiceTrainer.Train(InteractionReader.Read(folder), options));
                var file = parse.GetValue(output)!;
                simulator.Save(file.FullName);
                AnsiConsole.Write(Tables.From(ReportTable(report, simulator)));
                AnsiConsole.MarkupLine($"Saved to [link]{Markup.Escape(file.FullName)}[/].");
                return 0;
            }
            catch (Exception e) when (e is OptionsException or DataFormatException or IOException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary><c>--kind nrms-ips</c>: train the authors' NRMS simulator, print its validation quality, THRES and good-item shares, save it.</summary>
    private static int TrainNrmsIps(string? folder, FileInfo output, int epochs, string? vectors, double threshold, string split, string historyEnd, string trainingEnd, double lr, ulong seed)
    {
        try
        {
            var options = new NrmsIpsOptions { Epochs = epochs, Threshold = threshold, WordVectors = vectors ?? "" };
            options = options with { Nrms = options.Nrms with { Optimiser = options.Nrms.Optimiser with { LearningRate = lr } } };
            if (vectors is { Length: > 0 } and not "none")
            {
                options = options with { Nrms = options.Nrms with { WordDimension = GloveWidth(vectors) } };
            }
            options.Validate();
            var dataset = InteractionReader.Read(folder ?? UserChoiceWorld.ShippedMovieLens());
            var timeSplit = split switch
            {
                "date" => TimeSplit.ByDate(dataset, Day(historyEnd, "--history-end"), Day(trainingEnd, "--training-end")),
                "fraction" => TimeSplit.ByFraction(dataset, 0.6, 0.2),
                "user-quantiles" => TimeSplit.ByUserFraction(dataset, 0.6, 0.2),
                "auto" => TrialProtocol.ChooseSplit(dataset, new TrialProtocolOptions()),
                _ => throw new OptionsException("split", $"'{split}' is not a split; allowed: auto, user-quantiles, fraction, date."),
            };
            var progress = new Progress<NrmsIpsEpoch>(e => AnsiConsole.MarkupLine(
                $"epoch {e.Epoch}: loss {Format.Number(e.Loss, 5)}, validation AUC {Format.Number(e.ValidationAuc, 4)} ({Format.Number(e.Seconds, 1)} s)"));
            var (simulator, report) = NrmsIpsTrainer.Train(dataset, timeSplit, options, seed, progress);
            simulator.Save(output.FullName);
            var table = new MarkdownTable(new Cobalt.Reporting.TableColumn("NRMS IPS simulator"), new Cobalt.Reporting.TableColumn(simulator.Source, ColumnAlignment.Right));
            string N(int v) => v.ToString("N0", CultureInfo.InvariantCulture);
            table.AddRow("eligible users / validation users", $"{N(report.EligibleUsers)} / {N(report.ValidationUsers)}");
            table.AddRow("training / validation impressions", $"{N(report.TrainingImpressions)} / {N(report.ValidationImpressions)}");
            table.AddRow("word vectors (words with a vector)", $"{report.WordVectors} ({N(report.WordsWithVectors)})");
            table.AddRow("epochs run / kept", $"{report.Epochs.Count} / {report.BestEpoch}");
            table.AddRow("validation AUC / MRR / nDCG@5 / nDCG@10", $"{Format.Number(report.Validation.Auc, 4)} / {Format.Number(report.Validation.Mrr, 4)} / {Format.Number(report.Validation.Ndcg5, 4)} / {Format.Number(report.Validation.Ndcg10, 4)}");
            table.AddRow("mean sigmoid score: positives / negatives", $"{Format.Number(report.PositiveScoreMean, 4)} / {Format.Number(report.NegativeScoreMean, 4)}");
            table.AddRow("best-F1 threshold (validation): F1", $"{Format.Number(report.BestF1Threshold, 6)}: F1 {Format.Number(report.BestF1, 4)}");
            table.AddRow("highest-scored validation candidate", report.HighestScoreIsClick ? "a click" : "a non-click (the authors' NaN-argmax rule would put THRES there: no rewards)");
            table.AddRow("THRES in use", Format.Number(report.Threshold, 6));
            table.AddRow("good items, empty history", Format.Number(100 * report.GoodShareEmptyHistory, 2) + " %");
            table.AddRow("good items, validation users' histories (mean)", Format.Number(100 * report.GoodShareValidationUsers, 2) + " %");
            table.AddRow("reward", $"1{{sigmoid(score) > THRES}}, flipped with p = {simulator.FlipProbability}");
            table.AddRow("training time", $"{Format.Number(report.Elapsed.TotalSeconds, 1)} s");
            AnsiConsole.Write(Tables.From(table));
            AnsiConsole.MarkupLine($"Saved to [link]{Markup.Escape(output.FullName)}[/].");
            return 0;
        }
        catch (Exception e) when (e is OptionsException or DataFormatException or IOException or ArgumentException)
        {
            return Errors.Report(e.Message);
        }
    }

    private static DateTimeOffset Day(string text, string option) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day)
            ? day
            : throw new OptionsException(option.TrimStart('-'), $"'{text}' is not a yyyy-MM-dd date.");

    /// <summary>The width of the first vector line of a GloVe text file.</summary>
    private static int GloveWidth(string path)
    {
        if (!File.Exists(path))
        {
            throw new OptionsException("vectors", $"the file '{path}' does not exist.");
        }
        var first = File.ReadLines(path).FirstOrDefault(l => l.Length > 0) ?? throw new OptionsException("vectors", $"'{path}' is empty.");
        return first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 1;
    }

    private static Command Coat()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "The Coat folder.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("..", "shared", "data", "coat")) };
        var command = new Command("coat", "Fit the simulator's logistic regression on Coat's biased ratings with and without IPS weights; score both on the random-exposure test set.") { data };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(data)!;
            if (!CoatReader.IsCoat(folder.FullName))
            {
                return Errors.Report($"{folder.FullName} holds no Coat data (train.ascii, test.ascii); it is not shipped with Cobalt: pass --data.");
            }
            try
            {
                var coat = CoatReader.Read(folder.FullName);
                var fits = AnsiConsole.Status().Start("Fitting...", _ => Ridges.Select(r => (Ridge: r, Fits: CoatCheck.Run(coat, r))).ToArray());
                var table = new MarkdownTable(
                    new Cobalt.Reporting.TableColumn("Ridge", ColumnAlignment.Right),
                    new Cobalt.Reporting.TableColumn("Model"),
                    new Cobalt.Reporting.TableColumn("Predicted P(rating >= 4)", ColumnAlignment.Right),
                    new Cobalt.Reporting.TableColumn("Observed (test)", ColumnAlignment.Right),
                    new Cobalt.Reporting.TableColumn("Brier", ColumnAlignment.Right),
                    new Cobalt.Reporting.TableColumn("Log loss", ColumnAlignment.Right),
                    new Cobalt.Reporting.TableColumn("AUC", ColumnAlignment.Right));
                foreach (var (ridge, fit) in fits.SelectMany(f => new[] { (f.Ridge, f.Fits.Weighted), (f.Ridge, f.Fits.Unweighted) }))
                {
                    table.AddRow(Format.Number(ridge, 0), fit.Model, Format.Number(fit.PredictedPositiveRate, 4), Format.Number(fit.TestPositiveRate, 4), Format.Number(fit.Brier, 4), Format.Number(fit.LogLoss, 4), Format.Number(fit.Auc, 4));
                }
                AnsiConsole.Write(Tables.From(table));
                return 0;
            }
            catch (Exception e) when (e is DataFormatException or IOException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary>Prior precisions tried on Coat: IPS weights add variance, so how much the fit is regularised decides whether they pay.</summary>
    private static readonly double[] Ridges = [1, 10, 100, 1000];

    private static MarkdownTable ReportTable(UserChoiceReport report, UserChoiceSimulator simulator)
    {
        var table = new MarkdownTable(new Cobalt.Reporting.TableColumn("Simulator"), new Cobalt.Reporting.TableColumn(simulator.Source, ColumnAlignment.Right));
        table.AddRow("training / validation interactions", $"{report.TrainingSamples.ToString("N0", CultureInfo.InvariantCulture)} / {report.ValidationSamples.ToString("N0", CultureInfo.InvariantCulture)}");
        table.AddRow("users simulated / items", $"{simulator.Users.Length} / {simulator.Features.ItemCount}");
        table.AddRow("validation AUC (IPS-weighted fit)", Format.Number(report.ValidationAuc, 4));
        table.AddRow("validation AUC (unweighted fit)", Format.Number(report.UnweightedValidationAuc, 4));
        table.AddRow("validation AUC (matrix factorisation alone)", Format.Number(report.FactorizationValidationAuc, 4));
        table.AddRow("best-F1 threshold (validation): F1, positive pairs", $"{Format.Number(report.BestF1Threshold, 4)}: F1 {Format.Number(report.BestF1, 4)}, {Format.Number(100 * report.BestF1PositiveRate, 2)} %");
        table.AddRow("THRES in use", Format.Number(report.Threshold, 4));
        table.AddRow("F1 at THRES (validation)", Format.Number(report.F1, 4));
        table.AddRow("positive (user, item) pairs at THRES", Format.Number(100 * report.PositiveRate, 2) + " %");
        table.AddRow("reward", $"{simulator.Mode} (flip {simulator.FlipProbability})");
        return table;
    }
}
