using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Optimisers;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;
using Cobalt.Recommenders.Neural;
using Cobalt.Recommenders.TwoStage;

namespace Cobalt.Recommenders.Tests;

/// <summary>The as-coded protocol of the neural policies (CB4Rec @67f4029): pre-training on the observed log, starting histories, retraining buffer, shared cache.</summary>
public class NeuralAsCodedTests
{
    static NeuralAsCodedTests() => RecommenderPolicies.Register();

    /// <summary>A hand-made observed log.</summary>
    private sealed record TestLog(IReadOnlyDictionary<int, int[]> InitialHistories, IReadOnlyList<LoggedImpression> PretrainingImpressions, IReadOnlyList<LoggedImpression> ValidationImpressions) : IObservedLog;

    /// <summary>Small NRMS (2 heads x 4 projected to 8) so the tests stay fast; the as-coded structure otherwise.</summary>
    private static readonly NrmsOptions SmallNrms = NeuralOptions.AsCodedNrms(8) with { Heads = 2, HeadDimension = 4, ProjectedDimension = 6, BatchSize = 16, Optimiser = new AdamOptions { LearningRate = 1e-2 } };

    private static readonly NeuralOptions Small = new() { Nrms = SmallNrms, WordVectors = "", PretrainEpochs = 3, RetrainEvery = 5 };

    /// <summary>
    /// Impressions over the titled world's 60 items: user u (outside the trial's 0..29) likes the items of its parity (whose first title word
    /// differs by parity), clicks one of them and leaves 4 of the other parity unclicked; histories are 4 liked items.
    /// </summary>
    private static TestLog Log(int impressions, ulong seed, int firstUser = 100)
    {
        var rng = new Rng(seed);
        int Liked(int user) => 2 * rng.NextInt(30) + user % 2;
        int Other(int user) => 2 * rng.NextInt(30) + 1 - user % 2;
        LoggedImpression Make(int k)
        {
            var user = firstUser + k % 40;
            return new LoggedImpression(user, [Liked(user), Liked(user), Liked(user), Liked(user)], Liked(user), [Other(user), Other(user), Other(user), Other(user)]);
        }
        var initial = Enumerable.Range(0, 30).ToDictionary(u => u, u => new[] { Liked(u), Liked(u), Liked(u) }.Distinct().ToArray());
        var training = Enumerable.Range(0, impressions).Select(Make).ToArray();
        var validation = Enumerable.Range(impressions, 60).Select(Make).ToArray();
        return new TestLog(initial, training, validation);
    }

    private static NeuralPolicy Build(NeuralOptions options, IEnvironment environment, IObservedLog? log, ulong seed = 9) =>
        (NeuralPolicy)PolicyCatalog.Build(new PolicySpec("neural", options), PolicyBuildContext.For(environment, seed) with { Observed = log });

    [Fact]
    public void The_as_coded_protocol_is_the_default_with_the_authors_settings()
    {
        var options = new NeuralOptions();
        options.Protocol.Should().Be(NeuralProtocol.AsCoded);
        options.EffectivePretrainEpochs.Should().Be(5);
        options.EffectiveWordVectors.Should().Be("data/glove-100d/movielens-latest-small.100d.txt");
        options.RetrainEvery.Should().Be(100);
        options.DropoutPasses.Should().Be(5);
        options.RetrainHistory.Should().Be(RetrainHistory.Live);
        options.SharePretraining.Should().BeTrue();
        var nrms = NeuralOptions.AsCodedNrms(100);
        (nrms.Heads, nrms.HeadDimension, nrms.ProjectedDimension, nrms.Dimension, nrms.WordDimension, nrms.Negatives, nrms.BatchSize, nrms.MaxTitleLength, nrms.MaxHistory)
            .Should().Be((20, 20, 64, 64, 100, 4, 64, 30, 50));
        nrms.Optimiser.LearningRate.Should().Be(1e-4);
        nrms.Loss.Should().Be(NrmsLoss.Softmax);
        nrms.ClipNorm.Should().Be(0);

        var earlier = options with { Protocol = NeuralProtocol.Earlier };
        earlier.EffectivePretrainEpochs.Should().Be(1);
        earlier.EffectiveWordVectors.Should().BeNull();
        (options with { WordVectors = "" }).EffectiveWordVectors.Should().BeNull();

        var bad = () => (options with { Nrms = SmallNrms with { Heads = 0 } }).Validate();
        bad.Should().Throw<OptionsException>().Where(e => e.Field.StartsWith("nrms", StringComparison.Ordinal) && e.Field.Contains("heads", StringComparison.Ordinal));
        var missing = () => Build(Small with { WordVectors = "no/such/vectors.txt" }, TitledWorld.Create(["a", "b", "c", "d"]).Create(1), null).Select(TitledWorld.Create(["a", "b", "c", "d"]).Create(1).Next().Context, 3);
        missing.Should().Throw<OptionsException>().Where(e => e.Field == "word-vectors").WithMessage("*no/such/vectors.txt*");
    }

