using Cobalt.Core.Configuration;
using Cobalt.Policies;

namespace Cobalt.Policies.Tests;

/// <summary>
/// <see cref="Bandit"/>, the in-process facade: it learns, its probabilities are the exact ones it chose with, it is
/// deterministic under a seed, fits logged rounds, saves and loads everything, and refuses bad input in plain words.
/// </summary>
public class BanditFacadeTests
{
    private static readonly string[] News = ["sports", "politics"];

    /// <summary>Readers [1, 0] click sports, readers [0, 1] politics.</summary>
    private static double[] Reader(int i) => i % 2 == 0 ? [1, 0] : [0, 1];

    private static int Click(double[] reader, string action) => (action == "sports") == (reader[0] == 1) ? 1 : 0;

    private static int Play(Bandit bandit, int rounds, int from = 0)
    {
        var clicks = 0;
        for (var i = from; i < from + rounds; i++)
        {
            var reader = Reader(i);
            var choice = bandit.Choose(reader, News);
            var click = Click(reader, choice.Action);
            bandit.Reward(choice.EventId, click);
            clicks += click;
        }
        return clicks;
    }

    [Fact]
    public void Linucb_learns_each_reader_s_favourite_and_explores_with_epsilon()
    {
        var bandit = Bandit.Create("linucb", contextDimension: 2, seed: 7);
        bandit.Kind.Should().Be("linucb-disjoint");
        bandit.Exploration.Should().Be(ServedExploration.EpsilonGreedy);
        Play(bandit, 200);
        var clicks = Play(bandit, 2000, from: 200);
        // Greedy is right after a few rounds; epsilon 0.05 over 2 actions serves the other one 2.5 % of the time.
        (clicks / 2000.0).Should().BeInRange(0.95, 0.995);
        bandit.PendingEvents.Should().Be(0);
    }

    [Fact]
    public void Action_features_use_the_context_action_outer_product()
    {
        var bandit = Bandit.Create("linucb", contextDimension: 2, actionDimension: 2, seed: 3);
        bandit.Kind.Should().Be("linucb-shared");
        bandit.Specification.Should().Contain("\"features\":\"user-outer-item\"");
        var clicks = 0;
        for (var i = 0; i < 1500; i++)
        {
            var reader = Reader(i);
            var choice = bandit.Choose(reader, [new BanditAction("sports", [1, 0]), new BanditAction("politics", [0, 1])]);
            var click = Click(reader, choice.Action);
            bandit.Reward(choice.EventId, click);
            clicks += i >= 500 ? click : 0;
        }
        (clicks / 1000.0).Should().BeGreaterThan(0.95);
    }

    [Fact]
    public void The_probability_returned_is_the_exact_epsilon_greedy_probability()
    {
        var bandit = Bandit.Create("linucb", new BanditOptions { ContextDimension = 2, Seed = 11, Epsilon = 0.2 });
        Play(bandit, 300);
        string[] four = ["sports", "politics", "weather", "arts"];
        var served = new int[4];
        const int n = 8000;
        for (var i = 0; i < n; i++)
        {
            var choice = bandit.Choose([1, 0], four);
            choice.Probabilities.Sum().Should().BeApproximately(1, 1e-12);
            choice.Probability.Should().Be(choice.Probabilities[choice.Index]);
            four[choice.Index].Should().Be(choice.Action);
            served[choice.Index]++;
        }
        // Sports is the best (learned), the three others tie at 0 (weather and arts were never seen): greedy mass goes to sports.
        var last = bandit.Choose([1, 0], four).Probabilities;
        last[0].Should().BeApproximately(0.8 + 0.2 / 4, 1e-12);
        last[1].Should().BeApproximately(0.05, 1e-12);
        for (var a = 0; a < 4; a++)
        {
            var p = last[a];
            var sd = Math.Sqrt(p * (1 - p) / n);
            (served[a] / (double)n).Should().BeApproximately(p, 4.5 * sd, $"action {a} is served with its logged probability");
        }
    }

