using System.CommandLine;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Evaluation;
using Cobalt.Evaluation.Estimators;
using Cobalt.Evaluation.Slate;
using Cobalt.Evaluation.Synthetic;
using Cobalt.Reporting;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt evaluate slate</c> (slate OPE on a slate log) and <c>cobalt evaluate benchmark</c> (OBP-style relative-error benchmark).</summary>
internal static partial class EvaluateCommand
{
    /// <summary>Bootstrap resamples of the slate estimates.</summary>
    private const int SlateResamples = 1000;

    private static Command Slate()
    {
        var log = new Option<FileInfo>("--log")
        {
            Description = "A slate log, one row per slot: slate_id, position, action, reward, pscore[_item_position|_cascade], evaluation_policy_pscore[...], [pi_0..pi_{K-1}], [x_*].",
            Required = true,
        };
        var listLength = new Option<int>("--list-length") { Description = "Slots per slate (L).", Required = true };
        var simulate = new Option<int?>("--simulate")
        {
            Description = "First write --log with this many slates from the OBP-style slate generator (K = --actions or 6, 3 context features, seeded by --seed), then evaluate it.",
        };
        var command = new Command("slate", "Slate off-policy evaluation: standard, independent and reward-interaction IPS, their self-normalised forms, and Cascade-DR.")
        {
            log, listLength, ActionCount, simulate, Seed, OutputFormat, Output,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(log)!;
            var l = parse.GetValue(listLength);
            try
            {
                if (l < 1)
                {
                    return Errors.Report("--list-length L must be at least 1.");
                }
                if (parse.GetValue(ActionCount) is < 1)
                {
                    return Errors.Report("--actions K must be at least 1.");
                }
                var seed = parse.GetValue(Seed);
                if (parse.GetValue(simulate) is { } slates)
                {
                    if (slates < 2)
                    {
                        return Errors.Report("--simulate needs at least 2 slates.");
                    }
                    var options = new ObpStyleSlateBanditOptions { Actions = parse.GetValue(ActionCount) ?? 6, ListLength = l };
                    var sample = new ObpStyleSlateBandit(options, seed).Sample(slates, Seeds.Stream(seed, "evaluate-slate/simulate"));
                    AtomicFile.WriteAllText(file.FullName, SlateCsvText(sample));
                }
                var read = SlateLogCsv.Read(file.FullName, l, parse.GetValue(ActionCount));
                var rows = Quietly(parse, "Estimating...", () => EvaluateSlates(read, Path.GetFileName(file.FullName), new Rng(seed)));
                return Show(rows, [], parse, title: "Slate off-policy evaluation");
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or OptionsException or InvalidOperationException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary>
    /// Every slate estimator on <paramref name="read"/>: those whose propensities the file lacks are reported as skipped with
    /// the reason; Cascade-DR gets q-hat from <see cref="SlateQRegression"/> when the file has contexts, cascade propensities
    /// of both policies and the pi_* columns.
    /// </summary>
    private static List<EvaluationRow> EvaluateSlates(SlateCsv read, string name, Rng rng)
    {
        var evaluation = read.Evaluation
            ?? throw new ArgumentException($"{name}: the slate log has no evaluation_policy_pscore[_item_position|_cascade] column, so there is nothing to evaluate.");
        var log = read.Log;
        double[]? qHat = null;
        var qNote = "";
        if (log.Contexts is null || read.EvaluationActionDistribution is null || log.Propensities.Cascade is null || evaluation.Cascade is null)
        {
            qNote = "skipped: Cascade-DR needs x_* context columns, pi_0..pi_{K-1}, pscore_cascade and evaluation_policy_pscore_cascade";
        }
        else
        {
            qHat = SlateQRegression.FitPredict(log, evaluation, read.EvaluationActionDistribution);
        }
        var input = new SlateEstimationInput(log, evaluation, read.EvaluationActionDistribution, qHat);
        var task = $"slate log {name} ({log.SlateCount} slates of {log.ListLength})";
        var rows = new List<EvaluationRow>();
        foreach (var e in SlateEstimatorSuite.All())
        {
            if (e is SlateCascadeDoublyRobust && qHat is null)
            {
                rows.Add(new EvaluationRow(task, new PolicyEstimate(e.Name, double.NaN, double.NaN, double.NaN, double.NaN), double.NaN) { Key = e.Key, Rounds = log.SlateCount, Note = qNote });
                continue;
            }
            try
            {
                var estimate = e.Estimate(input, rng, SlateResamples);
                rows.Add(new EvaluationRow(task, estimate, double.NaN) { Key = e.Key, Rounds = log.SlateCount });
            }
            catch (ArgumentException ex)
            {
                rows.Add(new EvaluationRow(task, new PolicyEstimate(e.Name, double.NaN, double.NaN, double.NaN, double.NaN), double.NaN)
                {
                    Key = e.Key, Rounds = log.SlateCount, Note = "skipped: " + LogEvaluation.WithoutParameter(ex),
                });
            }
        }
        return rows;
    }

    /// <summary>A generated slate sample in the column names <see cref="SlateLogCsv"/> reads (full precision).</summary>
    private static string SlateCsvText(ObpStyleSlateSample sample)
    {
        var log = sample.Log;
        int k = log.ActionCount, d = log.Contexts?.Columns ?? 0;
        var forms = new (string Name, double[]? Logged, double[]? Evaluated)[]
        {
            ("pscore", log.Propensities.Joint, sample.Evaluation.Joint),
            ("pscore_item_position", log.Propensities.ItemPosition, sample.Evaluation.ItemPosition),
            ("pscore_cascade", log.Propensities.Cascade, sample.Evaluation.Cascade),
        };
        var present = forms.Where(f => f.Logged is not null && f.Evaluated is not null).ToArray();
        List<string> header = ["slate_id", "position", "action", "reward", .. present.Select(f => f.Name), .. present.Select(f => "evaluation_policy_" + f.Name)];
        header.AddRange(Enumerable.Range(0, k).Select(a => $"pi_{a}"));
        header.AddRange(Enumerable.Range(0, d).Select(j => $"x_{j}"));
        static string F(double v) => CsvWriter.FormatDouble(v);
        return CsvWriter.ToCsv(header, Enumerable.Range(0, log.Rows).Select(row =>
        {
            var slate = row / log.ListLength;
            List<string> cells =
            [
                log.SlateIds[row].ToString(CultureInfo.InvariantCulture), log.Positions[row].ToString(CultureInfo.InvariantCulture),
                log.Actions[row].ToString(CultureInfo.InvariantCulture), F(log.Rewards[row]),
                .. present.Select(f => F(f.Logged![row])), .. present.Select(f => F(f.Evaluated![row])),
            ];
            cells.AddRange(Enumerable.Range(0, k).Select(a => F(sample.EvaluationActionDistribution[row * k + a])));
            var x = log.Contexts is null ? [] : log.Contexts.Row(slate).ToArray();
            cells.AddRange(x.Select(F));
            return (IReadOnlyList<string>)cells;
        }));
    }

    private static Command Benchmark()
    {
        var setting = new Option<string>("--setting") { Description = "Generator: contextual (OBP's synthetic bandit), multiclass (a Gaussian-mixture classification data set turned bandit) or slate.", Required = true };
        setting.AcceptOnlyFromAmong("contextual", "multiclass", "slate");
        var logs = new Option<int>("--logs") { Description = "Logs drawn (each estimator's relative error is summarised over them).", DefaultValueFactory = _ => 20 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per log (contextual), examples of the data set (multiclass) or slates per log (slate).", DefaultValueFactory = _ => 1000 };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for results.md, results.csv and relative-error.svg (default reports/ope-benchmark-SETTING)." };
        var command = new Command("benchmark", "OBP-style estimator benchmark: the distribution of |V-hat - V| / V over many logs drawn with a known policy value.")
        {
            setting, logs, rounds, Seed, output,
        };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(setting)!;
            int count = parse.GetValue(logs), n = parse.GetValue(rounds);
            if (count < 2 || n < 50)
            {
                return Errors.Report("--logs must be at least 2 and --rounds at least 50.");
            }
            var seed = parse.GetValue(Seed);
            try
            {
                var rows = AnsiConsole.Status().Start($"Drawing {count} {name} logs and estimating...", _ => name switch
                {
                    "contextual" => ObpStyleBenchmark.Contextual(new ObpStyleBanditOptions(), count, n, epsilon: 0.1, seed),
                    "multiclass" => ObpStyleBenchmark.Multiclass(ClassificationData.GaussianMixture(classes: 4, dimension: 3, examples: n, separation: 1.5, seed), new MulticlassBanditOptions(), count, seed),
                    _ => ObpStyleBenchmark.Slates(new ObpStyleSlateBanditOptions(), count, n, seed),
                });
                var table = ObpStyleBenchmark.Table(rows);
                AnsiConsole.Write(Tables.From(table));
                var folder = parse.GetValue(output)?.FullName ?? Path.Combine("reports", $"ope-benchmark-{name}");
                AtomicFile.WriteAllText(Path.Combine(folder, "results.md"),
                    $"# Relative error of off-policy estimators ({name} setting)\n\n{count} logs, {n} {(name == "slate" ? "slates" : name == "multiclass" ? "examples" : "rounds")} each, seed {seed}; |V-hat - V| / V.\n\n{table.ToMarkdown()}\n![relative error](relative-error.svg)\n");
                AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), BenchmarkCsv(rows));
                AtomicFile.WriteAllText(Path.Combine(folder, "relative-error.svg"), ObpStyleBenchmark.Chart(rows));
                CliOutput.Final($"Report: [link]{Markup.Escape(folder)}[/] (results.md, results.csv, relative-error.svg)");
                CliOutput.Document(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("command", "evaluate");
                    w.WriteString("setting", name);
                    CliOutput.WriteReport(w, folder, ["results.md", "results.csv", "relative-error.svg"]);
                    CliOutput.WriteTable(w, "table", table);
                    w.WriteEndObject();
                });
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or OptionsException or InvalidOperationException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary>The benchmark CSV columns, in order: estimate is the median relative error, low/high its 25th and 75th percentiles.</summary>
    internal static IReadOnlyList<string> BenchmarkColumns { get; } = ["estimator", "estimate", "low", "high", "setting", "logs", "mean", "p10", "p90", "max", "name"];

    /// <summary>Benchmark rows as CSV (full precision), keyed by the estimator's kebab-case key.</summary>
    private static string BenchmarkCsv(IReadOnlyList<RelativeErrorRow> rows)
    {
        var keys = EstimatorSuite.All().GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.First().Key);
        var names = SlateEstimatorSuite.All().ToDictionary(e => e.Key, e => e.Name);
        static string F(double v) => CsvWriter.FormatDouble(v);
        return CsvWriter.ToCsv(BenchmarkColumns, rows.Select(r =>
        {
            var key = keys.TryGetValue(r.Estimator, out var k) ? k : r.Estimator;
            var name = names.TryGetValue(r.Estimator, out var display) ? display : r.Estimator;
            return (IReadOnlyList<string>)
            [
                key, F(r.Median), F(r.P25), F(r.P75), r.Setting, r.Logs.ToString(CultureInfo.InvariantCulture), F(r.Mean), F(r.P10), F(r.P90), F(r.Max), name,
            ];
        }));
    }
}