    [Fact]
    public void Users_start_from_the_logged_histories_and_clicks_are_appended_without_duplicates()
    {
        var log = Log(80, 1);
        var environment = TitledWorld.Create(["a", "b", "c", "d"]).Create(3);
        var policy = Build(Small with { PretrainEpochs = 0 }, environment, log);
        var round = environment.Next();
        var user = round.Context.UserId;
        policy.HistoryOf(user).Should().Equal(log.InitialHistories[user]);

        var decision = policy.Select(round.Context, 3);
        var shown = decision.Slots.Select(s => s.ActionId).ToArray();
        policy.Update(decision.ToFeedback([1, 1, 0]));
        policy.HistoryOf(user).Should().Equal([.. log.InitialHistories[user], .. shown[..2].Where(i => !log.InitialHistories[user].Contains(i))]);

        var again = policy.Select(round.Context, 3);
        var before = policy.HistoryOf(user).ToArray();
        var repeated = again.Slots.Select(s => s.ActionId).Where(before.Contains).ToArray();
        policy.Update(again.ToFeedback([1, 1, 1]));
        policy.HistoryOf(user).Should().OnlyHaveUniqueItems();
        policy.HistoryOf(user).Should().HaveCount(before.Length + 3 - repeated.Length);
    }

    [Fact]
    public void Pretraining_keeps_the_epoch_with_the_best_validation_auc()
    {
        var log = Log(160, 2);
        var titles = TitleList();
        // Masked padding: with 46 of 50 history slots and most title words padding, this tiny model learns nothing in 4 epochs
        // (validation AUC 0.51); the test is about which epoch is kept (padding has its own tests in Cobalt.Neural.Tests).
        var model = NrmsModel.FromTitles(titles, SmallNrms with { Optimiser = new AdamOptions { LearningRate = 3e-2 }, Padding = NrmsPadding.Masked }, 5);
        var result = NeuralPretraining.Pretrain(model, log.PretrainingImpressions, log.ValidationImpressions, 4, new Rng(3));

        result.ValidationAuc.Should().HaveCount(4);
        result.Samples.Should().Be(160);
        var best = result.ValidationAuc.Select((auc, e) => (auc, e)).MaxBy(p => p.auc);
        result.BestEpoch.Should().Be(best.e + 1);
        NeuralPretraining.ValidationAuc(NeuralPretraining.Clone(result.Checkpoint), log.ValidationImpressions).Should().BeApproximately(best.auc, 1e-12);
        best.auc.Should().BeGreaterThan(0.6, "the parity of the first title word is learnable");
        // The model itself ends after the last epoch; the checkpoint is the best one, which differs unless the last epoch was best.
        NeuralPretraining.ValidationAuc(model, log.ValidationImpressions).Should().BeApproximately(result.ValidationAuc[^1], 1e-12);

        var bad = () => NeuralPretraining.Pretrain(model, [new LoggedImpression(7, [1, 99], 2, [3])], [], 1, new Rng(1));
        bad.Should().Throw<ArgumentException>().WithMessage("*impression 0*user 7*history[1] = 99*60*");
    }

    [Fact]
    public void Retraining_samples_are_each_click_against_its_slates_unclicked_items()
    {
        var log = Log(80, 4);
        var environment = TitledWorld.Create(["a", "b", "c", "d"]).Create(5);
        foreach (var history in new[] { RetrainHistory.Live, RetrainHistory.AtRound })
        {
            var policy = Build(Small with { PretrainEpochs = 0, RetrainEvery = 1000, RetrainHistory = history }, environment, log);
            var round = environment.Next();
            var user = round.Context.UserId;
            var decision = policy.Select(round.Context, 3);
            var shown = decision.Slots.Select(s => s.ActionId).ToArray();
            policy.Update(decision.ToFeedback([0, 1, 0]));
            var silent = policy.Select(environment.Next().Context, 3);
            policy.Update(silent.ToFeedback([0, 0, 0])); // no click: no sample

            var samples = policy.PendingRetrainingSamples();
            samples.Should().ContainSingle();
            samples[0].Positive.Should().Be(shown[1]);
            samples[0].Negatives.Should().Equal(shown[0], shown[2]);
            var initial = log.InitialHistories[user];
            samples[0].History.Should().Equal(history == RetrainHistory.Live && !initial.Contains(shown[1]) ? [.. initial, shown[1]] : initial);
        }
    }

