using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Neural;
using Cobalt.Recommenders.TwoStage;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Recommenders.Tests;

/// <summary>The two-stage neural policy's NRMS topic model (two-stage paper, section 4): topic name -> word embeddings -> MLP.</summary>
public class NeuralTopicEncoderTests
{
    static NeuralTopicEncoderTests() => RecommenderPolicies.Register();

    private static readonly string[] Genres = ["Action", "Comedy", "Drama", "Sci-Fi"];

    private static UserChoiceWorld World(string[]? topicNames = null) => TitledWorld.Create(topicNames ?? Genres);

    private static readonly NeuralOptions TwoStage = new() { Protocol = NeuralProtocol.Earlier, TwoStage = true, WordDimension = 8, MaxTrainingSamples = 200 };

    private static NeuralPolicy Build(NeuralOptions options, IEnvironment environment) => TitledWorld.Build(options, environment);

    private static List<int> Play(IPolicy policy, IEnvironment environment, int rounds, Action<int>? afterRound = null) =>
        TitledWorld.Play(policy, environment, rounds, afterRound);

    [Fact]
    public void The_topic_model_is_retrained_every_50_rounds_and_the_item_model_every_100()
    {
        var environment = World().Create(3);
        var policy = Build(TwoStage with { Model = NeuralModel.Galm }, environment);
        policy.Options().TopicRetrainEvery.Should().Be(50);
        policy.Options().RetrainEvery.Should().Be(100);
        var topicRetrainedAt = new List<int>();
        var itemRetrainedAt = new List<int>();
        long topicSteps = -1, itemSteps = -1;
        float[]? topicVectors = null;
        var topicVectorsChangedAt = new List<int>();

        Play(policy, environment, 150, t =>
        {
            if (t == 1)
            {
                (topicSteps, itemSteps, topicVectors) = (policy.TopicModel!.Steps, policy.ItemModel!.Steps, policy.TopicVectors!.Values);
                return;
            }
            if (policy.TopicModel!.Steps != topicSteps)
            {
                topicRetrainedAt.Add(t);
                topicSteps = policy.TopicModel.Steps;
            }
            if (policy.ItemModel!.Steps != itemSteps)
            {
                itemRetrainedAt.Add(t);
                itemSteps = policy.ItemModel.Steps;
            }
            if (!policy.TopicVectors!.Values.AsSpan().SequenceEqual(topicVectors))
            {
                topicVectorsChangedAt.Add(t);
                topicVectors = policy.TopicVectors.Values;
            }
        });

        topicRetrainedAt.Should().Equal(50, 100, 150);
        topicVectorsChangedAt.Should().Equal(50, 100, 150);
        itemRetrainedAt.Should().Equal(100);
        policy.TopicRetrainings.Should().Be(3);
        policy.ItemRetrainings.Should().Be(1);
        policy.Rounds.Should().Be(150);
    }

    [Fact]
    public void Topic_retrain_every_is_its_own_schedule()
    {
        var environment = World().Create(3);
        var policy = Build(TwoStage with { RetrainEvery = 10, TopicRetrainEvery = 15 }, environment);
        var counts = new List<(int Item, int Topic)>();
        Play(policy, environment, 30, _ => counts.Add((policy.ItemRetrainings, policy.TopicRetrainings)));

        counts[8].Should().Be((0, 0));
        counts[9].Should().Be((1, 0));
        counts[14].Should().Be((1, 1));
        counts[19].Should().Be((2, 1));
        counts[29].Should().Be((3, 2));
    }

