using System.Globalization;
using System.Text;
using Cobalt.Core.Persistence;
using Cobalt.Reporting;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// One agent over all worlds: the CTRs pooled, their spread between worlds and, with several training seeds, between
/// the training logs of one world.
/// </summary>
/// <remarks>
/// A world's CTR is clicks / recommendations summed over its training seeds (its only run when T = 1, as in RecoGym's
/// protocol). Between training logs: per world, the sample standard deviation s_w of the T per-log CTRs; reported as
/// sqrt(mean_w s_w^2) and the largest max - min within a world.
/// </remarks>
/// <param name="Kind">The agent's kind.</param>
/// <param name="Agent">Its display name.</param>
/// <param name="Worlds">Number of worlds (not of runs: a world has one run per training seed).</param>
/// <param name="Pooled">Our CTR with clicks and recommendations summed over worlds.</param>
/// <param name="PooledRecoGym">RecoGym's CTR pooled the same way.</param>
/// <param name="Mean">Mean over worlds of our per-world CTR (clicks / recommendations).</param>
/// <param name="Sd">Sample standard deviation over worlds of our per-world CTR (0 for one world).</param>
/// <param name="Min">Smallest per-world CTR.</param>
/// <param name="Max">Largest per-world CTR.</param>
/// <param name="MeanRecoGym">Mean over worlds of RecoGym's per-world CTR.</param>
/// <param name="SdRecoGym">Its sample standard deviation over worlds.</param>
/// <param name="TrainingSeeds">T: training logs per world.</param>
/// <param name="LogSd">Between training logs within a world: sqrt of the mean over worlds of the sample variance of the per-log CTRs (0 when T = 1).</param>
/// <param name="LogRange">The largest (max - min) per-log CTR within one world (0 when T = 1).</param>
public sealed record AgentSpread(string Kind, string Agent, int Worlds, CtrEstimate Pooled, CtrEstimate PooledRecoGym, double Mean, double Sd, double Min, double Max, double MeanRecoGym, double SdRecoGym, int TrainingSeeds = 1, double LogSd = 0, double LogRange = 0)
{
    /// <summary>The spread of <paramref name="runs"/> (one agent, one run per world and training seed).</summary>
    public static AgentSpread Of(IReadOnlyList<ProtocolRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            throw new ArgumentException("No runs.", nameof(runs));
        }
        var total = runs.Aggregate(default(Tally), (s, r) => s + r.Test);
        var byWorld = runs.GroupBy(r => r.WorldSeed).ToArray();
        var worldTallies = byWorld.Select(g => g.Aggregate(default(Tally), (s, r) => s + r.Test)).ToArray();
        var ours = worldTallies.Select(t => (double)t.Clicks / t.Recommendations).ToArray();
        var theirs = worldTallies.Select(t => (double)t.Clicks / t.RecoGymImpressions).ToArray();
        var perLog = byWorld.Select(g => g.Select(r => (double)r.Test.Clicks / r.Test.Recommendations).ToArray()).ToArray();
        var seeds = perLog.Max(x => x.Length);
        var logSd = Math.Sqrt(perLog.Average(x => StandardDeviation(x) * StandardDeviation(x)));
        var logRange = perLog.Max(x => x.Max() - x.Min());
        return new AgentSpread(
            runs[0].Kind,
            runs[0].Agent,
            byWorld.Length,
            CtrEstimate.From(total.Recommendations, total.Clicks),
            CtrEstimate.From(total.RecoGymImpressions, total.Clicks),
            ours.Average(),
            StandardDeviation(ours),
            ours.Min(),
            ours.Max(),
            theirs.Average(),
            StandardDeviation(theirs),
            seeds,
            logSd,
            logRange);
    }

    private static double StandardDeviation(double[] x)
    {
        if (x.Length < 2 || x.Min() == x.Max())
        {
            return 0;
        }
        var mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1));
    }
}

/// <summary>
/// The report of a <see cref="ProtocolResult"/>: <c>results.csv</c> (one row per agent and world, both CTRs with their
/// Beta(clicks + 1, non-clicks + 1) medians and 95 % intervals), <c>summary.csv</c> (per agent: pooled CTRs and the
/// between-world mean, standard deviation, minimum and maximum) and <c>results.md</c>. Files are written atomically.
/// </summary>
public static class ProtocolReport
{
    /// <summary>The files <see cref="Write"/> produces.</summary>
    public static IReadOnlyList<string> Files { get; } = ["results.csv", "summary.csv", "results.md"];