    [Fact]
    public void Thompson_sampling_is_served_with_the_exact_share_of_its_draws()
    {
        var bandit = Bandit.Create("thompson-linear", new BanditOptions { ContextDimension = 2, Seed = 5, PolicySamples = 16 });
        for (var i = 0; i < 20; i++)
        {
            var choice = bandit.Choose(Reader(i), News);
            // (1 - epsilon) k / 16 + epsilon / 2 for a whole number k of the 16 draws.
            var k = (choice.Probability - 0.025) / 0.95 * 16;
            k.Should().BeApproximately(Math.Round(k), 1e-9);
            bandit.Reward(choice.EventId, Click(Reader(i), choice.Action));
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_choices_and_another_seed_others()
    {
        static string Run(ulong seed)
        {
            var bandit = Bandit.Create("linucb", contextDimension: 2, seed: seed);
            var log = new List<string>();
            for (var i = 0; i < 300; i++)
            {
                var choice = bandit.Choose(Reader(i), News);
                log.Add($"{choice.EventId}:{choice.Action}:{choice.Probability:R}");
                bandit.Reward(choice.EventId, Click(Reader(i), choice.Action));
            }
            return string.Join(",", log);
        }
        Run(9).Should().Be(Run(9));
        Run(9).Should().NotBe(Run(10));
    }

    [Fact]
    public void Fit_learns_from_logged_arrays_as_online_learning_would()
    {
        var contexts = new List<double[]>();
        var actions = new List<string>();
        var rewards = new List<double>();
        var propensities = new List<double>();
        var logger = new Random(1);
        for (var i = 0; i < 400; i++)
        {
            var reader = Reader(i);
            var action = News[logger.Next(2)];
            contexts.Add(reader);
            actions.Add(action);
            rewards.Add(Click(reader, action));
            propensities.Add(0.5);
        }
        var fitted = Bandit.Create("linucb", contextDimension: 2, seed: 1);
        fitted.Fit(new LoggedRounds(contexts, actions, rewards, propensities)).Should().Be(400);
        fitted.Choose([1, 0], News).Probabilities.Should().Equal(0.975, 0.025);
        fitted.Choose([0, 1], News).Probabilities.Should().Equal(0.025, 0.975);

        // The same rounds chosen and rewarded one by one give the same model.
        var online = Bandit.Create("linucb", contextDimension: 2, seed: 1);
        for (var i = 0; i < 400; i++)
        {
            var only = online.Choose(contexts[i], [actions[i]]);
            online.Reward(only.EventId, rewards[i]);
        }
        online.Choose([1, 0], News).Probabilities.Should().Equal(fitted.Choose([1, 0], News).Probabilities);
    }

    [Fact]
    public void Fit_checks_every_round_first_and_a_refused_round_changes_nothing()
    {
        var bandit = Bandit.Create("linucb", contextDimension: 2);
        double[][] contexts = [[1, 0], [0, 1], [1, 1]];
        FluentActions.Invoking(() => bandit.Fit(new LoggedRounds(contexts, ["a", "b"], [1, 0, 1])))
            .Should().Throw<ArgumentException>().WithMessage("logged.actions has 2 entries; logged.contexts has 3*");
        FluentActions.Invoking(() => bandit.Fit(new LoggedRounds(contexts, ["a", "b", "a"], [1, double.NaN, 1])))
            .Should().Throw<ArgumentException>().WithMessage("logged.rewards[1] is NaN*");
        FluentActions.Invoking(() => bandit.Fit(new LoggedRounds(contexts, ["a", "b", "a"], [1, 0, 1], [0.5, 0, 0.5])))
            .Should().Throw<ArgumentException>().WithMessage("logged.propensities[1] is 0; a propensity must be in (0, 1].");
        FluentActions.Invoking(() => bandit.Fit(new LoggedRounds([[1, 0], [1]], ["a", "b"], [1, 0])))
            .Should().Throw<ArgumentException>().WithMessage("logged.contexts[1] has 1 values; this bandit was created with context dimension 2.");

        // GLM-UCB's logistic model refuses a reward outside [0, 1] in round 2, after learning rounds 0 and 1: both are undone.
        var glm = Bandit.Create("glm-ucb", contextDimension: 2);
        var before = Saved(glm);
        var fail = FluentActions.Invoking(() => glm.Fit(new LoggedRounds(contexts, ["a", "b", "a"], [1, 0, 5]))).Should().Throw<ArgumentException>().Which;
        fail.Message.Should().StartWith("logged round 2: 'glm-ucb' cannot learn it:").And.NotContain("(Parameter");
        Saved(glm).Should().Equal(before);
    }

    [Fact]
    public void Save_and_load_keep_the_model_the_action_ids_and_the_events_waiting_for_rewards()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-bandit-");
        try
        {
            var bandit = Bandit.Create("linucb", contextDimension: 2, seed: 21);
            Play(bandit, 100);
            var waiting = bandit.Choose([0, 1], News);
            var path = Path.Combine(folder.FullName, "news.bandit");
            bandit.Save(path);
            Directory.GetFiles(folder.FullName).Should().Equal(path); // written atomically: no temporary file left behind
            var loaded = Bandit.Load(path);
            loaded.Specification.Should().Be(bandit.Specification);
            loaded.Options.Should().Be(bandit.Options);
            loaded.PendingEvents.Should().Be(1);
            loaded.Reward(waiting.EventId, 1);
            bandit.Reward(waiting.EventId, 1);
            // From here on both make the same choices with the same probabilities and event ids.
            for (var i = 0; i < 50; i++)
            {
                var a = bandit.Choose(Reader(i), News);
                var b = loaded.Choose(Reader(i), News);
                b.Should().BeEquivalentTo(a);
                bandit.Reward(a.EventId, Click(Reader(i), a.Action));
                loaded.Reward(b.EventId, Click(Reader(i), b.Action));
            }
            Saved(loaded).Should().Equal(Saved(bandit));

            var bytes = File.ReadAllBytes(path);
            bytes[^40] ^= 0xFF;
            File.WriteAllBytes(path, bytes);
            FluentActions.Invoking(() => Bandit.Load(path)).Should().Throw<InvalidDataException>()
                .WithMessage($"{path}: *checksum*");
            FluentActions.Invoking(() => Bandit.Load(Path.Combine(folder.FullName, "missing.bandit"))).Should().Throw<FileNotFoundException>()
                .WithMessage("*missing.bandit: no such bandit file.");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Bad_input_is_refused_in_plain_words()
    {
        var bandit = Bandit.Create("linucb", contextDimension: 2);
        var messages = new List<string>();
        void Refused<T>(Action act, string pattern)
            where T : Exception
        {
            var e = FluentActions.Invoking(act).Should().Throw<T>().WithMessage(pattern).Which;
            messages.Add(e.Message);
        }
        Refused<ArgumentException>(() => bandit.Choose([1, 0, 0], News), "context has 3 values; this bandit was created with context dimension 2.");
        Refused<ArgumentException>(() => bandit.Choose([1, double.PositiveInfinity], News), "context[1] is Infinity; context values must be finite.");
        Refused<ArgumentException>(() => bandit.Choose([1, 0], Array.Empty<string>()), "actions: there are no actions to choose from.");
        Refused<ArgumentException>(() => bandit.Choose([1, 0], ["a", "b", "a"]), "actions[2]: the id 'a' appears twice.");
        Refused<ArgumentException>(() => bandit.Choose([1, 0], [new BanditAction("a", [1])]), "actions[0] ('a') has 1 features; this bandit was created with action dimension 0.");
        Refused<ArgumentException>(() => bandit.Reward("e42", 1), "eventId: unknown event 'e42': it was not chosen by this bandit, was already rewarded, or was forgotten*");
        var choice = bandit.Choose([1, 0], News);
        Refused<ArgumentException>(() => bandit.Reward(choice.EventId, double.NaN), "value: the reward of event 'e1' is NaN; a reward must be a finite number.");
        Refused<ArgumentException>(() => bandit.Choose([1, 0], News, eventId: "e1"), "eventId: the event 'e1' was chosen before and is still waiting for its reward.");
        bandit.Reward(choice.EventId, 1);
        Refused<ArgumentException>(() => bandit.Reward(choice.EventId, 1), "eventId: unknown event 'e1'*already rewarded*");
        Refused<OptionsException>(() => Bandit.Create("lin-ucb", 2), "policy.kind: unknown policy 'lin-ucb'; allowed: linucb, random, epsilon-greedy, *");
        Refused<OptionsException>(() => Bandit.Create("linucb", -1), "context-dimension: must be at least 0 (got -1).");
        Refused<OptionsException>(() => Bandit.Create("""{"kind": "linucb", "options": {"alpha": "big"}}""", 2), "policy.options.alpha: *");
        Refused<OptionsException>(() => Bandit.Create("linucb", 0), "policy.options.features: 'user' gives 'linucb-disjoint' no features for context dimension 0 and action dimension 0; *");
        Refused<OptionsException>(() => Bandit.Create("""{"kind": "linucb-shared", "options": {"features": "item"}}""", 2), "policy.options.features: 'item' gives 'linucb-shared' no features*");
        Refused<OptionsException>(() => Bandit.Create("linucb", new BanditOptions { ContextDimension = 2, Exploration = ServedExploration.None }), "exploration: 'linucb-disjoint' is deterministic*");
        messages.Should().AllSatisfy(m => m.Should().NotContain("(Parameter").And.NotContain("Actual value was").And.NotContain("System."));
    }

    [Fact]
    public void Forgotten_events_are_the_oldest_beyond_the_limit()
    {
        var bandit = Bandit.Create("linucb", new BanditOptions { ContextDimension = 2, MaxPendingEvents = 3 });
        var ids = Enumerable.Range(0, 5).Select(i => bandit.Choose(Reader(i), News).EventId).ToArray();
        bandit.PendingEvents.Should().Be(3);
        FluentActions.Invoking(() => bandit.Reward(ids[1], 1)).Should().Throw<ArgumentException>().WithMessage("*only the last 3 unrewarded events are kept*");
        bandit.Reward(ids[2], 1);
        bandit.Reward(ids[4], 0);
    }

    private static byte[] Saved(Bandit bandit)
    {
        using var stream = new MemoryStream();
        bandit.Save(stream);
        return stream.ToArray();
    }
}
