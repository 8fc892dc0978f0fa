using System.CommandLine;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Data;
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
internal static class EvaluateCommand
{
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Root seed (folds, bootstrap).", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> Model = new("--reward-model") { Description = "Reward model for DM/DR: logistic or boosted.", DefaultValueFactory = _ => "logistic" };
    private static readonly Option<DirectoryInfo?> Output = new("--out") { Description = "Folder for results.md/.csv (and the plot)." };

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
            log, policy, loop, LoopStore, LoopPostgres, Candidates, Last, Seed, Model, Output, OpenBandit(), Synthetic(),
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
                var (data, columns) = BanditLog.ReadCsv(file.FullName);
                var rng = new Rng(parse.GetValue(Seed));
                var (evaluated, distribution, label) = Resolve(parse.GetValue(policy)!, data, columns);
                var rows = AnsiConsole.Status().Start("Estimating...", _ => LogEvaluation.Run(label, evaluated, distribution, rng, rewardModel: RewardModel(parse.GetValue(Model)!)));
                return Show(rows, parse.GetValue(Output));
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException or IOException)
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
            AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(folder)}[/] (results.md, estimates.svg)");
            return 0;
        }
        catch (Exception e) when (e is OptionsException or ArgumentException or IOException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or InvalidDataException)
        {
            return Errors.Report(e.Message);
        }
    }

    private static Command OpenBandit()
    {
        var campaign = new Option<string>("--campaign") { Description = "Campaign: men, women or all.", DefaultValueFactory = _ => "men" };
        var data = new Option<DirectoryInfo>("--data") { Description = "The Open Bandit Dataset folder (holding random/ and bts/).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("..", "shared", "data", "open-bandit-dataset-sample")) };
        var command = new Command("obd", "Estimate BTS's value from the random log and random's from the BTS log with every estimator; compare with each policy's own log.") { campaign, data, Seed, Model, Output };
        command.SetAction(parse =>
        {
            var root = parse.GetValue(data)!;
            if (!Directory.Exists(Path.Combine(root.FullName, "random")) || !Directory.Exists(Path.Combine(root.FullName, "bts")))
            {
                return Errors.Report($"{root.FullName} holds no Open Bandit Dataset (random/ and bts/); it is not shipped with Cobalt: pass --data.");
            }
            try
            {
                var rows = AnsiConsole.Status().Start("Cross-fitting and estimating...", _ =>
                    LogEvaluation.OpenBandit(root.FullName, parse.GetValue(campaign)!, new Rng(parse.GetValue(Seed)), RewardModel(parse.GetValue(Model)!)));
                return Show(rows, parse.GetValue(Output));
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException or IOException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    private static Command Synthetic()
    {
        var logs = new Option<int>("--logs") { Description = "Logs drawn per skew level.", DefaultValueFactory = _ => 30 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per log.", DefaultValueFactory = _ => 2000 };
        var skews = new Option<double[]>("--skews") { Description = "Logging skews beta (0 = uniform).", DefaultValueFactory = _ => [0, 0.5, 1, 2, 4], AllowMultipleArgumentsPerToken = true };
        var command = new Command("synthetic", "Bias, standard deviation, RMSE and interval coverage of every estimator as the logging policy gets skewed (known true value).") { logs, rounds, skews, Seed, Model, Output };
        command.SetAction(parse =>
        {
            var levels = parse.GetValue(skews)!;
            int count = parse.GetValue(logs), n = parse.GetValue(rounds);
            if (count < 2 || n < 10 || levels.Length == 0 || levels.Any(s => s < 0 || !double.IsFinite(s)))
            {
                return Errors.Report("--logs must be at least 2, --rounds at least 10, and --skews non-negative numbers.");
            }
            var rows = AnsiConsole.Progress().Start(context =>
            {
                var task = context.AddTask("logs estimated", maxValue: count * levels.Length);
                return EstimatorStudy.Run(new SyntheticBanditOptions(), levels, count, n, parse.GetValue(Seed), RewardModel(parse.GetValue(Model)!), onLog: () => task.Increment(1));
            });
            var table = EstimatorStudy.Table(rows);
            AnsiConsole.Write(Tables.From(table));
            var folder = parse.GetValue(Output)?.FullName ?? Path.Combine("reports", "ope-synthetic");
            AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), "# Off-policy estimators on synthetic logs\n\n" + table.ToMarkdown());
            AtomicFile.WriteAllText(Path.Combine(folder, "rmse.svg"), EstimatorStudy.Chart(rows));
            AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(folder)}[/] (results.md, rmse.svg)");
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
                    return (log, ActionDistribution.Deterministic(Enumerable.Repeat(action, log.Count).ToArray(), log.ActionCount), $"always action {action}");
                }
                throw new ArgumentException($"Unknown policy '{spec}'; allowed: columns, uniform, action:K, softmax, classifier.");
        }
    }

    private static Func<IRewardRegressor> RewardModel(string name) => name switch
    {
        "logistic" => () => new LogisticRewardModel(),
        "boosted" => () => new GradientBoostedRewardModel(),
        _ => throw new ArgumentException($"Unknown reward model '{name}'; allowed: logistic, boosted."),
    };

    private static int Show(IReadOnlyList<EvaluationRow> rows, DirectoryInfo? output)
    {
        var table = LogEvaluation.Table(rows);
        AnsiConsole.Write(Tables.From(table));
        if (output is not null)
        {
            AtomicFile.WriteAllText(Path.Combine(output.FullName, "results.md"), "# Off-policy evaluation\n\n" + table.ToMarkdown());
            AnsiConsole.MarkupLine($"Written to [link]{Markup.Escape(output.FullName)}[/].");
        }
        return 0;
    }
}