    /// <summary>The columns of results.csv.</summary>
    public static IReadOnlyList<string> ResultColumns { get; } =
    [
        "agent", "world_seed", "protocol", "ctr", "ctr_low", "ctr_high", "ctr_recogym", "ctr_recogym_low", "ctr_recogym_high",
        "recommendations", "clicks", "phantoms", "train_seconds", "test_seconds", "training_seed",
    ];

    /// <summary>Writes the report into <paramref name="folder"/>.</summary>
    public static void Write(ProtocolResult result, string folder, string? commandLine = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), ResultsCsv(result));
        AtomicFile.WriteAllText(Path.Combine(folder, "summary.csv"), SummaryCsv(result));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), Markdown(result, commandLine));
    }

    /// <summary>"offline" or "online".</summary>
    public static string ProtocolName(RecoGymProtocol protocol) => (protocol ?? throw new ArgumentNullException(nameof(protocol))).Online ? "online" : "offline";

    /// <summary>results.csv.</summary>
    public static string ResultsCsv(ProtocolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var name = ProtocolName(result.Protocol);
        return CsvWriter.ToCsv(ResultColumns, result.Runs.Select(r => (IReadOnlyList<string>)
        [
            r.Kind, r.WorldSeed.ToString(CultureInfo.InvariantCulture), name,
            D(r.Ctr.Median), D(r.Ctr.Low), D(r.Ctr.High),
            D(r.CtrRecoGym.Median), D(r.CtrRecoGym.Low), D(r.CtrRecoGym.High),
            I(r.Test.Recommendations), I(r.Test.Clicks), I(r.Test.Phantoms),
            r.TrainSeconds.ToString("F3", CultureInfo.InvariantCulture), r.TestSeconds.ToString("F3", CultureInfo.InvariantCulture),
            I(r.TrainingSeed),
        ]));
    }

    /// <summary>Per agent, in table order: the spread over worlds.</summary>
    public static IReadOnlyList<AgentSpread> Spreads(ProtocolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Runs.Select(r => r.Kind).Distinct().Select(k => AgentSpread.Of(result.RunsOf(k))).ToArray();
    }

    /// <summary>summary.csv.</summary>
    public static string SummaryCsv(ProtocolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var name = ProtocolName(result.Protocol);
        string[] header =
        [
            "agent", "protocol", "worlds", "ctr_pooled", "ctr_pooled_low", "ctr_pooled_high", "ctr_recogym_pooled", "ctr_recogym_pooled_low", "ctr_recogym_pooled_high",
            "ctr_world_mean", "ctr_world_sd", "ctr_world_min", "ctr_world_max", "ctr_recogym_world_mean", "ctr_recogym_world_sd",
            "training_seeds", "ctr_log_sd", "ctr_log_range",
        ];
        return CsvWriter.ToCsv(header, Spreads(result).Select(s => (IReadOnlyList<string>)
        [
            s.Kind, name, I(s.Worlds),
            D(s.Pooled.Median), D(s.Pooled.Low), D(s.Pooled.High),
            D(s.PooledRecoGym.Median), D(s.PooledRecoGym.Low), D(s.PooledRecoGym.High),
            D(s.Mean), D(s.Sd), D(s.Min), D(s.Max), D(s.MeanRecoGym), D(s.SdRecoGym),
            I(s.TrainingSeeds), D(s.LogSd), D(s.LogRange),
        ]));
    }

    /// <summary>The per-agent table: pooled CTRs, between-world spread and, with several training seeds, the spread between training logs.</summary>
    public static MarkdownTable SpreadTable(ProtocolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var logs = result.Protocol.TrainingSeeds > 1;
        List<TableColumn> columns =
        [
            new TableColumn("Agent"),
            new TableColumn("CTR % pooled [95 %]", ColumnAlignment.Right),
            new TableColumn("RecoGym CTR % pooled [95 %]", ColumnAlignment.Right),
            new TableColumn("CTR % between worlds: mean ± sd [min, max]", ColumnAlignment.Right),
        ];
        if (logs)
        {
            columns.Add(new TableColumn("CTR % between training logs: sd within a world (largest range)", ColumnAlignment.Right));
        }
        var table = new MarkdownTable([.. columns]);
        foreach (var s in Spreads(result))
        {
            List<string> cells =
            [
                s.Kind,
                AbTestReport.Percent(s.Pooled),
                AbTestReport.Percent(s.PooledRecoGym),
                $"{Format.Number(100 * s.Mean, 3)} ± {Format.Number(100 * s.Sd, 3)} [{Format.Number(100 * s.Min, 3)}, {Format.Number(100 * s.Max, 3)}]",
            ];
            if (logs)
            {
                cells.Add($"{Format.Number(100 * s.LogSd, 3)} ({Format.Number(100 * s.LogRange, 3)})");
            }
            table.AddRow([.. cells]);
        }
        return table;
    }

    /// <summary>The table of one world: both CTRs with their intervals (one row per agent and training seed).</summary>
    public static MarkdownTable WorldTable(ProtocolResult result, uint worldSeed)
    {
        ArgumentNullException.ThrowIfNull(result);
        var logs = result.Protocol.TrainingSeeds > 1;
        List<TableColumn> columns =
        [
            new TableColumn("Agent"),
            new TableColumn("CTR % [95 %]", ColumnAlignment.Right),
            new TableColumn("RecoGym CTR % [95 %]", ColumnAlignment.Right),
            new TableColumn("recommendations", ColumnAlignment.Right),
            new TableColumn("clicks", ColumnAlignment.Right),
            new TableColumn("train s", ColumnAlignment.Right),
            new TableColumn("test s", ColumnAlignment.Right),
        ];
        if (logs)
        {
            columns.Insert(1, new TableColumn("training seed", ColumnAlignment.Right));
        }
        var table = new MarkdownTable([.. columns]);
        foreach (var r in result.Runs.Where(r => r.WorldSeed == worldSeed).GroupBy(r => r.Kind).SelectMany(g => g))
        {
            List<string> cells =
            [
                r.Kind,
                AbTestReport.Percent(r.Ctr),
                AbTestReport.Percent(r.CtrRecoGym),
                I(r.Test.Recommendations),
                I(r.Test.Clicks),
                Format.Number(r.TrainSeconds, 2),
                Format.Number(r.TestSeconds, 2),
            ];
            if (logs)
            {
                cells.Insert(1, I(r.TrainingSeed));
            }
            table.AddRow([.. cells]);
        }
        return table;
    }

    private static string Markdown(ProtocolResult result, string? commandLine)
    {
        var p = result.Protocol;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# RecoGym protocol ({ProtocolName(p)})");
        sb.AppendLine();
        if (commandLine is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Command: `{commandLine}`");
            sb.AppendLine();
        }
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"P = {p.World.Products}, K = {p.World.LatentFactors}, sigma_omega = {D(p.World.SigmaOmega)}, {p.World.NumberOfFlips} flips; training: {p.OrganicTrainUsers} organic-only users + {p.TrainUsers} users logged by OrganicUserCount (epsilon {D(p.LoggingEpsilon)}); {p.TestUsers} test users; agents {(p.Online ? "learn" : "do not learn")} during the test. " +
            $"Worlds: seeds {p.WorldSeed} to {p.WorldSeedOf(p.Worlds - 1)} (RecoGym's own RandomState draws)" +
            $"{(p.TrainingSeeds > 1 ? string.Create(CultureInfo.InvariantCulture, $"; {p.TrainingSeeds} training logs per world S, their users from RandomState(S + t), t = 0 .. {p.TrainingSeeds - 1} (world, logging policy's stream, agents' seed and test users unchanged)") : string.Empty)}" +
            $". Wall time {Format.Number(result.WallSeconds, 1)} s.");
        sb.AppendLine();
        sb.AppendLine("CTR = clicks / recommendations; RecoGym CTR also counts the never-clicked phantom recommendation RecoGym logs at the end of every session. Intervals: 2.5 % and 97.5 % quantiles of Beta(clicks + 1, non-clicks + 1).");
        sb.AppendLine();
        sb.AppendLine("## All worlds");
        sb.AppendLine();
        sb.AppendLine(SpreadTable(result).ToMarkdown());
        foreach (var seed in result.WorldSeeds)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"## World seed {seed}");
            sb.AppendLine();
            foreach (var (_, rows, logged, t) in result.Logs.Where(l => l.WorldSeed == seed))
            {
                var label = p.TrainingSeeds > 1 ? string.Create(CultureInfo.InvariantCulture, $"Training log {t} (RandomState({RecoGymProtocol.TrainingStreamSeed(seed, t)}))") : "Training log";
                sb.AppendLine(CultureInfo.InvariantCulture, $"{label}: {rows} rows, {logged.Recommendations} logged recommendations, {logged.Clicks} clicks, {logged.Phantoms} phantom rows.");
                sb.AppendLine();
            }
            sb.AppendLine(WorldTable(result, seed).ToMarkdown());
        }
        return sb.ToString();
    }

    private static string D(double x) => CsvWriter.FormatDouble(x);

    private static string I(long x) => x.ToString(CultureInfo.InvariantCulture);
}