    [Fact]
    public void Topic_vectors_come_from_the_topic_encoder_and_differ_from_the_item_means()
    {
        var environment = World().Create(3);
        var policy = Build(TwoStage with { TopicNames = Genres }, environment);
        Play(policy, environment, 5);

        var topicModel = policy.TopicModel!;
        topicModel.Options.ItemEncoder.Should().Be(ItemEncoderKind.MeanMlp);
        topicModel.ItemCount.Should().Be(4);
        topicModel.Dimension.Should().Be(policy.ItemModel!.Dimension, "topic vectors have the user vector's dimension");
        // Topic row r reads the name of topic id r: its tokens are the words of the name.
        topicModel.Items.Row(1)[0].Should().Be(topicModel.Vocabulary.Id("comedy"));
        topicModel.Items.Row(3)[..topicModel.Items.Length(3)].ToArray().Should().Equal(
            topicModel.Vocabulary.Id("sci"), topicModel.Vocabulary.Id("-"), topicModel.Vocabulary.Id("fi"));

        var vectors = policy.TopicVectors!;
        vectors.Values.Should().Equal(topicModel.EncodeItems().Values, "the topic stage reads the encoder's current vectors");

        var items = policy.ItemModel.EncodeItems();
        var d = items.Dimension;
        for (var topic = 0; topic < 4; topic++)
        {
            var mean = new double[d];
            var members = Enumerable.Range(0, 60).Where(i => i % 4 == topic).ToArray();
            foreach (var i in members)
            {
                for (var j = 0; j < d; j++)
                {
                    mean[j] += items.Row(i)[j] / members.Length;
                }
            }
            var distance = Math.Sqrt(Enumerable.Range(0, d).Sum(j => Math.Pow(vectors.Row(topic)[j] - mean[j], 2)));
            distance.Should().BeGreaterThan(1e-3, $"topic {topic}'s vector is not the mean of its items' vectors");
        }
    }

    [Fact]
    public void Without_names_the_catalogues_are_read_else_each_topic_is_a_word_of_its_own_and_item_mean_builds_no_topic_model()
    {
        var named = World().Create(3);
        var fromCatalog = Build(TwoStage, named);
        Play(fromCatalog, named, 3);
        var genres = fromCatalog.TopicModel!;
        Enumerable.Range(0, 3).Select(r => genres.Vocabulary.Word(genres.Items.Row(r)[0])).Should().Equal("action", "comedy", "drama");

        var environment = World(topicNames: []).Create(3);
        var encoder = Build(TwoStage, environment);
        Play(encoder, environment, 3);
        var model = encoder.TopicModel!;
        Enumerable.Range(0, 4).Select(r => model.Vocabulary.Word(model.Items.Row(r)[0])).Should().Equal("topic_0", "topic_1", "topic_2", "topic_3");

        var other = World().Create(3);
        var itemMean = Build(TwoStage with { TopicRepresentation = TopicRepresentation.ItemMean, TopicRetrainEvery = 5 }, other);
        Play(itemMean, other, 20);
        itemMean.TopicModel.Should().BeNull();
        itemMean.TopicVectors.Should().BeNull();
        itemMean.TopicRetrainings.Should().Be(0);
    }

    [Theory]
    [InlineData(NeuralModel.GlmUcb, TopicRepresentation.Encoder)]
    [InlineData(NeuralModel.Greedy, TopicRepresentation.Encoder)]
    [InlineData(NeuralModel.Galm, TopicRepresentation.Encoder)]
    [InlineData(NeuralModel.Gblm, TopicRepresentation.Encoder)]
    [InlineData(NeuralModel.Galm, TopicRepresentation.ItemMean)]
    [InlineData(NeuralModel.Gblm, TopicRepresentation.ItemMean)]
    public void The_same_seed_gives_the_same_decisions(NeuralModel model, TopicRepresentation topics)
    {
        var options = TwoStage with { Model = model, TopicRepresentation = topics, RetrainEvery = 10, TopicRetrainEvery = 5 };
        var world = World();
        var first = Play(Build(options, world.Create(3)), world.Create(3), 25);
        var second = Play(Build(options, world.Create(3)), world.Create(3), 25);

        first.Should().HaveCount(75);
        first.Chunk(3).Should().OnlyContain(slate => slate.Distinct().Count() == 3);
        second.Should().Equal(first);
    }

