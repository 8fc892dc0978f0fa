using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Policies.Catalog;

namespace Cobalt.Policies.Tests;

/// <summary>
/// The checks every policy must pass, run over every kind of the catalogue and the notable option
/// variants: valid slates and propensities, determinism under a seed, save/load round trips, edge cases.
/// </summary>
public class ConformanceTests
{
    private const ulong TrialSeed = 42;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in Variants.Keys)
        {
            data.Add(name);
        }
        return data;
    }

    /// <summary>Every kind with default options, plus the variants that take other code paths.</summary>
    private static readonly Dictionary<string, PolicySpec> Variants = BuildVariants();

    private static Dictionary<string, PolicySpec> BuildVariants()
    {
        // Only this project's kinds: higher layers (two-stage, neural) register more kinds and test them in their own projects.
        var variants = PolicyCatalog.All.Where(d => d.OptionsType.Assembly == typeof(PolicyOptions).Assembly).ToDictionary(
            d => d.Kind,
            d => new PolicySpec(d.Kind, (PolicyOptions)Activator.CreateInstance(d.OptionsType)!));
        variants["epsilon-greedy/arm-means"] = new("epsilon-greedy", new EpsilonGreedyOptions { Model = ValueModel.ArmMeans });
        variants["epsilon-greedy/logistic"] = new("epsilon-greedy", new EpsilonGreedyOptions { Model = ValueModel.Logistic, Epsilon = 0.3 });
        variants["softmax/arm-means"] = new("softmax", new SoftmaxOptions { Model = ValueModel.ArmMeans, Temperature = 0.5 });
        variants["glm-ucb/per-user-sgd"] = new("glm-ucb", new GlmUcbOptions { PerUser = true, Solver = LogisticSolver.GradientDescent });
        variants["thompson-linear/disjoint"] = new("thompson-linear", new LinearThompsonOptions { Disjoint = true });
        variants["linucb-shared/user-outer-item"] = new("linucb-shared", new LinUcbOptions { Features = FeatureMap.UserOuterItem, RefactorEvery = 7 });
        variants["linucb-shared/no-cache"] = new("linucb-shared", new LinUcbOptions { CacheCatalog = false });
        variants["linucb-hybrid/li-2010"] = new("linucb-hybrid", new HybridLinUcbOptions { SharedFeatures = FeatureMap.UserOuterItem, ArmFeatures = FeatureMap.User });
        variants["linucb-disjoint/user-then-item"] = new("linucb-disjoint", new DisjointLinUcbOptions { Features = FeatureMap.UserThenItem });
        variants["linucb-shared/budget"] = new("linucb-shared", new LinUcbOptions { CandidateBudget = 10 });
        variants["glm-ucb/as-coded-per-user"] = new("glm-ucb", new GlmUcbOptions { Fit = Models.GlmFit.AsCoded, PerUser = true });
        variants["glm-ucb/as-coded-per-user-buffer"] = new("glm-ucb", new GlmUcbOptions { Fit = Models.GlmFit.AsCoded, PerUser = true, Buffer = Models.RefitBuffer.PerUser, History = Models.HistorySeed.Buffer, Epochs = 1 });
        variants["s-n-galm-ucb/as-coded"] = new("s-n-galm-ucb", new AdditiveOptions { Fit = Models.GlmFit.AsCoded });
        variants["s-n-gblm-ucb/as-coded"] = new("s-n-gblm-ucb", new BilinearOptions { Fit = Models.GlmFit.AsCoded });
        return variants;
    }

    private static IPolicy Build(string variant, IEnvironment environment, ulong seed = 7) =>
        PolicyCatalog.Build(Variants[variant], PolicyBuildContext.For(environment.Info, seed));

    private static IEnvironment Catalogue() => TestWorlds.Catalogue().Create(TrialSeed);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Slates_hold_distinct_candidates_with_valid_propensities(string variant)
    {
        var environment = Catalogue();
        var policy = Build(variant, environment);
        var (decisions, _) = TestWorlds.Play(policy, environment, rounds: 40, slateSize: 4);

        foreach (var decision in decisions)
        {
            decision.Slots.Should().HaveCount(4);
            decision.Slots.Select(s => s.ActionId).Should().OnlyHaveUniqueItems();
            foreach (var slot in decision.Slots)
            {
                decision.Context.Candidates.Ids[slot.CandidateIndex].Should().Be(slot.ActionId);
                if (slot.Propensity is { } p)
                {
                    p.Should().BeInRange(double.Epsilon, 1.0);
                }
            }
            if (decision.FirstSlotProbabilities is { } first)
            {
                first.Should().HaveCount(decision.Context.Candidates.Count);
                first.Should().OnlyContain(q => q >= 0 && q <= 1);
                first.Sum().Should().BeApproximately(1, 1e-9);
                first[decision.Top.CandidateIndex].Should().BeApproximately(decision.Top.Propensity!.Value, 1e-12, "the first slot's distribution gives the top slot's propensity");
            }
            else
            {
                decision.Top.Propensity.Should().BeNull("a policy with propensities also reports the first slot's distribution");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_same_seed_gives_the_same_decisions(string variant)
    {
        var first = TestWorlds.Play(Build(variant, Catalogue()), Catalogue(), 60, slateSize: 2).Decisions;
        var second = TestWorlds.Play(Build(variant, Catalogue()), Catalogue(), 60, slateSize: 2).Decisions;

        Flatten(second).Should().Equal(Flatten(first));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Save_and_load_gives_identical_decisions(string variant)
    {
        var environment = Catalogue();
        var original = Build(variant, environment);
        TestWorlds.Play(original, environment, 50, slateSize: 2);

        using var saved = new MemoryStream();
        PolicyCatalog.Save(original, saved);
        saved.Position = 0;
        var restored = PolicyCatalog.Load(saved);

        // The twin environment is advanced to the same round; contexts do not depend on actions.
        var twin = Catalogue();
        for (var t = 0; t < 50; t++)
        {
            twin.Next();
        }
        var after = TestWorlds.Play(original, environment, 50, slateSize: 2).Decisions;
        var afterRestored = TestWorlds.Play(restored, twin, 50, slateSize: 2).Decisions;

        restored.Kind.Should().Be(original.Kind);
        restored.Specification.Should().Be(original.Specification);
        Flatten(afterRestored).Should().Equal(Flatten(after));
        SaveBytes(restored).Should().Equal(SaveBytes(original));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_candidate_is_chosen_whatever_the_slate_size(string variant)
    {
        var environment = Catalogue();
        var policy = Build(variant, environment);
        TestWorlds.Play(policy, environment, 10);
        var context = TestWorlds.RandomContext(1, environment.Info.ItemFeatureDimension, environment.Info.UserFeatureDimension, seed: 3);

        var decision = policy.Select(context, slateSize: 3);

        decision.Slots.Should().ContainSingle().Which.ActionId.Should().Be(context.Candidates.Ids[0]);
        decision.Top.Propensity.Should().Match(p => p == null || p == 1.0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Zero_candidates_is_a_clear_error(string variant)
    {
        var environment = Catalogue();
        var policy = Build(variant, environment);
        var empty = new DecisionContext(0, 0, new double[environment.Info.UserFeatureDimension],
            CandidateSet.FromFeatures([], new FeatureMatrix(0, environment.Info.ItemFeatureDimension, [])));

        var act = () => policy.Select(empty);

        act.Should().Throw<ArgumentException>().WithMessage("*no candidates*");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_file_of_another_policy_or_a_damaged_file_is_refused(string variant)
    {
        var environment = Catalogue();
        var policy = Build(variant, environment);
        var other = PolicyCatalog.Build(new PolicySpec(policy.Kind == "random" ? "ucb1" : "random", policy.Kind == "random" ? new Ucb1Options() : new RandomOptions()), PolicyBuildContext.For(environment.Info, 1));

        var foreign = SaveBytes(other);
        var act = () => PolicyCatalog.LoadInto(policy, new MemoryStream(foreign));
        act.Should().Throw<InvalidDataException>().WithMessage($"*'{other.Kind}'*'{policy.Kind}'*");

        var damaged = SaveBytes(policy);
        damaged[^40] ^= 0x5A; // inside the payload, before the checksum
        var load = () => PolicyCatalog.Load(new MemoryStream(damaged));
        load.Should().Throw<InvalidDataException>().WithMessage("*checksum*");

        var truncated = SaveBytes(policy)[..^10];
        var loadTruncated = () => PolicyCatalog.Load(new MemoryStream(truncated));
        loadTruncated.Should().Throw<InvalidDataException>().WithMessage("*truncated*");
    }

    [Fact]
    public void Non_finite_features_and_rewards_never_reach_a_policy()
    {
        var nanFeatures = () => new FeatureMatrix(2, 2, [1, 2, double.NaN, 4]);
        nanFeatures.Should().Throw<ArgumentException>().WithMessage("*row 1, column 0*NaN*");

        var infiniteUser = () => new DecisionContext(0, 1, [double.PositiveInfinity], CandidateSet.FromFeatures([0], new FeatureMatrix(1, 1, [1])));
        infiniteUser.Should().Throw<ArgumentException>().WithMessage("*User feature 0*");

        var context = TestWorlds.RandomContext(3, 2, 0, seed: 1);
        var nanReward = () => new Feedback(context, 0, double.NaN);
        nanReward.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*finite*");
    }

    [Theory]
    [InlineData("linucb-shared")]
    [InlineData("linucb-disjoint")]
    [InlineData("linucb-hybrid")]
    [InlineData("thompson-linear")]
    [InlineData("glm-ucb")]
    [InlineData("thompson-logistic")]
    public void Features_of_the_wrong_dimension_are_a_clear_error(string kind)
    {
        var environment = TestWorlds.Linear(dimension: 5).Create(TrialSeed);
        var policy = TestWorlds.Build(kind, environment);
        var wrong = TestWorlds.RandomContext(4, 3, 0, seed: 2);

        var act = () => policy.Select(wrong);

        act.Should().Throw<ArgumentException>().WithMessage("*3*5*");
    }

    [Fact]
    public void Every_kind_works_on_a_world_without_users_and_with_real_rewards_unless_it_needs_them()
    {
        var environment = TestWorlds.Linear().Create(TrialSeed);
        var needsClicks = new[] { "thompson-beta", "glm-ucb", "glm-ucb/per-user-sgd", "thompson-logistic", "epsilon-greedy/logistic" };
        var needsUsers = new[] { "s-n-galm-ucb", "s-n-gblm-ucb", "s-n-galm-ucb/as-coded", "s-n-gblm-ucb/as-coded" };
        foreach (var (name, spec) in Variants.Where(v => !needsClicks.Contains(v.Key) && !needsUsers.Contains(v.Key) && !v.Key.Contains("user", StringComparison.Ordinal) && v.Key != "linucb-hybrid/li-2010"))
        {
            var policy = PolicyCatalog.Build(spec, PolicyBuildContext.For(environment.Info, 3));
            var play = () => TestWorlds.Play(policy, environment, 20, slateSize: 2);
            play.Should().NotThrow(name);
        }

        foreach (var kind in new[] { "s-n-galm-ucb", "s-n-gblm-ucb" })
        {
            var build = () => TestWorlds.Build(kind, environment);
            build.Should().Throw<ArgumentException>(kind).WithMessage("*needs user features*");
        }

        var perUser = PolicyCatalog.Build(Variants["glm-ucb/per-user-sgd"], PolicyBuildContext.For(environment.Info, 3));
        var noUser = () => perUser.Select(environment.Next().Context);
        noUser.Should().Throw<ArgumentException>().WithMessage("*user id*");

        foreach (var name in needsClicks.Where(n => !n.Contains("user", StringComparison.Ordinal)))
        {
            var policy = PolicyCatalog.Build(Variants[name], PolicyBuildContext.For(environment.Info, 3));
            var round = environment.Next();
            var decision = policy.Select(round.Context, slateSize: 2);
            var before = SaveBytes(policy);
            var realRewards = () => policy.Update(decision.ToFeedback([1.0, -1.25]));
            realRewards.Should().Throw<ArgumentOutOfRangeException>(name).WithMessage("*[0, 1]*");
            SaveBytes(policy).Should().Equal(before, "a refused batch leaves the model as it was");
        }
    }

    private static byte[] SaveBytes(IPolicy policy)
    {
        using var stream = new MemoryStream();
        PolicyCatalog.Save(policy, stream);
        return stream.ToArray();
    }

    private static List<(int, double?)> Flatten(IEnumerable<Decision> decisions) =>
        decisions.SelectMany(d => d.Slots.Select(s => (s.ActionId, s.Propensity))).ToList();
}
