using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Tests;

/// <summary>RecoGym's own protocol: its training stream, its phantom impressions, its agents' quirks.</summary>
public class ProtocolTests
{
    private static readonly RecoGymWorld World100 = RecoGymWorld.FromNumpySeed(new RecoGymOptions(), 100);

    [Fact]
    public void Training_log_follows_RecoGyms_stream_for_seed_100()
    {
        // Expected values: /usr/bin/python3 tests/Cobalt.RecoGym.Tests/recogym_stream.py (numpy 1.24.2), a line-by-line
        // transcription of upstream's environment and logging policy. Its output:
        //   0 [6, 60, 0, 0] / 1 [6, 62] / 2 [6, 7]
        //   76 61 2   (rows of the first logged user, recommendations, clicks)
        //   rows[4] = ('b', 12, 0, '0.0005050505050505052'), last = ('phantom', 35, 0, '0.95')
        var log = RecoGymProtocolRunner.TrainingLog(World100, 100, organicUsers: 100, loggedUsers: 1, epsilon: 0.05);
        var events = log.Events.ToArray();
        Assert.Equal(new[] { 6, 60, 0, 0 }, events.Where(e => e.User == 0).Select(e => e.Product));
        Assert.Equal(new[] { 6, 62 }, events.Where(e => e.User == 1).Select(e => e.Product));
        Assert.Equal(new[] { 6, 7 }, events.Where(e => e.User == 2).Select(e => e.Product));
        Assert.All(events.Where(e => e.User < 100), e => Assert.Equal(EventKind.Organic, e.Kind));
        var logged = events.Where(e => e.User == 100).ToArray();
        Assert.Equal(76, logged.Length);
        var bandit = logged.Where(e => e.Kind == EventKind.Bandit).ToArray();
        Assert.Equal(62, bandit.Length); // 61 recommendations and the phantom
        Assert.Equal(2, bandit.Count(e => e.Click));
        Assert.Equal(12, logged[4].Product);
        Assert.Equal(0.0005050505050505052, logged[4].Propensity);
        Assert.Equal((35, false, 0.95), (logged[^1].Product, logged[^1].Click, logged[^1].Propensity));
    }

    [Fact]
    public void Every_test_user_adds_one_phantom_and_results_do_not_depend_on_parallelism()
    {
        var protocol = new RecoGymProtocol
        {
            World = new RecoGymOptions { Products = 20 },
            WorldSeed = 7,
            Worlds = 2,
            OrganicTrainUsers = 10,
            TrainUsers = 60,
            TestUsers = 150,
            Agents = new[] { "random", "organic-count", "bandit-count", "logreg-poly" }.Select(AgentSpec.Default).ToArray(),
        };
        var one = RecoGymProtocolRunner.Run(protocol, maxParallelism: 1);
        var two = RecoGymProtocolRunner.Run(protocol, maxParallelism: 2);
        Assert.Equal(one.Runs.Select(r => r.Test), two.Runs.Select(r => r.Test));
        Assert.Equal(new uint[] { 7, 8 }, one.Logs.Select(l => l.WorldSeed));
        foreach (var run in one.Runs)
        {
            Assert.Equal(150, run.Test.Phantoms);
            Assert.True(run.Test.Recommendations > 1000);
            Assert.True(run.CtrRecoGym.Median < run.Ctr.Median);
            Assert.Equal(run.Test.Clicks, CtrEstimate.From(run.Test.RecoGymImpressions, run.Test.Clicks).Clicks);
        }
        // The random agent draws from RandomState(world seed), not from the environment's stream: its path differs by world.
        Assert.NotEqual(one.Runs[0].Test, one.Runs[4].Test);
    }