    [Theory]
    [InlineData(NeuralModel.Galm)]
    [InlineData(NeuralModel.Greedy)]
    public void Save_and_load_keeps_the_topic_model_and_gives_identical_decisions(NeuralModel model)
    {
        var world = World();
        var environment = world.Create(4);
        var options = TwoStage with { Model = model, RetrainEvery = 10, TopicRetrainEvery = 7, TopicNames = Genres };
        var policy = Build(options, environment);
        Play(policy, environment, 24);

        using var saved = new MemoryStream();
        PolicyCatalog.Save(policy, saved);
        saved.Position = 0;
        var restored = (NeuralPolicy)PolicyCatalog.Load(saved);
        restored.TopicModel.Should().NotBeNull();
        restored.TopicModel!.Steps.Should().Be(policy.TopicModel!.Steps);
        restored.TopicRetrainings.Should().Be(3);
        var twin = world.Create(4);
        for (var t = 0; t < 24; t++)
        {
            twin.Next();
        }

        var after = Play(policy, environment, 24);
        Play(restored, twin, 24).Should().Equal(after);
        restored.TopicVectors!.Values.Should().Equal(policy.TopicVectors!.Values);
        restored.TopicRetrainings.Should().Be(policy.TopicRetrainings).And.Be(6);
    }

    [Theory]
    [InlineData("""{"two-stage": true, "topic-retrain-every": 0}""", "policies[0].options.topic-retrain-every*at least 1*")]
    [InlineData("""{"two-stage": true, "topic-representation": "mean"}""", "policies[0].options.topic-representation*")]
    [InlineData("""{"two-stage": true, "topic-names": ["Action", " "]}""", "policies[0].options.topic-names[1]*empty*")]
    public void Bad_topic_options_name_the_field(string options, string message)
    {
        using var json = JsonDocument.Parse($$"""{"kind": "neural", "options": {{options}}}""");
        var parse = () => PolicyCatalog.ParseSpec(json.RootElement, "policies[0]");
        parse.Should().Throw<OptionsException>().WithMessage(message);
    }

    [Fact]
    public void Topic_options_are_read_from_json_and_too_few_names_are_a_clear_error()
    {
        using var json = JsonDocument.Parse("""
            {"kind": "neural", "options": {"two-stage": true, "topic-representation": "item-mean", "topic-retrain-every": 25, "topic-names": ["a", "b"]}}
            """);
        var options = (NeuralOptions)PolicyCatalog.ParseSpec(json.RootElement, "policies[0]").Options;
        options.TopicRepresentation.Should().Be(TopicRepresentation.ItemMean);
        options.TopicRetrainEvery.Should().Be(25);
        options.TopicNames.Should().Equal("a", "b");
        new NeuralOptions().EffectiveTopicRepresentation.Should().Be(TopicRepresentation.AsCoded, "the as-coded protocol uses the authors' topic model");
        new NeuralOptions { Protocol = NeuralProtocol.Earlier }.EffectiveTopicRepresentation.Should().Be(TopicRepresentation.Encoder);

        var validate = () => new NeuralOptions { TopicRetrainEvery = -3 }.Validate();
        validate.Should().Throw<OptionsException>().Where(e => e.Field == "topic-retrain-every");

        var environment = World().Create(3);
        var policy = Build(TwoStage with { TopicNames = ["Action", "Comedy"] }, environment);
        var act = () => policy.Select(environment.Next().Context, 3);
        act.Should().Throw<OptionsException>().Where(e => e.Field == "topic-names").WithMessage("*2 topics*topic id 2*");
    }
}

internal static class NeuralPolicyExtensions
{
    /// <summary>The options the policy was built with, read back from its specification.</summary>
    public static NeuralOptions Options(this NeuralPolicy policy)
    {
        using var json = JsonDocument.Parse(policy.Specification);
        return OptionsBinder.Bind<NeuralOptions>(json.RootElement.GetProperty("options"), "options");
    }
}
