using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Tests;

public class RunnerTests
{
    private const string Small = """
        {
          "name": "small",
          "seed": 17,
          "trials": 3,
          "iterations": 150,
          "slate-size": 2,
          "world": { "kind": "catalogue", "options": { "items": 80, "topics": 5, "users": 6, "latent-dimension": 3 } },
          "policies": [
            { "kind": "random" },
            { "kind": "linucb-shared", "options": { "alpha": 0.5 } },
            { "kind": "thompson-beta" },
            { "kind": "epsilon-greedy", "options": { "model": "arm-means" } }
          ]
        }
        """;

    [Fact]
    public void The_same_seed_gives_byte_identical_tables_and_curves()
    {
        var spec = ExperimentSpec.Parse(Small);
        var first = ExperimentRunner.Run(spec);
        var second = ExperimentRunner.Run(spec);

        ExperimentReport.ResultsTable(second).ToMarkdown().Should().Be(ExperimentReport.ResultsTable(first).ToMarkdown());
        ExperimentReport.CurvesCsv(second).Should().Be(ExperimentReport.CurvesCsv(first));
        ExperimentReport.RegretChart(second).Should().Be(ExperimentReport.RegretChart(first));
    }

    [Fact]
    public void Parallel_and_sequential_runs_agree()
    {
        var spec = ExperimentSpec.Parse(Small);
        var sequential = ExperimentRunner.Run(spec, maxParallelism: 1);
        var parallel = ExperimentRunner.Run(spec, maxParallelism: 4);

        ExperimentReport.CurvesCsv(parallel).Should().Be(ExperimentReport.CurvesCsv(sequential));
    }

    [Fact]
    public void Another_seed_gives_other_numbers()
    {
        var spec = ExperimentSpec.Parse(Small);
        var a = ExperimentRunner.Run(spec);
        var b = ExperimentRunner.Run(spec with { Seed = 18 });

        ExperimentReport.CurvesCsv(b).Should().NotBe(ExperimentReport.CurvesCsv(a));
    }

    [Fact]
    public void Policies_of_a_trial_face_the_same_users()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Small));

        for (var trial = 0; trial < 3; trial++)
        {
            var optimal = result.Policies[0].Trials[trial].Optimal;
            foreach (var policy in result.Policies.Skip(1))
            {
                policy.Trials[trial].Optimal.Should().Equal(optimal);
            }
        }
        result.Policies[0].Trials[1].Optimal.Should().NotEqual(result.Policies[0].Trials[0].Optimal);
    }

    [Fact]
    public void Trials_differ_from_each_other()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Small));
        var trials = result.Policies[1].Trials;

        trials.Select(t => t.Regrets.Sum()).Distinct().Should().HaveCount(trials.Count);
        trials.Select(t => t.Trial).Should().Equal(0, 1, 2);
    }

    [Fact]
    public void Results_summarise_the_trials()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Small));
        var linucb = result.Policies[1];

        linucb.FinalRegret.Mean.Should().BeApproximately(linucb.Trials.Average(t => t.Regrets.Sum()), 1e-9);
        linucb.FinalCtr.Mean.Should().BeApproximately(linucb.Trials.Average(t => t.Rewards.Sum() / 2), 1e-9);
        linucb.CumulativeRegret.Should().HaveCount(150);
        linucb.CumulativeRegret.Select(m => m.Mean).Should().BeInAscendingOrder();
    }

    [Fact]
    public void Progress_counts_every_round()
    {
        var spec = ExperimentSpec.Parse(Small);
        long done = 0;
        ExperimentRunner.Run(spec, onProgress: n => Interlocked.Add(ref done, n));

        done.Should().Be(3 * 4 * 150);
    }

    [Fact]
    public void The_report_writes_every_file()
    {
        var result = ExperimentRunner.Run(ExperimentSpec.Parse(Small));
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            ExperimentReport.Write(result, folder);

            foreach (var file in ExperimentReport.Files)
            {
                new FileInfo(Path.Combine(folder, file)).Length.Should().BeGreaterThan(100, file);
            }
            File.ReadAllText(Path.Combine(folder, "results.md")).Should().Contain("| linucb-shared").And.Contain("Cumulative regret");
            System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(folder, "regret.svg"))).Root!.Name.LocalName.Should().Be("svg");
            ExperimentSpec.Parse(File.ReadAllText(Path.Combine(folder, "experiment.json"))).ToJson().Should().Be(result.Spec.ToJson());
            File.ReadAllLines(Path.Combine(folder, "curves.csv")).Should().HaveCount(1 + 4 * 150);
            Directory.GetFiles(folder).Should().HaveCount(ExperimentReport.Files.Count, "no temporary files are left behind");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
