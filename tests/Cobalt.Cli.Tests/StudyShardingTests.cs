using System.Text.RegularExpressions;
using Cobalt.RecoGym.Evaluation;
using Cobalt.Simulation.Studies;

namespace Cobalt.Cli.Tests;

/// <summary>
/// <c>cobalt study NAME --shard i/n</c>, <c>cobalt recogym --shard i/n</c> and <c>cobalt merge</c>: merged shards write the
/// unsharded report byte for byte (RecoGym: all but its wall-clock columns and the command line), and merge refuses a missing
/// or duplicated shard, shards of other settings and a mix of kinds, writing nothing.
/// </summary>
public sealed partial class StudyShardingTests : IDisposable
{
    private const string ResidualOptions = """{ "residuals": [0.0, 0.5], "trials": 2, "iterations": 60 }""";

    private static readonly string[] RecoGymArguments =
        ["recogym", "--worlds", "2", "--test-users", "40", "--train-users", "20", "--organic-users", "5", "--products", "10", "--agents", "random,organic-count,organic-user-count,logging"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-study-shards-" + Guid.NewGuid().ToString("N"));
    private readonly string _options;

    public StudyShardingTests()
    {
        Directory.CreateDirectory(_folder);
        _options = Path.Combine(_folder, "residual.json");
        File.WriteAllText(_options, ResidualOptions);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_merged_study_writes_every_file_of_the_unsharded_report_byte_for_byte()
    {
        var single = Path.Combine(_folder, "single");
        Succeeds("study", "cofine-residual", "--options", _options, "--out", single);
        var shards = Path.Combine(_folder, "shards");
        var played = new List<int>();
        for (var i = 1; i <= 3; i++)
        {
            var output = Succeeds("study", "cofine-residual", "--options", _options, "--shard", $"{i}/3", "--out", shards);
            played.Add(int.Parse(ShardLine().Match(Squash(output)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        played.Should().Equal([7, 7, 6], "2 rho x 2 trials x 5 methods = 20 runs, run j on shard j mod 3 + 1");
        Directory.GetFiles(shards).Select(Path.GetFileName).Should().BeEquivalentTo(["shard-1-of-3.state", "shard-2-of-3.state", "shard-3-of-3.state"], "a shard writes its runs and no report");

        var merged = Path.Combine(_folder, "merged");
        Succeeds("merge", shards, "--out", merged);

        AssertSameFiles(single, merged);
        File.Exists(Path.Combine(merged, "final-regret.csv")).Should().BeTrue("the CSV of every run's final regret is compared too");
        File.ReadAllText(Path.Combine(merged, "configuration.json")).Should().Contain(_options.Replace("\\", "\\\\", StringComparison.Ordinal), "the configuration echoes the options file the shards read");
    }

    [Fact]
    public void A_study_whose_runs_come_from_several_experiments_merges_byte_for_byte()
    {
        // mixed-movielens plays four experiments one after another (UCB1, LinUCB, the approaches for each of two betas) and replays the
        // mixed policies for its diagnostics table; shards split the runs of all of them in one numbering.
        var options = Path.Combine(_folder, "mixed.json");
        File.WriteAllText(options, """{ "trials": 2, "iterations": 50, "betas": [0.5, 2.0] }""");
        var single = Path.Combine(_folder, "single");
        Succeeds("study", "mixed-movielens", "--options", options, "--out", single);
        var shards = Path.Combine(_folder, "shards");
        Succeeds("study", "mixed-movielens", "--options", options, "--shard", "2/2", "--out", shards);
        Succeeds("study", "mixed-movielens", "--options", options, "--shard", "1/2", "--out", shards);

        var merged = Path.Combine(_folder, "merged");
        Succeeds("merge", shards, "--out", merged);

        AssertSameFiles(single, merged);
    }

    [Fact]
    public void Merge_refuses_a_missing_or_repeated_study_shard_other_settings_and_mixed_kinds_and_writes_nothing()
    {
        var shards = Path.Combine(_folder, "shards");
        for (var i = 1; i <= 3; i++)
        {
            Succeeds("study", "cofine-residual", "--options", _options, "--shard", $"{i}/3", "--out", shards);
        }
        var partial = Path.Combine(_folder, "partial");
        Directory.CreateDirectory(partial);
        File.Copy(Path.Combine(shards, "shard-1-of-3.state"), Path.Combine(partial, "shard-1-of-3.state"));
        File.Copy(Path.Combine(shards, "shard-3-of-3.state"), Path.Combine(partial, "shard-3-of-3.state"));
        var output = Path.Combine(_folder, "out");

        Refused("merge", partial, "--out", output).Should().Contain(Squash("missing shard 2/3 (found 2 of 3)"));
        Refused("merge", shards, partial, "--out", output).Should().Contain(Squash("shard 1/3 is given twice"));

        var otherSeed = Path.Combine(_folder, "other-seed");
        Succeeds("study", "cofine-residual", "--options", _options, "--seed", "7", "--shard", "2/3", "--out", otherSeed);
        Refused("merge", partial, otherSeed, "--out", output).Should().Contain(Squash("are shards of different studies or settings")).And.Contain(Squash("other-seed"));

        var recogym = Path.Combine(_folder, "recogym");
        Succeeds([.. RecoGymArguments, "--shard", "2/3", "--out", recogym]);
        Refused("merge", partial, recogym, "--out", output).Should().Contain(Squash("is a shard of `cobalt recogym` but")).And.Contain(Squash("is a shard of `cobalt study`"));

        Directory.Exists(output).Should().BeFalse("a refused merge writes nothing");
    }

    [Fact]
    public void Merged_recogym_shards_write_the_unsharded_report_but_for_wall_clock_times()
    {
        var single = Path.Combine(_folder, "single");
        Succeeds([.. RecoGymArguments, "--out", single]);
        var shards = Path.Combine(_folder, "shards");
        for (var i = 3; i >= 1; i--)
        {
            Succeeds([.. RecoGymArguments, "--shard", $"{i}/3", "--out", shards]);
        }
        var merged = Path.Combine(_folder, "merged");
        Succeeds("merge", shards, "--out", merged);

        File.ReadAllBytes(Path.Combine(merged, "summary.csv")).Should().Equal(File.ReadAllBytes(Path.Combine(single, "summary.csv")), "summary.csv holds no timings");
        WithoutTimings(Path.Combine(merged, "results.csv")).Should().Equal(WithoutTimings(Path.Combine(single, "results.csv")));
        WithoutTimings(Path.Combine(merged, "results.csv")).Should().HaveCount(9, "a header and 2 worlds x 4 agents");

        // results.md: every line but the command (the shards' --out) and the wall-clock figures.
        string[] Markdown(string folder) => [.. File.ReadAllLines(Path.Combine(folder, "results.md")).Where(l => !l.StartsWith("Command:", StringComparison.Ordinal)).Select(l => Seconds().Replace(l, "s"))];
        Markdown(merged).Should().Equal(Markdown(single));
        File.ReadAllText(Path.Combine(merged, "results.md")).Should().Contain($"--out {shards}`").And.NotContain("--shard");

        // The merged times are the shards' own, bit for bit: the merged results.csv is what ProtocolReport writes for them.
        var read = Directory.GetFiles(shards).Order(StringComparer.Ordinal).Select(f => (f, ProtocolShard.Read(f))).ToArray();
        var runs = read.SelectMany(s => s.Item2.Runs).OrderBy(r => r.Job).Select(r => r.Run).ToArray();
        File.ReadAllLines(Path.Combine(merged, "results.csv")).Skip(1).Select(l => l.Split(',')[12]).Should()
            .Equal(runs.Select(r => r.TrainSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));

        Directory.Delete(Path.Combine(shards), recursive: true);
        Succeeds([.. RecoGymArguments, "--shard", "1/3", "--out", shards]);
        Succeeds([.. RecoGymArguments, "--shard", "3/3", "--out", shards]);
        var output = Path.Combine(_folder, "out");
        Refused("merge", shards, "--out", output).Should().Contain(Squash("missing shard 2/3 (found 2 of 3)"));
        Directory.Exists(output).Should().BeFalse();
    }

    [Fact]
    public void A_study_session_numbers_runs_across_batches_and_replays_them_by_name()
    {
        var shard = StudyShardSession.ForShard(new(2, 3));
        var playedPositions = new List<int[]>();
        using (shard.Enter())
        {
            StudyShardSession.Current.Should().BeSameAs(shard);
            foreach (var count in new[] { 4, 5 })
            {
                var batch = shard.Run(count, 3, k => ($"p{k}", k), selected =>
                {
                    playedPositions.Add(selected);
                    return [.. selected.Select(k => new Cobalt.Simulation.Experiments.TrialRun($"p{k}", k, [k, k, k], [1, 2, 3], [3, 3, 3], [0, 0, 0], 0, 0))];
                });
                batch.Should().HaveCount(count);
            }
        }
        StudyShardSession.Current.Should().BeNull();
        playedPositions[0].Should().Equal([1], "jobs 0-3: job 1 is shard 2's");
        playedPositions[1].Should().Equal([0, 3], "jobs 4-8: jobs 4 and 7 are shard 2's");
        shard.JobCount.Should().Be(9);
        shard.Played.Select(p => p.Job).Should().Equal(1, 4, 7);

        var recorded = Enumerable.Range(0, 9).Select(j => new Cobalt.Simulation.Experiments.TrialRun($"p{(j < 4 ? j : j - 4)}", j < 4 ? j : j - 4, [j, j, j], [1, 2, 3], [3, 3, 3], [0, 0, 0], 0, 0)).ToArray();
        var merge = StudyShardSession.ForMerge(recorded);
        merge.Run(4, 3, k => ($"p{k}", k), _ => throw new InvalidOperationException("a merge plays nothing")).Select(r => r.Rewards[0]).Should().Equal(0, 1, 2, 3);
        var act = () => merge.Complete();
        act.Should().Throw<InvalidDataException>().WithMessage("*hold 9 runs but this build's study plays 4*");
        var wrongName = () => merge.Run(5, 3, k => ($"q{k}", k), _ => []);
        wrongName.Should().Throw<InvalidDataException>().WithMessage("*run 4 of the shards is (p0, trial 0, 3 rounds)*asks for (q0, trial 0, 3 rounds)*");
    }

    private static string Succeeds(params string[] arguments)
    {
        var (exit, output) = CliRunner.Run(arguments);
        exit.Should().Be(0, output);
        return output;
    }

    private static string Refused(params string[] arguments)
    {
        var (exit, output) = CliRunner.Run(arguments);
        exit.Should().NotBe(0, output);
        output.Should().NotContain("   at ", "a refusal is a message, not a stack trace");
        return Squash(output);
    }

    private static void AssertSameFiles(string expected, string actual)
    {
        var names = Directory.GetFiles(expected).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        names.Should().Contain(["results.md", "options.json", "configuration.json"]).And.Contain(n => n!.EndsWith(".svg", StringComparison.Ordinal));
        Directory.GetFiles(actual).Select(Path.GetFileName).Order(StringComparer.Ordinal).Should().Equal(names);
        foreach (var name in names)
        {
            File.ReadAllBytes(Path.Combine(actual, name!)).Should().Equal(File.ReadAllBytes(Path.Combine(expected, name!)), $"{name} must be byte-identical");
        }
    }

    /// <summary>results.csv without its train_seconds and test_seconds columns (wall clock).</summary>
    private static string[] WithoutTimings(string csv) =>
        [.. File.ReadAllLines(csv).Select(line => line.Split(',')).Select(cells => string.Join(',', cells.Where((_, i) => i is not (12 or 13))))];

    private static string Squash(string text) => Whitespace().Replace(text, string.Empty);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"Shard\d/3:(\d+)of20runs")]
    private static partial Regex ShardLine();

    [GeneratedRegex(@"(Wall time [0-9.,]+ s)|(\|\s+[0-9.]+\s+\|\s+[0-9.]+\s+\|$)")]
    private static partial Regex Seconds();
}
