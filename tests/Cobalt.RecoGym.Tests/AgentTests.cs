using Cobalt.Core.Configuration;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Tests;

/// <summary>Every agent of the catalogue: valid actions and propensities, determinism under a seed; and agent-specific checks.</summary>
public class AgentTests
{
    private const int Products = 12;
    private static readonly RecoGymWorld World = new(new RecoGymOptions { Products = Products }, 17);
    private static readonly InteractionLog TrainingLog = LogReplay.Generate(World, 80);

    public static TheoryData<string> Kinds()
    {
        var data = new TheoryData<string>();
        foreach (var kind in AgentCatalog.Kinds)
        {
            data.Add(kind);
        }
        return data;
    }

    /// <summary>Trains the agent and plays test users, logging every recommendation.</summary>
    private static InteractionLog Play(string kind, ulong seed, int users = 60)
    {
        var agent = AgentCatalog.Build(AgentSpec.Default(kind), Products, seed);
        LogReplay.Train(agent, TrainingLog);
        var simulator = new UserSimulator(World);
        (agent as ISimulatorAware)?.Attach(simulator);
        var history = new UserHistory(Products);
        var log = new InteractionLog(Products);
        for (var u = 0; u < users; u++)
        {
            Episode.Play(simulator, history, agent, UserSimulator.UserSeed(World.Seed, "test", u), u, agent.Online, log);
        }
        return log;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Agents_are_deterministic_under_a_seed(string kind)
    {
        var first = Play(kind, 5).Events.ToArray();
        var second = Play(kind, 5).Events.ToArray();
        first.Should().HaveCountGreaterThan(1000);
        second.Should().Equal(first, (a, b) => a.Time == b.Time && a.User == b.User && a.Kind == b.Kind && a.Product == b.Product && a.Click == b.Click
            && (a.Propensity == b.Propensity || (double.IsNaN(a.Propensity) && double.IsNaN(b.Propensity))));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Agents_recommend_products_with_valid_propensities(string kind)
    {
        foreach (var e in Play(kind, 9, users: 30).Events)
        {
            e.Product.Should().BeInRange(0, Products - 1);
            if (e.Kind == EventKind.Bandit && !double.IsNaN(e.Propensity))
            {
                e.Propensity.Should().BeInRange(double.Epsilon, 1.0);
            }
        }
    }

    [Fact]
    public void Random_agents_with_other_seeds_differ()
    {
        var a = Play("random", 1).Events.ToArray().Where(e => e.Kind == EventKind.Bandit).Select(e => e.Product).Take(200);
        var b = Play("random", 2).Events.ToArray().Where(e => e.Kind == EventKind.Bandit).Select(e => e.Product).Take(200);
        a.Should().NotEqual(b);
    }

    [Fact]
    public void Naive_bayes_anneals_its_pseudo_count()
    {
        var agent = new NaiveBayesAgent(Products, new NaiveBayesOptions { Alpha = 2, AnnealHalfLife = 1000 }, 1);
        agent.ScheduledAlpha(0).Should().Be(2);
        agent.ScheduledAlpha(1000).Should().Be(1);
        agent.ScheduledAlpha(3000).Should().Be(0.5);
        LogReplay.Train(agent, TrainingLog);
        agent.Events.Should().Be(TrainingLog.BanditCount);
        agent.Alpha.Should().BeApproximately(agent.ScheduledAlpha(agent.Events), 0.011 * agent.Alpha);
        var fixedAlpha = new NaiveBayesAgent(Products, new NaiveBayesOptions { Alpha = 2, AnnealHalfLife = 0 }, 1);
        LogReplay.Train(fixedAlpha, TrainingLog);
        fixedAlpha.Alpha.Should().Be(2);
    }

    [Fact]
    public void Naive_bayes_prefers_the_action_clicked_with_the_users_views()
    {
        // A log where product 3 is clicked whenever shown to users who viewed 1, product 4 never.
        var log = new InteractionLog(6);
        for (var u = 0; u < 50; u++)
        {
            log.Add(LogEvent.Organic(0, u, 1));
            log.Add(LogEvent.Bandit(1, u, 3, click: true, 0.5));
            log.Add(LogEvent.Bandit(2, u, 4, click: false, 0.5));
            log.Add(LogEvent.Bandit(3, u, 3, click: false, 0.5));
        }
        foreach (var score in new[] { NaiveBayesScore.Posterior, NaiveBayesScore.ClickLikelihood })
        {
            var agent = new NaiveBayesAgent(6, new NaiveBayesOptions { Score = score, Alpha = 0.5 }, 1);
            LogReplay.Train(agent, log);
            var history = new UserHistory(6);
            history.AddView(1);
            history.AddView(1);
            // Actions 0, 1, 2, 5 were never shown: under the posterior they tie at log-ratio 0; 3 has 50 clicks in 100 shows.
            var action = agent.Act(history, out _);
            if (score == NaiveBayesScore.ClickLikelihood)
            {
                action.Should().Be(3);
            }
            else
            {
                action.Should().NotBe(4, "a product shown 50 times without a click is the worst");
            }
        }
    }

    [Fact]
    public void Item_knn_similarity_is_cosine_with_self_similarity_one()
    {
        var agent = new ItemKnnAgent(Products, new ItemKnnOptions { Neighbours = Products }, 1);
        LogReplay.Train(agent, TrainingLog);
        var s = agent.Similarity;
        // The cosine of the users x products count matrix, computed directly.
        var rows = TrainingLog.Events.ToArray().Where(e => e.Kind == EventKind.Organic).GroupBy(e => e.User)
            .Select(g => Enumerable.Range(0, Products).Select(p => (double)g.Count(e => e.Product == p)).ToArray()).ToArray();
        double Dot(int i, int j) => rows.Sum(r => r[i] * r[j]);
        for (var i = 0; i < Products; i++)
        {
            s[(i * Products) + i].Should().Be(1);
            for (var j = 0; j < Products; j++)
            {
                if (i != j && Dot(i, i) > 0 && Dot(j, j) > 0)
                {
                    s[(i * Products) + j].Should().BeApproximately(Dot(i, j) / Math.Sqrt(Dot(i, i) * Dot(j, j)), 1e-12);
                }
            }
        }
    }

    [Fact]
    public void Bandit_count_uses_beta_one_one_smoothing()
    {
        var log = new InteractionLog(3);
        log.Add(LogEvent.Organic(0, 0, 2));
        for (var t = 1; t <= 3; t++)
        {
            log.Add(LogEvent.Bandit(t, 0, 0, click: false, 1));
        }
        log.Add(LogEvent.Bandit(4, 0, 1, click: true, 1));
        log.Add(LogEvent.Bandit(5, 0, 1, click: false, 1));
        var agent = new BanditCountAgent(3, new BanditCountOptions(), 1);
        LogReplay.Train(agent, log);
        var history = new UserHistory(3);
        history.AddView(2);
        // Rates: a0 = 1/5, a1 = 2/4, a2 = 1/2 (unshown): a tie between 1 and 2, never 0.
        var seen = new HashSet<int>();
        for (var i = 0; i < 50; i++)
        {
            seen.Add(agent.Act(history, out var p));
            p.Should().Be(0.5);
        }
        seen.Should().BeEquivalentTo([1, 2]);
    }

    [Fact]
    public void Ips_softmax_refuses_clicks_without_propensities()
    {
        var log = new InteractionLog(3);
        log.Add(LogEvent.Organic(0, 0, 1));
        log.Add(LogEvent.Bandit(1, 0, 1, click: true, double.NaN));
        var agent = new IpsSoftmaxAgent(3, new IpsSoftmaxOptions(), 1);
        var act = () => LogReplay.Train(agent, log);
        act.Should().Throw<InvalidOperationException>().WithMessage("*propensity*");
    }

    [Fact]
    public void Ips_softmax_moves_probability_towards_clicked_actions()
    {
        var log = new InteractionLog(4);
        for (var u = 0; u < 40; u++)
        {
            log.Add(LogEvent.Organic(0, u, 0));
            log.Add(LogEvent.Bandit(1, u, 2, click: true, 0.25));
            log.Add(LogEvent.Bandit(2, u, 3, click: false, 0.25));
        }
        var agent = new IpsSoftmaxAgent(4, new IpsSoftmaxOptions { Online = false }, 1);
        LogReplay.Train(agent, log);
        var history = new UserHistory(4);
        history.AddView(0);
        var pi = new double[4];
        agent.Policy(history, pi);
        pi.Sum().Should().BeApproximately(1, 1e-12);
        pi[2].Should().BeGreaterThan(0.5);
    }

    [Fact]
    public void Logistic_agents_start_every_action_at_the_logged_click_rate()
    {
        var agent = new KroneckerLogisticAgent("logistic", Products, new LogisticAgentOptions(), 1);
        agent.BeginTraining(TrainingLog);
        var history = new UserHistory(Products);
        history.AddView(3);
        var rate = (TrainingLog.ClickCount + 1.0) / (TrainingLog.BanditCount + 2.0);
        agent.Predict(history, 5).Should().BeApproximately(rate, 1e-12);
    }

    [Fact]
    public void Unknown_agents_and_bad_options_are_named()
    {
        var unknown = () => AgentCatalog.Find("nave-bayes");
        unknown.Should().Throw<OptionsException>().WithMessage("*unknown agent 'nave-bayes'*naive-bayes*");
        var bad = () => AgentCatalog.Build(new AgentSpec("linucb", new LinUcbAgentOptions { Alpha = -1 }), 10, 1);
        bad.Should().Throw<OptionsException>().Which.Field.Should().Be("agents.linucb.alpha");
        var binned = () => new LogisticAgentOptions { Features = ViewEncoding.Binned }.Validate();
        binned.Should().Throw<OptionsException>().Which.Field.Should().Be("features");
    }
}
