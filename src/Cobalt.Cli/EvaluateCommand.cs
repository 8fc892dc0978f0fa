using System.CommandLine;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation;
using Cobalt.Evaluation.Learning;
using Cobalt.Evaluation.RewardModels;
using Cobalt.Evaluation.Synthetic;
using Cobalt.Service.Evaluation;
using Cobalt.Service.Storage;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt evaluate</c>: estimate a policy's value from logged decisions. <c>--log FILE --policy SPEC</c> for any log in the
/// documented CSV schema; <c>obd</c> for the Open Bandit Dataset benchmark; <c>synthetic</c> for bias and variance against a known truth.
/// </summary>
internal static partial class EvaluateCommand
{
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Root seed (folds, bootstrap).", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Model = new("--reward-model")
    {
        Description = "Reward model for DM/DR: logistic, boosted (Cobalt's own trees) or lightgbm (LightGBM 4.7, seeded from --seed).",
        DefaultValueFactory = _ => "logistic",
    };
    private static readonly Option<DirectoryInfo?> Output = new("--out") { Description = "Folder to write results.csv (always) and results.md (and results.json with --format json) into." };
    private static readonly Option<string> OutputFormat = CreateFormat();
    private static readonly Option<string> IntervalMethod = CreateInterval();

    private static Option<string> CreateInterval()
    {
        var interval = new Option<string>("--interval")
        {
            Description = "How low/high are computed: bootstrap (1000 resamples), gaussian (CLT, delta method for ratios), bernstein (empirical Bernstein, bounded by the log's largest weight), empirical-likelihood or betting-cs (IPS and SNIPS only). Where a method does not apply, the row keeps the bootstrap and its note says why.",
            DefaultValueFactory = _ => LogEvaluationOptions.Bootstrap,
        };
        interval.AcceptOnlyFromAmong([.. LogEvaluationOptions.Intervals]);
        return interval;
    }

    /// <summary>The settings <c>evaluate --log</c> and <c>evaluate obd</c> pass: every estimator, the chosen interval.</summary>
    private static LogEvaluationOptions Settings(ParseResult parse) => new() { Interval = parse.GetValue(IntervalMethod)! };

    /// <summary>--like obp runs OBP's own estimators and bootstrap; another --interval there is refused.</summary>
    private static void CheckIntervalWithObp(ParseResult parse)
    {
        if (parse.GetValue(IntervalMethod) != LogEvaluationOptions.Bootstrap)
        {
            throw new ArgumentException($"--interval {parse.GetValue(IntervalMethod)} applies to Cobalt's estimators; --like obp reports OBP's own bootstrap intervals.");
        }
    }

    private static readonly Option<int?> ActionCount = new("--actions") { Description = "Number of actions K; required when the log has no pi_* columns (actions must be in 0..K-1)." };

    /// <summary>The --format to print in: json with --json, else the option's value.</summary>
    private static string FormatOf(ParseResult parse) => CliOutput.Json ? "json" : parse.GetValue(OutputFormat)!;

