using Cobalt.Core.Randomness;
using Cobalt.Data.MovieLens;
using Cobalt.Data.Splits;

namespace Cobalt.Data.Tests;

/// <summary>TimeSplit.ByDate / ByFraction and TrialSamples on datasets written as MovieLens CSV.</summary>
public class TimeSplitTests
{
    /// <summary>A MovieLens CSV dataset with one interaction per (user, timestamp) pair, in that order; user k gets dense id k when users first appear in order.</summary>
    internal static InteractionDataset Dataset(IReadOnlyList<(int User, long Time)> rows, double rating = 4)
    {
        using var folder = new TempFolder("ml-test");
        folder.Write("movies.csv", ["movieId,title,genres", "1,Only (2000),Drama", "2,Other (2001),Comedy"]);
        folder.Write("ratings.csv", ["userId,movieId,rating,timestamp", .. rows.Select((r, i) => $"{r.User},{1 + i % 2},{rating},{r.Time}")]);
        return MovieLensReader.Read(folder.Folder);
    }

    private static InteractionDataset AtTimes(params long[] times) => Dataset(times.Select((t, i) => (i, t)).ToArray());

    private static DateTimeOffset At(long unix) => DateTimeOffset.FromUnixTimeSeconds(unix);

    [Fact]
    public void ByDate_puts_each_interaction_in_its_period_in_time_order()
    {
        var d = AtTimes(50, 10, 30, 20, 40, 30, 60);

        var split = TimeSplit.ByDate(d, At(30), At(50));

        split.History.Should().Equal(1, 3);
        split.Training.Should().Equal([2, 5, 4], "times 30, 30, 40: ties keep file order; the history end is inclusive for training");
        split.Validation.Should().Equal([0, 6], "the training end (50) is the first instant of validation");
        split.HistoryEnd.Should().Be(At(30));
        split.TrainingEnd.Should().Be(At(50));
    }

    [Fact]
    public void ByDate_with_equal_dates_has_an_empty_training_period()
    {
        var d = AtTimes(1, 2, 3, 4);

        var split = TimeSplit.ByDate(d, At(3), At(3));

        split.History.Should().Equal(0, 1);
        split.Training.Should().BeEmpty();
        split.Validation.Should().Equal(2, 3);
    }

    [Fact]
    public void ByDate_rejects_a_training_end_before_the_history_end()
    {
        var d = AtTimes(1, 2, 3);

        var split = () => TimeSplit.ByDate(d, At(3), At(2));

        split.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("trainingEnd");
    }