    [Fact]
    public void Retraining_runs_after_round_t_with_t_a_multiple_of_retrain_every_and_empties_the_buffer()
    {
        var log = Log(80, 6);
        var environment = TitledWorld.Create(["a", "b", "c", "d"]).Create(7);
        var policy = Build(Small with { PretrainEpochs = 0, RetrainEvery = 4, Model = NeuralModel.Greedy }, environment, log);
        var retrainings = new List<int>();
        TitledWorld.Play(policy, environment, 13, t =>
        {
            retrainings.Add(policy.ItemRetrainings);
            if (policy.ItemRetrainings > 0 && retrainings.Count > 1 && retrainings[^2] < policy.ItemRetrainings)
            {
                policy.PendingRetrainingSamples().Should().BeEmpty();
            }
        });
        // Rounds t = 0..12 (0-based): retraining after t = 4, 8, 12 when the buffer holds a clicked round, never before t = 4.
        retrainings.Take(4).Should().OnlyContain(r => r == 0);
        retrainings.Zip(retrainings.Skip(1)).Select((p, k) => (p, t: k + 1)).Where(x => x.p.Second > x.p.First).Select(x => x.t)
            .Should().BeSubsetOf([4, 8, 12]);
    }

    [Fact]
    public void One_pretraining_is_shared_by_a_trials_policies_and_equals_an_uncached_run()
    {
        var log = Log(120, 8);
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        NeuralPretraining.ClearCache();
        var runs = NeuralPretraining.Runs;
        var policies = new[] { NeuralModel.Greedy, NeuralModel.Galm, NeuralModel.DropoutUcb, NeuralModel.GlmUcb }
            .AsParallel().Select(model =>
            {
                var environment = world.Create(11);
                var policy = Build(Small with { Model = model }, environment, log, seed: (ulong)model + 20);
                policy.Select(environment.Next().Context, 3);
                return policy;
            }).ToArray();
        (NeuralPretraining.Runs - runs).Should().Be(1);
        policies.Select(p => p.Pretraining).Should().OnlyContain(p => ReferenceEquals(p, policies[0].Pretraining));
        policies[0].Pretraining!.BestEpoch.Should().BeInRange(1, 3);

        // A Greedy policy that pre-trains on its own plays exactly as the one that used the cache.
        var cachedEnvironment = world.Create(12);
        var cached = TitledWorld.Play(Build(Small with { Model = NeuralModel.Greedy }, cachedEnvironment, log), cachedEnvironment, 12);
        var ownEnvironment = world.Create(12);
        var own = Build(Small with { Model = NeuralModel.Greedy, SharePretraining = false }, ownEnvironment, log);
        TitledWorld.Play(own, ownEnvironment, 12).Should().Equal(cached);
        NeuralPretraining.Save(NeuralPretraining.Clone(own.Pretraining!.Checkpoint)).Should().Equal(policies[0].Pretraining!.Checkpoint);
    }

    [Theory]
    [InlineData(NeuralModel.DropoutUcb, false)]
    [InlineData(NeuralModel.Galm, false)]
    [InlineData(NeuralModel.Greedy, true)]
    [InlineData(NeuralModel.DropoutUcb, true)]
    [InlineData(NeuralModel.Galm, true)]
    [InlineData(NeuralModel.Gblm, true)]
    public void Policies_are_deterministic_under_a_seed_and_work_without_an_observed_log(NeuralModel model, bool twoStage)
    {
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        var log = Log(60, 10);
        foreach (var observed in new IObservedLog?[] { log, null })
        {
            var first = world.Create(13);
            var second = world.Create(13);
            var options = Small with { Model = model, TwoStage = twoStage };
            var a = TitledWorld.Play(Build(options, first, observed), first, 12);
            var b = TitledWorld.Play(Build(options, second, observed), second, 12);
            a.Should().Equal(b);
            a.Chunk(3).Should().OnlyContain(slate => slate.Distinct().Count() == 3);
        }
    }

    [Fact]
    public void As_coded_dropout_ucb_save_load_continues_identically()
    {
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        var log = Log(60, 12);
        var environment = world.Create(14);
        var policy = Build(Small with { Model = NeuralModel.DropoutUcb, RetrainEvery = 3 }, environment, log);
        TitledWorld.Play(policy, environment, 7);

        using var saved = new MemoryStream();
        PolicyCatalog.Save(policy, saved);
        saved.Position = 0;
        var restored = PolicyCatalog.Load(saved);
        var twin = world.Create(14);
        for (var t = 0; t < 7; t++)
        {
            twin.Next();
        }
        TitledWorld.Play(restored, twin, 8).Should().Equal(TitledWorld.Play(policy, environment, 8));
    }

