using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.Worlds;

/// <summary>Which movies a <see cref="MovieLensGenreWorld"/> draws its contexts from.</summary>
public enum MovieSet
{
    /// <summary>Every kept movie.</summary>
    All,

    /// <summary>The training part of the seeded split (what pool allocations may be learned from).</summary>
    Train,

    /// <summary>The held-out part of the seeded split.</summary>
    Test,
}

/// <summary>Options of <see cref="MovieLensGenreWorld"/>.</summary>
public sealed record MovieLensGenreWorldOptions : IValidatable
{
    /// <summary>MovieLens folder.</summary>
    [Description("MovieLens folder (any layout); empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>Size of the movies' factorisation vectors.</summary>
    [Description("Size of the movies' feature vectors (logistic matrix factorisation of the ratings, standardised).")]
    public int Dimension { get; init; } = 31;

    /// <summary>Whether the context ends with a constant 1.</summary>
    [Description("Append a constant 1 to every context (the last feature), so a linear model per genre has an intercept (the genre's base rate); d = dimension + 1.")]
    public bool Intercept { get; init; } = true;

    /// <summary>Ratings a movie needs to be kept.</summary>
    [Description("A movie is kept when it has at least this many ratings (and a genre).")]
    public int MinRatings { get; init; } = 10;

    /// <summary>Seed of the factorisation.</summary>
    [Description("Seed of the matrix factorisation that makes the features (fixed: the features are part of the data).")]
    public ulong FeatureSeed { get; init; } = 7;

    /// <summary>Which movies are drawn.</summary>
    [Description("Movies drawn as contexts: all, or the train or test part of the seeded split.")]
    public MovieSet Movies { get; init; } = MovieSet.All;

    /// <summary>Share of movies held out.</summary>
    [Description("Share of the movies in the test part of the split.")]
    public double TestFraction { get; init; } = 0.3;

    /// <summary>Seed of the split.</summary>
    [Description("Seed of the train/test split of the movies.")]
    public ulong SplitSeed { get; init; } = 1;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Dimension, 1, nameof(Dimension));
        Require.AtLeast(MinRatings, 1, nameof(MinRatings));
        Require.Defined(Movies, nameof(Movies));
        Require.InRange(TestFraction, 0.01, 0.99, nameof(TestFraction));
    }
}

/// <summary>
/// A multi-label data set turned into a contextual bandit, as Hron et al. (2021, section 3.1) turn AmazonCat-13K into one:
/// the arms are MovieLens's genres, each round a movie is drawn uniformly, and recommending genre g earns 1 when the movie
/// has genre g, else 0 (so several arms may be optimal). The movie's d features are the context (user features); each arm's
/// item features are its one-hot vector, so a linear model per arm over the context (<c>disjoint</c>, features <c>user</c>) is
/// the paper's linear model on x_ta = e_a ⊗ x_t.
/// </summary>
/// <remarks>
/// Features and labels: <see cref="MovieLensMultiLabel"/>; the context is the movie's standardised factorisation vector followed
/// (by default) by a constant 1, so d = dimension + 1 and each genre's linear model can learn its base rate. Rewards are the
/// labels themselves (no noise), so the expected reward is exact.
/// </remarks>
public sealed class MovieLensGenreWorld : IWorld
{
    private readonly MovieLensGenreWorldOptions _options;
    private readonly Lazy<(MovieLensMultiLabel Data, int[] Rows, double[][] Features, ItemCatalog Arms)> _state;

    /// <summary>Creates the world; the data are read and factorised on first use.</summary>
    public MovieLensGenreWorld(MovieLensGenreWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _state = new(() =>
        {
            var data = MovieLensMultiLabel.Load(options.Data, options.Dimension, options.MinRatings, options.FeatureSeed);
            var (train, test) = data.Split(options.TestFraction, options.SplitSeed);
            var rows = options.Movies switch
            {
                MovieSet.Train => train,
                MovieSet.Test => test,
                _ => Enumerable.Range(0, data.Data.Count).ToArray(),
            };
            var k = data.Genres.Count;
            var identity = new double[k * k];
            for (var g = 0; g < k; g++)
            {
                identity[g * k + g] = 1;
            }
            var features = rows.Select(r =>
            {
                var x = new double[options.Dimension + (options.Intercept ? 1 : 0)];
                data.Data.Context(r).CopyTo(x);
                if (options.Intercept)
                {
                    x[^1] = 1;
                }
                return x;
            }).ToArray();
            return (data, rows, features, new ItemCatalog(new FeatureMatrix(k, k, identity), null, data.Genres));
        });
    }

    /// <summary>The multi-label data behind the world.</summary>
    public MovieLensMultiLabel Data => _state.Value.Data;

    /// <summary>Rows of <see cref="Data"/> the contexts are drawn from.</summary>
    public IReadOnlyList<int> Rows => _state.Value.Rows;

    /// <inheritdoc />
    public EnvironmentInfo Info
    {
        get
        {
            var k = _state.Value.Data.Genres.Count;
            return new("movielens-genres", k, k, _options.Dimension + (_options.Intercept ? 1 : 0), BinaryRewards: true);
        }
    }

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => new Environment(_state.Value.Data, _state.Value.Rows, _state.Value.Features, _state.Value.Arms, Info, trialSeed);

    private sealed class Environment(MovieLensMultiLabel data, int[] rows, double[][] features, ItemCatalog arms, EnvironmentInfo info, ulong trialSeed) : IEnvironment
    {
        private readonly Rng _movies = Seeds.Stream(trialSeed, "movielens-genres/movies");
        private long _round;

        public EnvironmentInfo Info { get; } = info;

        public Round Next()
        {
            var i = _movies.NextInt(rows.Length);
            var labels = data.Data.Labels(rows[i]);
            var expected = new double[labels.Length];
            for (var g = 0; g < labels.Length; g++)
            {
                expected[g] = labels[g] ? 1 : 0;
            }
            return new Round(new DecisionContext(_round++, data.Movies[rows[i]], features[i], arms.All()), expected);
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            for (var s = 0; s < decision.Slots.Count; s++)
            {
                rewards[s] = round.ExpectedRewards[decision.Slots[s].CandidateIndex];
            }
        }
    }
}
