using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Neural;
using Cobalt.Recommenders.TwoStage;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Recommenders.Tests;

public class NeuralPolicyTests
{
    static NeuralPolicyTests() => RecommenderPolicies.Register();


    private static UserChoiceWorld World() => TitledWorld.Create(["a", "b", "c", "d"]);

    private static NeuralPolicy Build(NeuralOptions options, IEnvironment environment) => TitledWorld.Build(options, environment);

    private static List<int> Play(IPolicy policy, IEnvironment environment, int rounds) => TitledWorld.Play(policy, environment, rounds);

    private static readonly NeuralOptions Small = new() { Protocol = NeuralProtocol.Earlier, WordDimension = 8, RetrainEvery = 10, MaxTrainingSamples = 200 };

    [Theory]
    [InlineData(NeuralModel.GlmUcb, false)]
    [InlineData(NeuralModel.Greedy, false)]
    [InlineData(NeuralModel.DropoutUcb, false)]
    [InlineData(NeuralModel.Galm, false)]
    [InlineData(NeuralModel.Gblm, false)]
    [InlineData(NeuralModel.Galm, true)]
    [InlineData(NeuralModel.Greedy, true)]
    public void Every_neural_policy_plays_valid_slates_and_is_deterministic(NeuralModel model, bool twoStage)
    {
        var options = Small with { Model = model, TwoStage = twoStage };
        var world = World();
        var first = Play(Build(options, world.Create(3)), world.Create(3), 25);
        var second = Play(Build(options, world.Create(3)), world.Create(3), 25);

        first.Should().HaveCount(75);
        first.Chunk(3).Should().OnlyContain(slate => slate.Distinct().Count() == 3);
        second.Should().Equal(first);
    }

    [Fact]
    public void The_known_samples_reach_the_policy_and_save_load_continues_identically()
    {
        var world = World();
        var environment = world.Create(4);
        ((IKnownSamples)environment).KnownSamples.Should().NotBeEmpty();
        var policy = Build(Small with { Model = NeuralModel.Galm }, environment);
        Play(policy, environment, 15);

        using var saved = new MemoryStream();
        PolicyCatalog.Save(policy, saved);
        saved.Position = 0;
        var restored = PolicyCatalog.Load(saved);
        var twin = world.Create(4);
        for (var t = 0; t < 15; t++)
        {
            twin.Next();
        }

        Play(restored, twin, 15).Should().Equal(Play(policy, environment, 15));
    }

    [Fact]
    public void Bad_options_and_catalogues_without_titles_are_clear_errors()
    {
        var dropout = () => new NeuralOptions { Model = NeuralModel.DropoutUcb, TwoStage = true, TopicRepresentation = TopicRepresentation.ItemMean }.Validate();
        dropout.Should().Throw<Cobalt.Core.Configuration.OptionsException>().WithMessage("topic-representation*2-N-Dropout-UCB needs the authors' topic model*");

        var linear = new Cobalt.Simulation.Worlds.CatalogueWorld(new Cobalt.Simulation.Worlds.CatalogueWorldOptions { Items = 20, Topics = 2, Users = 2, LatentDimension = 2 }).Create(1);
        var policy = Build(Small, linear);
        var act = () => policy.Select(linear.Next().Context, 2);
        act.Should().Throw<ArgumentException>().WithMessage("*titles*");
    }
}
