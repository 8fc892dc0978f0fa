using Cobalt.Core.Randomness;
using Cobalt.Data.MovieLens;
using Cobalt.Data.Splits;

namespace Cobalt.Data.Tests;

/// <summary>MovieLens ratings to MIND-style impressions as CB4Rec movielen2mind.ipynb does, on a hand-made dataset.</summary>
public class MovieLensImpressionsTests
{
    // History before t = 100, training [100, 200), validation from 200. Movies 1..8 are items 0..7.
    private static readonly string[] Ratings =
    [
        "userId,movieId,rating,timestamp",
        // user 1 (id 0): eligible; history positives m3 (t5) then m1 (t10); training positives m6 (t110), m4 (t150), negative m5;
        // validation positive m7, negative m8.
        "1,1,5,10", "1,2,3,20", "1,3,4,5", "1,4,5,150", "1,5,2,120", "1,6,4,110", "1,7,4,250", "1,8,1,210",
        // user 2 (id 1): eligible, no negatives of its own in either period: catalogue draws outside its positives m1, m2, m3.
        "2,1,4,50", "2,2,5,150", "2,3,5,300",
        // user 3: no rating before the history end.
        "3,1,5,150", "3,2,5,250",
        // user 4: no training-period positive.
        "4,1,5,10", "4,2,1,150", "4,3,5,250",
        // user 5: nothing in the validation period.
        "5,2,5,10", "5,3,5,150",
    ];

    private static InteractionDataset Dataset()
    {
        using var folder = new TempFolder("ml-impressions");
        folder.Write("movies.csv", ["movieId,title,genres", .. Enumerable.Range(1, 8).Select(m => $"{m},Movie {m} (2000),Drama")]);
        folder.Write("ratings.csv", Ratings);
        return MovieLensReader.Read(folder.Folder);
    }

    private static (InteractionDataset Data, TimeSplit Split) Setup()
    {
        var data = Dataset();
        return (data, TimeSplit.ByDate(data, DateTimeOffset.FromUnixTimeSeconds(100), DateTimeOffset.FromUnixTimeSeconds(200)));
    }

    private static int Item(InteractionDataset data, int movie) => data.Items.Select((r, i) => (r, i)).Single(p => p.r.ExternalId == movie.ToString()).i;

    [Fact]
    public void Builds_histories_and_impressions_of_the_eligible_users_as_the_notebook_does()
    {
        var (data, split) = Setup();
        int M(int movie) => Item(data, movie);
        var u1 = data.Users.ToList().IndexOf("1");
        var u2 = data.Users.ToList().IndexOf("2");

        var built = MovieLensImpressions.Build(data, split, new Rng(1), new MovieLensImpressionOptions { Negatives = 5, ValidationShare = 1 });

        built.EligibleUsers.Should().Equal(new[] { u1, u2 }.Order());
        built.ValidationUsers.Should().Equal(built.EligibleUsers);
        built.InitialHistories[u1].Should().Equal([M(3), M(1)], "history-period positives, oldest first; the rating 3 is not a positive");
        built.InitialHistories[u2].Should().Equal(M(1));

        var t1 = built.Training.Where(i => i.User == u1).ToList();
        t1.Select(i => i.Positive).Should().Equal([M(6), M(4)], "one impression per training positive, in time order");
        t1.Should().AllSatisfy(i =>
        {
            i.History.Should().Equal(M(3), M(1));
            i.Negatives.Should().HaveCount(5).And.AllBeEquivalentTo(M(5), "drawn with replacement from the user's own training negatives");
        });
        var v1 = built.Validation.Single(i => i.User == u1);
        v1.Positive.Should().Be(M(7));
        v1.History.Should().Equal([M(3), M(1), M(6), M(4)], "validation history = history positives + training positives");
        v1.Negatives.Should().AllBeEquivalentTo(M(8));

        var t2 = built.Training.Single(i => i.User == u2);
        t2.Positive.Should().Be(M(2));
        t2.Negatives.Should().BeEquivalentTo(new[] { M(4), M(5), M(6), M(7), M(8) },
            "without own negatives: five distinct catalogue items, none of the user's positives of any period");
        built.Validation.Single(i => i.User == u2).Negatives.Should().OnlyHaveUniqueItems().And.NotContain([M(1), M(2), M(3)]);
        built.Training.Should().HaveCount(3);
    }

    [Fact]
    public void Is_deterministic_per_seed()
    {
        var (data, split) = Setup();
        int[][] Draws(ulong seed) => [.. MovieLensImpressions.Build(data, split, new Rng(seed), new() { ValidationShare = 1 })
            .Training.Concat(MovieLensImpressions.Build(data, split, new Rng(seed), new() { ValidationShare = 1 }).Validation).Select(i => i.Negatives)];
        var a = Draws(4);
        Draws(4).Should().BeEquivalentTo(a, o => o.WithStrictOrdering());
        Enumerable.Range(5, 5).Select(s => Draws((ulong)s)).Should().Contain(d => !d.SelectMany(x => x).SequenceEqual(a.SelectMany(x => x)),
            "another seed orders user 2's catalogue draws differently");
    }

    [Fact]
    public void Default_options_are_the_notebook_s_and_bad_ones_are_refused()
    {
        var options = new MovieLensImpressionOptions();
        options.Negatives.Should().Be(20);
        options.ValidationShare.Should().Be(0.2);
        var (data, split) = Setup();
        var built = MovieLensImpressions.Build(data, split, new Rng(2));
        var u1 = data.Users.ToList().IndexOf("1");
        built.Training.Where(i => i.User == u1).Should().AllSatisfy(i => i.Negatives.Should().HaveCount(20));
        built.Training.Where(i => i.User != u1).Should().AllSatisfy(i => i.Negatives.Should().HaveCount(5, "only 5 catalogue items are allowed; drawn without replacement"));
        built.Validation.Should().HaveCount(1, "20 % of two validation impressions, rounded up");
        built.ValidationUsers.Should().HaveCount(2, "validation users are counted before the subsample");
        FluentActions.Invoking(() => MovieLensImpressions.Build(data, split, new Rng(2), new MovieLensImpressionOptions { ValidationShare = 0 }))
            .Should().Throw<Core.Configuration.OptionsException>().WithMessage("validation-share*");
    }
}