    [Fact]
    public void Paper_dates_are_2010_and_mid_2014()
    {
        TimeSplit.PaperMovieLensDates.HistoryEnd.Should().Be(new DateTimeOffset(2010, 1, 1, 0, 0, 0, TimeSpan.Zero));
        TimeSplit.PaperMovieLensDates.TrainingEnd.Should().Be(new DateTimeOffset(2014, 6, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void ByFraction_splits_at_the_quantile_times()
    {
        var d = AtTimes(107, 100, 105, 101, 103, 106, 102, 104);

        var split = TimeSplit.ByFraction(d, 0.25, 0.5);

        split.HistoryEnd.Should().Be(At(102));
        split.TrainingEnd.Should().Be(At(106));
        split.History.Select(i => d.Timestamps[i]).Should().Equal(100, 101);
        split.Training.Select(i => d.Timestamps[i]).Should().Equal(102, 103, 104, 105);
        split.Validation.Select(i => d.Timestamps[i]).Should().Equal(106, 107);
    }

    [Fact]
    public void ByFraction_edge_fractions()
    {
        var d = AtTimes(5, 1, 3, 2, 4);

        var all = TimeSplit.ByFraction(d, 0, 1);
        all.History.Should().BeEmpty();
        all.Training.Should().Equal(1, 3, 2, 4, 0);
        all.Validation.Should().BeEmpty();
        all.TrainingEnd.Should().Be(At(6));

        var history = TimeSplit.ByFraction(d, 1, 0);
        history.History.Should().HaveCount(5);
        history.Training.Should().BeEmpty();
        history.Validation.Should().BeEmpty();

        var none = TimeSplit.ByFraction(d, 0, 0);
        none.Validation.Should().HaveCount(5);
    }

    [Theory]
    [InlineData(-0.1, 0.5)]
    [InlineData(0.5, -0.1)]
    [InlineData(0.7, 0.5)]
    [InlineData(double.NaN, 0.5)]
    public void ByFraction_rejects_bad_fractions(double history, double training)
    {
        var d = AtTimes(1, 2, 3);

        var split = () => TimeSplit.ByFraction(d, history, training);

        split.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void ByFraction_rejects_an_empty_dataset()
    {
        var d = Dataset([]);

        var split = () => TimeSplit.ByFraction(d, 0.5, 0.25);

        split.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("dataset");
    }

    [Theory]
    [InlineData(0.6, 0.2)]
    [InlineData(0.3, 0.3)]
    [InlineData(0.0, 0.9)]
    public void Parts_are_disjoint_cover_everything_and_are_time_ordered(double historyFraction, double trainingFraction)
    {
        var rng = new Rng(11);
        var d = AtTimes(Enumerable.Range(0, 200).Select(_ => 1_000L + rng.NextInt(50)).ToArray()); // many ties

        var split = TimeSplit.ByFraction(d, historyFraction, trainingFraction);

        var parts = new[] { split.History, split.Training, split.Validation };
        parts.SelectMany(p => p).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(Enumerable.Range(0, d.Count));
        foreach (var part in parts)
        {
            part.Select(i => d.Timestamps[i]).Should().BeInAscendingOrder();
        }
        long h = split.HistoryEnd.ToUnixTimeSeconds(), t = split.TrainingEnd.ToUnixTimeSeconds();
        split.History.Where(i => d.Timestamps[i] >= h).Should().BeEmpty();
        split.Training.Where(i => d.Timestamps[i] < h || d.Timestamps[i] >= t).Should().BeEmpty();
        split.Validation.Where(i => d.Timestamps[i] < t).Should().BeEmpty();
        split.Training.Should().NotBeEmpty();
        // The quantile boundaries put at most the requested share before each end (ties go later).
        split.History.Length.Should().BeLessThanOrEqualTo((int)Math.Floor(historyFraction * d.Count));
    }

    // ---------------------------------------------------------------- TrialSamples

    [Fact]
    public void Users_are_distinct_candidates_and_deterministic_under_a_seed()
    {
        var candidates = Enumerable.Range(100, 30).ToArray();

        var a = TrialSamples.Users(candidates, 10, new Rng(7));
        var b = TrialSamples.Users(candidates, 10, new Rng(7));
        var c = TrialSamples.Users(candidates, 10, new Rng(8));

        a.Should().HaveCount(10).And.OnlyHaveUniqueItems().And.OnlyContain(u => candidates.Contains(u));
        b.Should().Equal(a);
        c.Should().NotEqual(a);
        candidates.Should().Equal(Enumerable.Range(100, 30), "the candidates are not shuffled in place");
    }

    [Fact]
    public void All_users_is_a_permutation()
    {
        var all = TrialSamples.Users([1, 2, 3, 4, 5], 5, new Rng(3));

        all.Should().BeEquivalentTo([1, 2, 3, 4, 5]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Users_rejects_a_count_outside_one_to_the_candidates(int count)
    {
        var draw = () => TrialSamples.Users([1, 2, 3, 4, 5], count, new Rng(3));

        draw.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("count");
    }

    private static InteractionDataset ManyUsers() =>
        Dataset(Enumerable.Range(0, 2_000).Select(i => (i % 100, (long)i)).ToArray());

    [Fact]
    public void Known_never_holds_trial_users_and_is_about_an_epsilon_share()
    {
        var d = ManyUsers();
        var training = TimeSplit.ByFraction(d, 0.25, 0.5).Training;
        var trial = TrialSamples.Users(Enumerable.Range(0, 100).ToArray(), 20, new Rng(1));

        var known = TrialSamples.Known(d, training, 0.3, trial, new Rng(2));

        known.Should().OnlyHaveUniqueItems();
        known.Should().OnlyContain(i => training.Contains(i));
        known.Select(i => d.InteractionUsers[i]).Should().NotIntersectWith(trial);
        var eligible = training.Count(i => !trial.Contains(d.InteractionUsers[i]));
        eligible.Should().Be(800, "1,000 training interactions, 10 per user, 20 trial users");
        known.Length.Should().BeInRange(240 - 60, 240 + 60, "0.3 of 800, within about 4.6 standard deviations");
        TrialSamples.Known(d, training, 0.3, trial, new Rng(2)).Should().Equal(known);
    }

    [Fact]
    public void Known_with_epsilon_0_is_empty_and_with_epsilon_1_is_every_other_users_interaction()
    {
        var d = ManyUsers();
        var training = Enumerable.Range(0, d.Count).ToArray();
        int[] trial = [3, 50, 99];

        TrialSamples.Known(d, training, 0, trial, new Rng(5)).Should().BeEmpty();
        TrialSamples.Known(d, training, 1, trial, new Rng(5)).Should().Equal(training.Where(i => !trial.Contains(d.InteractionUsers[i])));
        TrialSamples.Known(d, training, 1, [], new Rng(5)).Should().Equal(training);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Known_rejects_epsilon_outside_zero_one(double epsilon)
    {
        var d = AtTimes(1, 2, 3);

        var known = () => TrialSamples.Known(d, [0, 1, 2], epsilon, [], new Rng(1));

        known.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("epsilon");
    }
}
