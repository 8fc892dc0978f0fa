using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Data;
using Cobalt.Data.MovieLens;
using Cobalt.Data.Splits;
using Cobalt.Neural.Nrms;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Simulation.Tests;

/// <summary>A tiny NRMS IPS simulator trained once on a generated MovieLens-format data set (two tastes, word-coded titles).</summary>
public sealed class TinyNrmsIpsFixture : IDisposable
{
    public TinyNrmsIpsFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"cobalt-nrms-ips-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        // 24 movies: even ones are "space robot" films, odd ones "love story" films. 40 users: even users love space films (5),
        // dislike love stories (2); odd users the reverse. Ratings spread over t = 0 .. 299.
        var movies = new List<string> { "movieId,title,genres" };
        for (var m = 1; m <= 24; m++)
        {
            movies.Add(m % 2 == 0 ? $"{m},Space robot war {m} (2001),Sci-Fi" : $"{m},Love story kiss {m} (2002),Romance");
        }
        var ratings = new List<string> { "userId,movieId,rating,timestamp" };
        var rng = new Rng(3);
        for (var u = 1; u <= 40; u++)
        {
            for (var k = 0; k < 30; k++)
            {
                var m = 1 + rng.NextInt(24);
                var likes = (m % 2 == 0) == (u % 2 == 0);
                ratings.Add($"{u},{m},{(likes ? 5 : 2)},{k * 10 + rng.NextInt(10)}");
            }
        }
        File.WriteAllLines(Path.Combine(Folder, "movies.csv"), movies);
        File.WriteAllLines(Path.Combine(Folder, "ratings.csv"), ratings);
        Data = MovieLensReader.Read(Folder);
        Split = TimeSplit.ByDate(Data, DateTimeOffset.FromUnixTimeSeconds(100), DateTimeOffset.FromUnixTimeSeconds(200));
        Options = new NrmsIpsOptions
        {
            Nrms = new NrmsIpsOptions().Nrms with
            {
                WordDimension = 8, Heads = 2, HeadDimension = 4, QueryDimension = 8, MaxTitleLength = 6, MaxHistory = 5, BatchSize = 16,
                Optimiser = new Cobalt.Neural.Optimisers.AdamOptions { LearningRate = 1e-2 }, EmbeddingScale = 0.1, Threads = 1,
            },
            Impressions = new MovieLensImpressionOptions { Negatives = 6, ValidationShare = 1 },
            Epochs = 8,
            WordVectors = "none",
        };
        (Simulator, Report) = NrmsIpsTrainer.Train(Data, Split, Options, seed: 5);
    }

    public string Folder { get; }

    public InteractionDataset Data { get; }

    public TimeSplit Split { get; }

    public NrmsIpsOptions Options { get; }

    public NrmsIpsSimulator Simulator { get; }

    public NrmsIpsReport Report { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>The NRMS IPS simulator (CB4Rec NRMS_IPS_Sim @67f4029): propensity weights, threshold rule, rewards, persistence, empty histories.</summary>
public sealed class NrmsIpsSimulatorTests(TinyNrmsIpsFixture fixture) : IClassFixture<TinyNrmsIpsFixture>
{
    private NrmsIpsSimulator Simulator => fixture.Simulator;

    [Fact]
    public void Propensity_weights_are_the_inverse_exposure_frequency_per_user_and_item_and_sum_to_one_per_row_once_normalised()
    {
        // User 7: two impressions. Occurrences: item 1 twice, item 2 three times, item 3 twice, item 4 once; n = 2 impressions.
        int[] shared = [9];
        LoggedImpression[] impressions =
        [
            new(7, shared, 1, [2, 2, 3]),
            new(7, shared, 2, [3, 4, 1]),
            new(8, [], 3, [1]),
        ];
        var samples = NrmsIpsTrainer.Samples(impressions);
        samples[0].Weights.Should().Equal(2f / 2, 2f / 3, 2f / 3, 2f / 2);
        samples[1].Weights.Should().Equal(2f / 3, 2f / 2, 2f / 1, 2f / 2);
        samples[2].Weights.Should().Equal([1f, 1f], "user 8 saw each item once in one impression: p = 1");
        samples[0].Positive.Should().Be(2, "model item = catalogue item + 1 (model item 0 is the padding item)");
        samples[0].Negatives.Should().Equal(3, 3, 4);
        samples[0].History.Should().Equal(10);
        samples[1].History.Should().BeSameAs(samples[0].History, "a shared history is shifted once");

        // CB4Rec: loss_bj = BCE_bj / p_bj / Σ_j (1 / p_bj): the normalised weights of a row sum to 1 and keep their ratios.
        var row = samples[1].Weights!;
        var normalised = row.Select(w => w / row.Sum()).ToArray();
        normalised.Sum().Should().BeApproximately(1f, 1e-6f);
        (normalised[2] / normalised[0]).Should().BeApproximately(3f, 1e-5f, "item 4 was shown a third as often as item 2");
    }

    [Fact]
    public void Training_learns_the_tastes_and_keeps_the_best_validation_epoch()
    {
        var report = fixture.Report;
        report.EligibleUsers.Should().BeGreaterThan(8);
        report.Epochs.Should().HaveCount(8);
        report.Epochs.Max(e => e.ValidationAuc).Should().Be(report.Epochs[report.BestEpoch - 1].ValidationAuc);
        report.Validation.Auc.Should().BeApproximately(report.Epochs[report.BestEpoch - 1].ValidationAuc, 1e-9, "the kept checkpoint is the best epoch's");
        report.Validation.Auc.Should().BeGreaterThan(0.8, "titles say which taste an item serves");
        report.PositiveScoreMean.Should().BeGreaterThan(report.NegativeScoreMean);
    }

    [Fact]
    public void Threshold_is_the_best_F1_threshold_of_the_validation_scores_and_good_is_strict()
    {
        var report = fixture.Report;
        Simulator.Threshold.Should().Be(report.BestF1Threshold, "THRES = 0 in the options picks the authors' best-F1 rule");
        // Recompute the validation scores from the public API: every validation impression's candidates.
        var built = MovieLensImpressions.Build(fixture.Data, fixture.Split, Seeds.Stream(5, "nrms-ips/impressions"), fixture.Options.Impressions);
        var scores = new List<double>();
        var labels = new List<bool>();
        foreach (var impression in built.Validation)
        {
            var user = Simulator.UserVector(impression.History);
            int[] candidates = [impression.Positive, .. impression.Negatives];
            var s = new double[candidates.Length];
            Simulator.Scores(user, candidates, s);
            scores.AddRange(s);
            labels.AddRange(candidates.Select((_, c) => c == 0));
        }
        var (threshold, f1, _, _) = BinaryMetrics.BestF1([.. scores], [.. labels]);
        threshold.Should().BeApproximately(Simulator.Threshold, 1e-6);
        f1.Should().BeApproximately(report.BestF1, 1e-6);
        Simulator.Good(Simulator.Threshold).Should().BeFalse("reward = 1{score > THRES}, strict");
        Simulator.Good(Simulator.Threshold + 1e-9).Should().BeTrue();
        Simulator.ExpectedReward(Simulator.Threshold + 1e-9).Should().Be(0.9);
        Simulator.ExpectedReward(Simulator.Threshold).Should().BeApproximately(0.1, 1e-12);
    }

    [Fact]
    public void Rewards_flip_with_probability_one_tenth()
    {
        var rng = new Rng(17);
        const int n = 200_000;
        int goodClicks = 0, badClicks = 0;
        for (var i = 0; i < n; i++)
        {
            goodClicks += Simulator.DrawReward(Simulator.Threshold + 0.01, rng.NextDouble()) ? 1 : 0;
            badClicks += Simulator.DrawReward(Simulator.Threshold - 0.01, rng.NextDouble()) ? 1 : 0;
        }
        ((double)goodClicks / n).Should().BeApproximately(0.9, 0.004, "a good item is clicked unless flipped (4 standard errors)");
        ((double)badClicks / n).Should().BeApproximately(0.1, 0.004);
    }

    [Fact]
    public void Save_and_load_give_identical_scores()
    {
        var path = Path.Combine(fixture.Folder, "sim.state");
        Simulator.Save(path);
        var loaded = NrmsIpsSimulator.Load(path);
        loaded.Threshold.Should().Be(Simulator.Threshold);
        loaded.FlipProbability.Should().Be(0.1);
        loaded.Source.Should().Be(Simulator.Source);
        loaded.ItemCount.Should().Be(24);
        int[] history = [3, 0, 7];
        var user = Simulator.UserVector(history);
        loaded.UserVector(history).Should().Equal(user);
        var a = new double[24];
        var b = new double[24];
        Simulator.Scores(user, a);
        loaded.Scores(user, b);
        b.Should().Equal(a);
        File.WriteAllText(path, "junk");
        FluentActions.Invoking(() => NrmsIpsSimulator.Load(path)).Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void An_empty_history_is_one_all_padding_user_for_everyone()
    {
        var empty = Simulator.UserVector([]);
        empty.Should().HaveCount(Simulator.Dimension).And.Contain(v => Math.Abs(v) > 1e-6f, "the padding item's vector is attended (CB4Rec as coded)");
        Simulator.UserVector([]).Should().Equal(empty);
        var scores = new double[Simulator.ItemCount];
        Simulator.Scores(empty, scores);
        scores.Distinct().Count().Should().BeGreaterThan(1, "items differ even for the all-padding user");
        var other = new double[Simulator.ItemCount];
        Simulator.Scores(Simulator.UserVector([1, 3, 5]), other);
        other.Should().NotEqual(scores, "a history changes the user");

        var wholeCatalogue = new double[Simulator.ItemCount];
        Simulator.Scores(empty, Enumerable.Range(0, Simulator.ItemCount).ToArray(), wholeCatalogue);
        wholeCatalogue.Should().Equal(scores, "both scoring entry points agree");
        FluentActions.Invoking(() => Simulator.UserVector([24])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*history[0] = 24*");
    }
}
