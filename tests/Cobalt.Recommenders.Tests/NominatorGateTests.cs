using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Nominators;
using Cobalt.Recommenders.TwoStage;

namespace Cobalt.Recommenders.Tests;

public class NominatorGateTests
{
    static NominatorGateTests() => RecommenderPolicies.Register();

    private static readonly double[][] Centroids = [[-1, -1], [1, 1], [3, -3]];

    // Four users per region, placed around the centroids.
    private static readonly double[][] Users =
    [
        [-1.2, -0.9], [-0.8, -1.1], [-1.0, -1.3], [-0.6, -0.7],
        [1.1, 0.9], [0.8, 1.2], [1.4, 1.0], [0.7, 0.6],
        [3.2, -2.8], [2.9, -3.1], [2.6, -3.3], [3.4, -2.7],
    ];

    private static NominatorPolicy Build(NominatorTraining training = NominatorTraining.OwnPool) =>
        (NominatorPolicy)PolicyCatalog.Build(
            new PolicySpec("nominators", new NominatorOptions { Nominators = 3, FeatureSubset = 3, Gate = NominatorGate.Permanent, GateCentroids = Centroids, Training = training, Alpha = 0.5 }),
            new PolicyBuildContext(2, 5, 11));

    private static DecisionContext Context(long round, int user, Rng rng, int arms = 15)
    {
        var features = new double[arms * 5];
        rng.FillGaussian(features);
        return new DecisionContext(round, user, Users[user], CandidateSet.FromFeatures(Enumerable.Range(0, arms).ToArray(), new FeatureMatrix(arms, 5, features)));
    }

    private static byte[] State(NominatorStage stage, int nominator)
    {
        using var stream = new MemoryStream();
        using (var writer = new StateWriter(stream))
        {
            stage.NominatorModel(nominator).WriteState(writer);
        }
        return stream.ToArray();
    }

    [Fact]
    public void The_permanent_gate_keeps_every_user_with_the_nominator_of_its_nearest_centroid_while_learning()
    {
        var policy = Build();
        var rng = new Rng(3);
        var assigned = new Dictionary<int, int>();
        for (var t = 0; t < 300; t++)
        {
            var user = rng.NextInt(Users.Length);
            var context = Context(t, user, rng);
            var decision = policy.Select(context);
            var gated = policy.Stage.LastGatedNominator;
            gated.Should().Be(user / 4, "user {0} is nearest centroid {1}", user, user / 4);
            if (assigned.TryGetValue(user, out var before))
            {
                gated.Should().Be(before, "the gate is permanent");
            }
            assigned[user] = gated;
            // The gated nominator proposes all N x nominees = 3 candidates; the ranker picks among them.
            decision.Shortlist.Should().HaveCount(3);
            policy.Stage.LastNominations.ToArray().Should().OnlyContain(a => a >= 0).And.OnlyHaveUniqueItems();
            decision.Shortlist!.Select(i => context.Candidates.Ids[i]).Should().BeEquivalentTo(policy.Stage.LastNominations.ToArray());
            policy.Update(decision.ToFeedback([rng.NextDouble()]));
        }
        assigned.Should().HaveCount(Users.Length);
        new UserRegionGate(Centroids).Assign(Users[5]).Should().Be(1);
    }

    [Fact]
    public void Under_own_region_training_only_the_gated_nominator_learns_and_under_all_every_nominator_does()
    {
        foreach (var training in new[] { NominatorTraining.OwnPool, NominatorTraining.All })
        {
            var policy = Build(training);
            var rng = new Rng(5);
            var before = Enumerable.Range(0, 3).Select(n => State(policy.Stage, n)).ToArray();
            for (var t = 0; t < 40; t++)
            {
                var context = Context(t, rng.NextInt(4), rng); // region 0 only
                var decision = policy.Select(context);
                policy.Update(decision.ToFeedback([1.0]));
            }
            var after = Enumerable.Range(0, 3).Select(n => State(policy.Stage, n)).ToArray();
            after[0].Should().NotEqual(before[0], "nominator 0 owns the region");
            if (training == NominatorTraining.OwnPool)
            {
                after[1].Should().Equal(before[1]);
                after[2].Should().Equal(before[2]);
            }
            else
            {
                after[1].Should().NotEqual(before[1]);
                after[2].Should().NotEqual(before[2]);
            }
        }
    }

    [Theory]
    [InlineData("""{"nominators": 2, "gate": "permanent", "gate-centroids": [[0, 1]]}""", "policies[0].options.gate-centroids*1 centroids for 2*")]
    [InlineData("""{"nominators": 2, "gate": "permanent", "gate-centroids": [[0, 1], [2]]}""", "policies[0].options.gate-centroids[1]*")]
    [InlineData("""{"nominators": 2, "gate-centroids": [[0, 1], [2, 3]]}""", "policies[0].options.gate-centroids*gate is none*")]
    [InlineData("""{"nominators": 2, "gate": "permanent", "gate-centroids": [[0, 1], [2, 3]], "pools": [[0], [1]]}""", "policies[0].options.pools*permanent gate*")]
    public void Bad_gate_options_name_the_field(string options, string message)
    {
        using var json = JsonDocument.Parse($$"""{"kind": "nominators", "options": {{options}}}""");
        var parse = () => PolicyCatalog.ParseSpec(json.RootElement, "policies[0]");
        parse.Should().Throw<OptionsException>().WithMessage(message);
    }

    [Fact]
    public void Centroids_that_do_not_fit_the_user_features_are_refused_at_build()
    {
        var build = () => PolicyCatalog.Build(
            new PolicySpec("nominators", new NominatorOptions { Nominators = 3, Gate = NominatorGate.Permanent, GateCentroids = Centroids }), new PolicyBuildContext(4, 5, 1));
        build.Should().Throw<OptionsException>().WithMessage("gate-centroids*2 entries*4*");
    }

    [Fact]
    public void K_means_finds_separated_blobs_and_is_fixed_by_its_seed()
    {
        var rng = new Rng(8);
        var points = Enumerable.Range(0, 90).Select(i => new[] { (i % 3 * 10.0) + (0.1 * rng.NextGaussian()), (i % 3 == 1 ? 5.0 : 0.0) + (0.1 * rng.NextGaussian()) }).ToArray();

        var centroids = UserRegionGate.FitCentroids(points, 3, 4);

        centroids.Select(c => Math.Round(c[0])).Order().Should().Equal(0, 10, 20);
        centroids.Single(c => Math.Round(c[0]) == 10)[1].Should().BeApproximately(5, 0.1);
        UserRegionGate.FitCentroids(points, 3, 4).Should().BeEquivalentTo(centroids, o => o.WithStrictOrdering());
        var gate = new UserRegionGate(centroids);
        points.Select(p => gate.Assign(p)).Distinct().Should().HaveCount(3);
    }
}