    private static Option<string> CreateFormat()
    {
        var format = new Option<string>("--format") { Description = "What to print: md (a table), csv or json (full precision; warnings go to standard error).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "csv", "json");
        return format;
    }
    private static readonly Option<string?> Like = new("--like")
    {
        Description = "obp: evaluate as Open Bandit Pipeline 0.5.5 does (its per-position logistic reward model and folds, SLOPE-tuned clipping/Switch-DR/DRos, its Replay and bootstrap; on obd also its preprocessing and BernoulliTS with the ZOZOTOWN prior).",
    };

    public static Command Create()
    {
        var log = new Option<FileInfo?>("--log") { Description = "A log in the CSV schema: action, reward, propensity[, position][, x_*][, pi_0..pi_{K-1}]." };
        var policy = new Option<string>("--policy")
        {
            Description = "The policy to evaluate: columns (the pi_* columns of the log), uniform, action:K (always K), softmax (IPS-learned) or classifier (IPS-weighted); learned policies are fitted on the first half of the log and evaluated on the second.",
            DefaultValueFactory = _ => "columns",
        };
        var loop = new Option<string?>("--loop") { Description = "Compare candidate policies on a service loop's own log (with --db, --candidates, --last)." };
        var command = new Command("evaluate", "Off-policy evaluation: estimate a policy's value from logged bandit feedback with every estimator.")
        {
            log, policy, ActionCount, loop, LoopStore, LoopPostgres, Candidates, Last, Seed, Model, Like, IntervalMethod, OutputFormat, Output, OpenBandit(), Synthetic(), Slate(), Benchmark(),
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(loop) is { } loopName)
            {
                return await EvaluateLoopAsync(loopName, parse, cancellationToken);
            }
            var file = parse.GetValue(log);
            if (file is null)
            {
                return Errors.Report("give --log FILE or --loop NAME (or use `cobalt evaluate obd` or `cobalt evaluate synthetic`).");
            }
            try
            {
                if (parse.GetValue(ActionCount) is < 1)
                {
                    return Errors.Report("--actions K must be at least 1.");
                }
                var (data, columns) = BanditLog.ReadCsv(file.FullName, parse.GetValue(ActionCount));
                var seed = parse.GetValue(Seed);
                var rng = new Rng(seed);
                var (evaluated, distribution, label) = Resolve(parse.GetValue(policy)!, data, columns);
                var warnings = LogEvaluation.Warnings(evaluated, distribution);
                TaskDiagnostics[] diagnostics = [new(label, LogEvaluation.Diagnose(evaluated, distribution))];
                if (LikeObp(parse))
                {
                    CheckIntervalWithObp(parse);
                    var obpRows = Quietly(parse, "Estimating as OBP does...", () => Cobalt.Evaluation.Obp.ObpEvaluation.Run(label + " (like OBP)", evaluated, distribution));
                    return Show(obpRows, warnings, parse, diagnostics);
                }
                var rewardModel = RewardModel(parse.GetValue(Model)!, seed);
                CheckRewardModel(parse.GetValue(Model)!, evaluated);
                var settings = Settings(parse);
                var rows = Quietly(parse, "Estimating...", () => LogEvaluation.Run(label, evaluated, distribution, rng, rewardModel: rewardModel, options: settings));
                return Show(rows, warnings, parse, diagnostics);
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or OptionsException or InvalidOperationException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    private static readonly Option<FileInfo> LoopStore = new("--db") { Description = "With --loop: the service's SQLite event log.", DefaultValueFactory = _ => new FileInfo("cobalt.db") };
    private static readonly Option<string?> LoopPostgres = new("--postgres") { Description = "With --loop: the service's PostgreSQL connection string instead of --db (also read from COBALT_POSTGRES)." };
    private static readonly Option<string?> Candidates = new("--candidates")
    {
        Description = "With --loop: a JSON array of policy specifications, or a file holding one (default: the loop's policy, random, epsilon-greedy, LinUCB and linear Thompson sampling).",
    };
    private static readonly Option<int> Last = new("--last") { Description = "With --loop: how many of the latest finished events to use.", DefaultValueFactory = _ => 10_000 };

    /// <summary>Progressive replay of candidate policies on a loop's log, read straight from the service's store.</summary>
    private static async Task<int> EvaluateLoopAsync(string loop, ParseResult parse, CancellationToken cancellationToken)
    {
        var postgres = parse.GetValue(LoopPostgres) ?? Environment.GetEnvironmentVariable("COBALT_POSTGRES");
        var path = parse.GetValue(LoopStore)!.FullName;
        if (postgres is null && !File.Exists(path))
        {
            return Errors.Report($"There is no event log at {path}; pass the service's --db file or --postgres connection string.");
        }
        try
        {
            await using IEventStore store = postgres is null ? new SqliteEventStore(path) : new PostgresEventStore(postgres);
            await store.InitializeAsync(cancellationToken);
            var (spec, options) = await LoopEvaluator.DefinitionAsync(store, loop, cancellationToken);
            var candidates = parse.GetValue(Candidates) is { } given
                ? LoopEvaluator.ParseCandidates(File.Exists(given) ? await File.ReadAllTextAsync(given, cancellationToken) : given, options)
                : LoopEvaluator.DefaultCandidates(spec, options);
            var evaluation = await AnsiConsole.Progress().StartAsync(async context =>
            {
                var task = context.AddTask("candidates replayed", maxValue: candidates.Count);
                return await LoopEvaluator.EvaluateAsync(store, loop, options, candidates, parse.GetValue(Last), DateTimeOffset.UtcNow, done => task.Value = done, cancellationToken);
            });
            if (evaluation.Events == 0)
            {
                return Errors.Report($"Loop '{loop}' has no finished events with propensities to evaluate on ({evaluation.Skipped} without propensities).");
            }
            var table = LoopEvaluationReport.Table(evaluation);
            AnsiConsole.Write(Tables.From(table));
            AnsiConsole.MarkupLine($"{evaluation.Events} events{(evaluation.Skipped > 0 ? $", {evaluation.Skipped} skipped (no propensity)" : "")}{(evaluation.Inactive > 0 ? $", {evaluation.Inactive} never activated (left out)" : "")}.");
            var folder = parse.GetValue(Output)?.FullName ?? Path.Combine("reports", $"loop-{loop}");
            AtomicFile.WriteAllText(Path.Combine(folder, "results.md"),
                $"# Candidate policies on loop '{loop}'\n\n{evaluation.Events} finished events (progressive replay; first slot).\n\n{table.ToMarkdown()}\n![estimates](estimates.svg)\n");
            AtomicFile.WriteAllText(Path.Combine(folder, "estimates.svg"), LoopEvaluationReport.Chart(evaluation));
            CliOutput.Final($"Report: [link]{Markup.Escape(folder)}[/] (results.md, estimates.svg)");
            CliOutput.Document(w =>
            {
                w.WriteStartObject();
                w.WriteString("command", "evaluate");
                w.WriteString("loop", loop);
                w.WriteNumber("events", evaluation.Events);
                w.WriteNumber("skipped", evaluation.Skipped);
                CliOutput.WriteReport(w, folder, ["results.md", "estimates.svg"]);
                CliOutput.WriteTable(w, "table", table);
                w.WriteEndObject();
            });
            return 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (postgres is null)
        {
            return Errors.Report($"--db {path}: cannot read the event log there: {e.Message}");
        }
        catch (Exception e) when (e is OptionsException or ArgumentException or IOException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or InvalidDataException)
        {
            return Errors.Report(e.Message);
        }
    }

    private static Command OpenBandit()
    {
        var campaign = new Option<string>("--campaign") { Description = "Campaign: men, women or all.", DefaultValueFactory = _ => "men" };
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "The Open Bandit Dataset folder (holding random/ and bts/); default: the shipped data/open-bandit-dataset-sample.",
            DefaultValueFactory = _ => new DirectoryInfo(ShippedOpenBandit.TryFind() ?? ShippedOpenBandit.RelativePath),
        };
        var btsPolicy = new Option<string?>("--policy")
        {
            Description = "The BTS policy evaluated on the random log: empirical (the BTS log's per-slot action frequencies; default) or bts-prior (OBP's BernoulliTS with the ZOZOTOWN prior, 10^6 draws, seed 12345; default with --like obp).",
        };
        var command = new Command("obd", "Estimate BTS's value from the random log and random's from the BTS log with every estimator; compare with each policy's own log.") { campaign, data, btsPolicy, Seed, Model, Like, IntervalMethod, OutputFormat, Output };
        command.SetAction(parse =>
        {
            var root = parse.GetValue(data)!;
            if (!Directory.Exists(Path.Combine(root.FullName, "random")) || !Directory.Exists(Path.Combine(root.FullName, "bts")))
            {
                return Errors.Report($"{root.FullName} holds no Open Bandit Dataset (random/ and bts/); pass --data (the sample ships in data/open-bandit-dataset-sample).");
            }
            try
            {
                var like = LikeObp(parse);
                var spec = parse.GetValue(btsPolicy) ?? (like ? "bts-prior" : "empirical");
                if (spec is not ("empirical" or "bts-prior") || (like && spec != "bts-prior"))
                {
                    return Errors.Report($"--policy {spec}: allowed are empirical and bts-prior{(like ? " (with --like obp: bts-prior)" : "")}.");
                }
                var name = parse.GetValue(campaign)!;
                if (like)
                {
                    CheckIntervalWithObp(parse);
                    var (obpRows, obpDiagnostics) = Quietly(parse, "Estimating as OBP does (10^6 BernoulliTS draws)...", () => Cobalt.Evaluation.Obp.ObpEvaluation.OpenBanditReport(root.FullName, name));
                    return Show(obpRows, [], parse, obpDiagnostics);
                }
                var settings = Settings(parse);
                var (rows, diagnostics) = Quietly(parse, "Cross-fitting and estimating...", () =>
                    LogEvaluation.OpenBanditReport(root.FullName, name, new Rng(parse.GetValue(Seed)), RewardModel(parse.GetValue(Model)!, parse.GetValue(Seed)),
                        btsPolicy: spec == "bts-prior" ? Cobalt.Evaluation.Obp.ObpBernoulliTs.ActionDistribution(name) : null, options: settings));
                return Show(rows, [], parse, diagnostics);
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or OptionsException or InvalidOperationException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    private static bool LikeObp(ParseResult parse) => parse.GetValue(Like) switch
    {
        null => false,
        "obp" => true,
        var other => throw new ArgumentException($"--like {other}: the only reference is obp."),
    };

    private static Command Synthetic()
    {
        var logs = new Option<int>("--logs") { Description = "Logs drawn per skew level.", DefaultValueFactory = _ => 30 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per log.", DefaultValueFactory = _ => 2000 };
        var skews = new Option<double[]>("--skews") { Description = "Logging skews beta (0 = uniform).", DefaultValueFactory = _ => [0, 0.5, 1, 2, 4], AllowMultipleArgumentsPerToken = true };
        var command = new Command("synthetic", "Bias, standard deviation, RMSE and interval coverage of every estimator as the logging policy gets skewed (known true value).") { logs, rounds, skews, Seed, Model, OutputFormat, Output };
        command.SetAction(parse =>
        {
            var levels = parse.GetValue(skews)!;
            int count = parse.GetValue(logs), n = parse.GetValue(rounds);
            if (count < 2 || n < 10 || levels.Length == 0 || levels.Any(s => s < 0 || !double.IsFinite(s)))
            {
                return Errors.Report("--logs must be at least 2, --rounds at least 10, and --skews non-negative numbers.");
            }
            var rewardModel = RewardModel(parse.GetValue(Model)!, parse.GetValue(Seed));
            var markdown = FormatOf(parse) == "md";
            var rows = markdown
                ? AnsiConsole.Progress().Start(context =>
                {
                    var task = context.AddTask("logs estimated", maxValue: count * levels.Length);
                    return EstimatorStudy.Run(new SyntheticBanditOptions(), levels, count, n, parse.GetValue(Seed), rewardModel, onLog: () => task.Increment(1));
                })
                : EstimatorStudy.Run(new SyntheticBanditOptions(), levels, count, n, parse.GetValue(Seed), rewardModel);
            var table = EstimatorStudy.Table(rows);
            var csv = EvaluationOutput.StudyCsv(rows);
            if (markdown)
            {
                AnsiConsole.Write(Tables.From(table));
            }
            else
            {
                Console.Out.Write(FormatOf(parse) == "json" ? EvaluationOutput.StudyJson(rows) : csv);
                Console.Out.Flush();
            }
            var folder = parse.GetValue(Output)?.FullName ?? Path.Combine("reports", "ope-synthetic");
            AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), "# Off-policy estimators on synthetic logs\n\n" + table.ToMarkdown());
            AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), csv);
            AtomicFile.WriteAllText(Path.Combine(folder, "rmse.svg"), EstimatorStudy.Chart(rows));
            var where = $"Report: [link]{Markup.Escape(folder)}[/] (results.md, results.csv, rmse.svg)";
            if (markdown || CliOutput.Mode != OutputMode.Normal)
            {
                CliOutput.Final(where);
            }
            else
            {
                Console.Error.WriteLine(Markup.Remove(where));
            }
            return 0;
        });
        return command;
    }

    private static (BanditLog Log, ActionDistribution Policy, string Label) Resolve(string spec, BanditLog log, ActionDistribution? columns)
    {
        switch (spec)
        {
            case "columns":
                return (log, columns ?? throw new ArgumentException("--policy columns needs pi_0 .. pi_{K-1} columns in the log."), "policy in the log's pi_* columns");
            case "uniform":
                return (log, ActionDistribution.Uniform(log.Count, log.ActionCount), "uniform policy");
            case "softmax" or "classifier":
                var half = log.Count / 2;
                if (half < 2)
                {
                    throw new ArgumentException("Learning a policy needs at least 4 rounds (half to learn, half to evaluate).");
                }
                var train = log.Subset(Enumerable.Range(0, half).ToArray());
                var test = log.Subset(Enumerable.Range(half, log.Count - half).ToArray());
                var learned = spec == "softmax" ? OffPolicyLearning.LearnSoftmax(train, new PolicyLearningOptions()) : OffPolicyLearning.IpsWeightedClassifier(train);
                return (test, learned.On(test), spec == "softmax" ? "IPS-learned softmax policy (second half)" : "IPS-weighted classifier (second half)");
            default:
                if (spec.StartsWith("action:", StringComparison.Ordinal) && int.TryParse(spec["action:".Length..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var action))
                {
                    if (action < 0 || action >= log.ActionCount)
                    {
                        throw new ArgumentException($"--policy action:{action}: the log has actions 0..{log.ActionCount - 1}.");
                    }
                    return (log, ActionDistribution.Deterministic(Enumerable.Repeat(action, log.Count).ToArray(), log.ActionCount), $"always action {action}");
                }
                throw new ArgumentException($"Unknown policy '{spec}'; allowed: columns, uniform, action:K, softmax, classifier.");
        }
    }

    /// <summary>The reward model factory; LightGBM's seed derives from the run's root seed.</summary>
    private static Func<IRewardRegressor> RewardModel(string name, ulong seed) => name switch
    {
        "logistic" => () => new LogisticRewardModel(),
        "boosted" => () => new GradientBoostedRewardModel(),
        "lightgbm" => LightGbm(seed),
        _ => throw new ArgumentException($"Unknown reward model '{name}'; allowed: logistic, boosted, lightgbm."),
    };

    /// <summary>The largest feature map the logistic model's dense Newton steps (a d x d Hessian and its Cholesky factor) are run on.</summary>
    private const int MaxLogisticFeatures = 2048;

    /// <summary>Refuses a logistic reward model whose features (context, one-hot action and slot, bias) are too many for dense Newton steps.</summary>
    private static void CheckRewardModel(string name, BanditLog log)
    {
        var dimension = RewardFeatures.For(log).Dimension;
        if (name == "logistic" && dimension > MaxLogisticFeatures)
        {
            throw new ArgumentException($"--reward-model logistic would fit {dimension} features ({log.Contexts.Columns} context, {log.ActionCount} actions, {log.PositionCount} slot(s), interactions, bias) with dense Newton steps; the limit is {MaxLogisticFeatures}: use --reward-model lightgbm.");
        }
    }

    private static Func<IRewardRegressor> LightGbm(ulong seed)
    {
        var options = new LightGbmOptions { Seed = (int)(Seeds.Stream(seed, "reward-model/lightgbm").NextUInt64() & int.MaxValue) };
        return () => new LightGbmRewardModel(options);
    }

    /// <summary>Runs <paramref name="work"/> under a spinner when the console shows a table, silently when it prints csv or json.</summary>
    private static T Quietly<T>(ParseResult parse, string status, Func<T> work) =>
        FormatOf(parse) == "md" ? AnsiConsole.Status().Start(status, _ => work()) : work();

    /// <summary>
    /// Prints the results in --format (md: a table with 6 significant digits and the warnings; csv or json with full precision on
    /// standard output, the warnings on standard error) and, with --out DIR, writes DIR/results.csv always, DIR/results.md, and
    /// DIR/results.json with --format json, each atomically.
    /// </summary>
    private static int Show(IReadOnlyList<EvaluationRow> rows, IReadOnlyList<string> warnings, ParseResult parse, IReadOnlyList<TaskDiagnostics>? diagnostics = null,
        string title = "Off-policy evaluation")
    {
        var format = FormatOf(parse);
        var output = parse.GetValue(Output);
        var csv = EvaluationOutput.Csv(rows);
        var json = format == "json" ? EvaluationOutput.Json(rows, warnings, diagnostics) : null;
        void Tell(string line)
        {
            if (format == "md")
            {
                AnsiConsole.MarkupLine(line);
            }
            else
            {
                Console.Error.WriteLine(Markup.Remove(line));
            }
        }
        switch (format)
        {
            case "csv":
                Console.Out.Write(csv);
                break;
            case "json":
                Console.Out.Write(json);
                break;
            default:
                AnsiConsole.Write(Tables.From(EvaluationOutput.Table(rows)));
                break;
        }
        Console.Out.Flush();
        foreach (var w in warnings)
        {
            Tell($"[yellow bold]warning:[/] {Markup.Escape(w)}");
        }
        foreach (var d in diagnostics ?? [])
        {
            Tell($"importance weights, {Markup.Escape(d.Task)}: {Markup.Escape(d.Weights.Summary)}");
            foreach (var w in d.Weights.Warnings)
            {
                Tell($"[yellow bold]warning:[/] {Markup.Escape(d.Task)}: {Markup.Escape(w)}");
            }
        }
        if (output is not null)
        {
            var written = new List<string> { "results.csv", "results.md" };
            AtomicFile.WriteAllText(Path.Combine(output.FullName, "results.csv"), csv);
            AtomicFile.WriteAllText(Path.Combine(output.FullName, "results.md"), EvaluationOutput.Markdown(rows, warnings, title, diagnostics));
            if (json is not null)
            {
                AtomicFile.WriteAllText(Path.Combine(output.FullName, "results.json"), json);
                written.Add("results.json");
            }
            var where = $"Written to [link]{Markup.Escape(output.FullName)}[/] ({string.Join(", ", written)}).";
            if (format == "md" || CliOutput.Mode != OutputMode.Normal)
            {
                CliOutput.Final(where);
            }
            else
            {
                Tell(where);
            }
        }
        return 0;
    }
}