    [Fact]
    public void Two_training_seeds_give_two_logs_of_the_same_world_and_the_same_test_users()
    {
        var protocol = new RecoGymProtocol
        {
            World = new RecoGymOptions { Products = 20 },
            WorldSeed = 7,
            Worlds = 1,
            TrainingSeeds = 2,
            OrganicTrainUsers = 10,
            TrainUsers = 200,
            TestUsers = 300,
            Agents = new[] { "random", "organic-count", "logreg-poly" }.Select(AgentSpec.Default).ToArray(),
        };
        var result = RecoGymProtocolRunner.Run(protocol, maxParallelism: 2);
        Assert.Equal([(7u, 0), (7u, 1)], result.Logs.Select(l => (l.WorldSeed, l.TrainingSeed)));
        Assert.NotEqual(result.Logs[0].Logged, result.Logs[1].Logged);

        // Log 1 is RandomState(8)'s users in world 7: the same world (its draws come from RandomState(7) alone) ...
        var world = RecoGymWorld.FromNumpySeed(protocol.World, 7);
        var log0 = RecoGymProtocolRunner.TrainingLog(world, 7, 10, 200, 0.05, trainingSeed: 0);
        var log1 = RecoGymProtocolRunner.TrainingLog(world, 7, 10, 200, 0.05, trainingSeed: 1);
        Assert.Equal(result.Logs[1].Rows, log1.Count);
        Assert.NotEqual(log0.Events[..50].ToArray().Select(e => e.Product), log1.Events[..50].ToArray().Select(e => e.Product));

        var runs = result.Runs.ToDictionary(r => (r.Kind, r.TrainingSeed));
        // ... and the same test users: the random agent ignores the log, so its test is identical.
        Assert.Equal(runs[("random", 0)].Test, runs[("random", 1)].Test);
        // A learning agent sees another log and clicks differently.
        Assert.NotEqual(runs[("logreg-poly", 0)].Test, runs[("logreg-poly", 1)].Test);

        var spread = ProtocolReport.Spreads(result).Single(s => s.Kind == "logreg-poly");
        var ctr0 = runs[("logreg-poly", 0)].Ctr;
        var ctr1 = runs[("logreg-poly", 1)].Ctr;
        var c0 = ctr0.Rate;
        var c1 = ctr1.Rate;
        Assert.Equal(2, spread.TrainingSeeds);
        Assert.Equal(1, spread.Worlds);
        Assert.Equal(Math.Abs(c0 - c1), spread.LogRange, 12);
        Assert.Equal(Math.Abs(c0 - c1) / Math.Sqrt(2), spread.LogSd, 12);
        Assert.Equal(0, spread.Sd); // one world
        Assert.Equal(0, ProtocolReport.Spreads(result).Single(s => s.Kind == "random").LogSd);

        var csv = ProtocolReport.ResultsCsv(result).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("training_seed", csv[0].Trim().Split(',')[^1]);
        Assert.Equal(7, csv.Length); // header + 2 logs x 3 agents
    }