    [Theory]
    [InlineData(NeuralModel.Greedy, true)]
    [InlineData(NeuralModel.Galm, false)]
    public void Two_stage_policies_pretrain_the_authors_topic_model_and_never_update_it(NeuralModel model, bool redrawnEveryRound)
    {
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        var environment = world.Create(16);
        var policy = Build(Small with { Model = model, TwoStage = true }, environment, Log(80, 15));
        byte[]? frozen = null;
        float[]? topics = null;
        var redraws = 0;
        TitledWorld.Play(policy, environment, 12, t =>
        {
            var current = policy.TopicVectors!.Values;
            if (topics is not null && !current.AsSpan().SequenceEqual(topics))
            {
                redraws++;
            }
            topics = current;
            frozen ??= policy.AsCodedTopicModel!.Snapshot();
        });
        policy.TopicModel.Should().BeNull("the paper text's topic encoder is not built");
        policy.TopicPretraining!.BestEpoch.Should().BeInRange(1, 3);
        policy.TopicPretraining.ValidationAuc.Should().HaveCount(3);
        policy.TopicVectors!.Dimension.Should().Be(SmallNrms.Dimension, "the authors' topic vectors are as wide as the item vectors (64 both, as coded)");
        policy.AsCodedTopicModel!.Snapshot().Should().Equal(frozen, "the authors' topic model is never updated online (RetrainEvery 5 passed twice)");
        if (redrawnEveryRound)
        {
            redraws.Should().Be(11, "2-N-Greedy draws the topic embedding's dropout afresh every round");
        }
        else
        {
            redraws.Should().Be(0, "the 2-S-N-GALM-UCB policy draws the topic vectors once per trial");
        }
    }

    [Fact]
    public void As_coded_two_stage_greedy_save_load_continues_identically()
    {
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        var environment = world.Create(17);
        var policy = Build(Small with { Model = NeuralModel.Greedy, TwoStage = true, RetrainEvery = 3 }, environment, Log(60, 18));
        TitledWorld.Play(policy, environment, 7);

        using var saved = new MemoryStream();
        PolicyCatalog.Save(policy, saved);
        saved.Position = 0;
        var restored = PolicyCatalog.Load(saved);
        var twin = world.Create(17);
        for (var t = 0; t < 7; t++)
        {
            twin.Next();
        }
        TitledWorld.Play(restored, twin, 8).Should().Equal(TitledWorld.Play(policy, environment, 8));
    }

    [Fact]
    public void Two_stage_dropout_ucb_scores_topics_by_mc_dropout_and_needs_the_authors_topic_model()
    {
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        var environment = world.Create(19);
        var policy = Build(Small with { Model = NeuralModel.DropoutUcb, TwoStage = true }, environment, Log(60, 20));
        TitledWorld.Play(policy, environment, 6);
        var first = policy.TopicDropoutScores(3);
        var second = policy.TopicDropoutScores(3);
        first.Passes.Should().Be(5);
        first.Mean.Should().HaveCount(4).And.OnlyContain(m => float.IsFinite(m));
        first.StandardDeviation.Should().OnlyContain(w => w > 0, "dropout in the topic tower and the user reduction makes every topic's score vary");
        second.Mean.Should().NotEqual(first.Mean, "the masks are drawn afresh on each call, as each round of the authors' topic_rec");

        var refused = () => (Small with { Model = NeuralModel.DropoutUcb, TwoStage = true, TopicRepresentation = TopicRepresentation.Encoder }).Validate();
        refused.Should().Throw<OptionsException>().WithMessage("*topic-representation*as-coded*");
        var twoStageKind = () => PolicyCatalog.Build(new PolicySpec("two-stage", new TwoStageOptions { Model = StageModel.DropoutUcb }), PolicyBuildContext.For(environment, 1));
        twoStageKind.Should().Throw<OptionsException>().WithMessage("*kind neural*");
    }

    [Theory]
    [InlineData(NeuralModel.Galm)]
    [InlineData(NeuralModel.Gblm)]
    public void Two_stage_proposed_policies_refit_as_coded_by_default_and_online_on_request(NeuralModel model)
    {
        var world = TitledWorld.Create(["a", "b", "c", "d"]);
        var log = Log(60, 21);
        List<int> Run(GlmFit? fit)
        {
            var environment = world.Create(22);
            return TitledWorld.Play(Build(Small with { Model = model, TwoStage = true, Fit = fit }, environment, log), environment, 25);
        }
        var asCoded = Run(null);
        asCoded.Should().Equal(Run(GlmFit.AsCoded), "the as-coded protocol refits the stages' GLMs by Adam unless told otherwise");
        asCoded.Should().NotEqual(Run(GlmFit.Online), "the online fits are another learner");
    }

    private static string[] TitleList()
    {
        var context = TitledWorld.Create(["a", "b", "c", "d"]).Create(1).Next().Context;
        return [.. context.Candidates.Catalog!.Titles!];
    }
}