    [Fact]
    public void One_training_seed_is_RecoGyms_protocol_with_the_published_seed_100_numbers()
    {
        // docs/recogym.md, world seed 100 (commit fead1f9, before training seeds existed): bandit-count 9567 clicks /
        // 786534 recommendations under the default protocol with 10,000 test users.
        var protocol = new RecoGymProtocol
        {
            Worlds = 1,
            Agents = [AgentSpec.Default("bandit-count")],
        };
        Assert.Equal(1, protocol.TrainingSeeds);
        var result = RecoGymProtocolRunner.Run(protocol, maxParallelism: 2);
        Assert.Equal([(786534L, 9567L, 0)], result.Runs.Select(r => (r.Test.Recommendations, r.Test.Clicks, r.TrainingSeed)));
        var csv = ProtocolReport.ResultsCsv(result).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",0", csv[1].Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Results_csv_has_the_promised_columns()
    {
        var protocol = new RecoGymProtocol { World = new RecoGymOptions { Products = 10 }, Worlds = 1, OrganicTrainUsers = 2, TrainUsers = 5, TestUsers = 20, Agents = [AgentSpec.Default("random")] };
        var csv = ProtocolReport.ResultsCsv(RecoGymProtocolRunner.Run(protocol, 1));
        var header = csv.Split('\n')[0].Trim().Split(',');
        Assert.Equal(["agent", "world_seed", "protocol", "ctr", "ctr_low", "ctr_high", "ctr_recogym", "ctr_recogym_low", "ctr_recogym_high"], header[..9]);
        Assert.StartsWith("random,100,offline,", csv.Split('\n')[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Protocol_options_name_the_bad_field()
    {
        var bad = () => new RecoGymProtocol { Worlds = 0 }.Validate();
        Assert.Equal("worlds", Assert.Throws<Core.Configuration.OptionsException>(bad).Field);
        var seeds = () => new RecoGymProtocol { TrainingSeeds = 0 }.Validate();
        Assert.Equal("training-seeds", Assert.Throws<Core.Configuration.OptionsException>(seeds).Field);
        var wrap = () => new RecoGymProtocol { WorldSeed = uint.MaxValue - 4, Worlds = 5, TrainingSeeds = 2 }.Validate();
        Assert.Equal("training-seeds", Assert.Throws<Core.Configuration.OptionsException>(wrap).Field);
        var epsilon = () => new RecoGymProtocol { LoggingEpsilon = 2 }.Validate();
        Assert.Equal("logging-epsilon", Assert.Throws<Core.Configuration.OptionsException>(epsilon).Field);
    }

    [Fact]
    public void Organic_count_adds_the_outer_product_of_each_chunk()
    {
        var agent = new OrganicCountAgent(4, 1);
        var history = new UserHistory(4);
        agent.BeginUser(history);
        foreach (var v in new[] { 1, 1, 2 })
        {
            history.AddView(v);
            agent.ObserveOrganic(history, v);
        }
        agent.ObserveBandit(history, 3, 1, false);
        history.AddView(3);
        agent.ObserveOrganic(history, 3);
        agent.EndUser(history);
        Assert.Equal(4, agent.CoCount(1, 1));
        Assert.Equal(2, agent.CoCount(1, 2));
        Assert.Equal(1, agent.CoCount(2, 2));
        Assert.Equal(1, agent.CoCount(3, 3));
        Assert.Equal(0, agent.CoCount(1, 3)); // different chunks never co-count
        Assert.Equal(3, agent.Act(history, out _)); // last view 3: its row's only non-zero entry
        history.AddView(2);
        Assert.Equal(1, agent.Act(history, out var ps)); // row 2: counts (0, 2, 1, 0), the first maximum
        Assert.Equal(1.0, ps);
    }

    [Fact]
    public void Bandit_count_reproduces_upstreams_stale_context_and_first_column_update()
    {
        var stale = new UpstreamBanditCountAgent(3, new UpstreamBanditCountOptions(), 1);
        var fresh = new UpstreamBanditCountAgent(3, new UpstreamBanditCountOptions { StaleContext = false }, 1);
        var history = new UserHistory(3);
        foreach (var agent in new[] { stale, fresh })
        {
            history.Reset();
            history.AddView(0);
            agent.ObserveBandit(history, 2, 1, true); // stale: no previous context, the whole column 2 is updated
            history.AddView(1);
            agent.ObserveBandit(history, 1, 1, true); // stale: paired with view 0, the previous action's context
        }
        Assert.Equal(2.0 / 3, stale.Ctr(0, 2), 12);
        Assert.Equal(2.0 / 3, stale.Ctr(1, 2), 12);
        Assert.Equal(2.0 / 3, stale.Ctr(2, 2), 12);
        Assert.Equal(2.0 / 3, stale.Ctr(0, 1), 12);
        Assert.Equal(0.5, stale.Ctr(1, 1), 12);
        Assert.Equal(2.0 / 3, fresh.Ctr(0, 2), 12);
        Assert.Equal(0.5, fresh.Ctr(1, 2), 12);
        Assert.Equal(2.0 / 3, fresh.Ctr(1, 1), 12);
        // Greedy with the lowest index on ties: after view 1, stale's row 1 is (0.5, 0.5, 2/3).
        Assert.Equal(2, stale.Act(history, out var ps));
        Assert.Equal(2.0 / 3, ps, 12);
    }

    [Fact]
    public void Logreg_poly_learns_which_action_pays_after_which_view()
    {
        // A planted rule: after viewing product v, action (v + 1) mod 4 is clicked, every other action is not.
        var agent = new LogregPolyAgent(4, new LogregPolyOptions(), 1);
        var history = new UserHistory(4);
        agent.BeginTraining(new InteractionLog(4));
        for (var u = 0; u < 200; u++)
        {
            history.Reset();
            var v = u % 4;
            history.AddView(v);
            for (var a = 0; a < 4; a++)
            {
                agent.ObserveBandit(history, a, 0.25, a == (v + 1) % 4);
            }
        }
        agent.EndTraining();
        Assert.True(agent.Iterations > 0);
        for (var v = 0; v < 4; v++)
        {
            history.Reset();
            history.AddView(v);
            Assert.Equal((v + 1) % 4, agent.Act(history, out _));
        }
    }

    [Fact]
    public void Logreg_multiclass_ips_recommends_the_clicked_action_of_a_context()
    {
        var agent = new LogregMulticlassIpsAgent(4, new LogregMulticlassIpsOptions(), 1);
        var history = new UserHistory(4);
        for (var u = 0; u < 200; u++)
        {
            history.Reset();
            var v = u % 4;
            history.AddView(v);
            for (var a = 0; a < 4; a++)
            {
                agent.ObserveBandit(history, a, 0.25, a == 3 - v);
            }
        }
        agent.EndTraining();
        for (var v = 0; v < 4; v++)
        {
            history.Reset();
            history.AddView(v);
            Assert.Equal(3 - v, agent.Act(history, out _));
        }
    }

    [Fact]
    public void Lbfgs_finds_the_minimum_of_an_ill_scaled_quadratic()
    {
        double[] scale = [1, 100, 1e4];
        double[] target = [1, -2, 3];
        var w = new double[3];
        Lbfgs.Minimize((x, g) =>
        {
            var f = 0.0;
            for (var i = 0; i < 3; i++)
            {
                var d = x[i] - target[i];
                f += 0.5 * scale[i] * d * d;
                g[i] = scale[i] * d;
            }
            return f;
        }, w, gradientTolerance: 1e-9);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(target[i], w[i], 6);
        }
    }
}
