using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.Worlds;

/// <summary>Options of <see cref="GenreRatingWorld"/>.</summary>
public sealed record GenreRatingWorldOptions : IValidatable
{
    /// <summary>MovieLens folder.</summary>
    [Description("MovieLens folder (any layout); empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>Share of each user's ratings (oldest first) that make up their history.</summary>
    [Description("The oldest share of each user's ratings is their history (the context); the rest is the pool that rewards are drawn from.")]
    public double HistoryFraction { get; init; } = 0.5;

    /// <summary>Share of users treated as new.</summary>
    [Description("Share of users, drawn per trial, who are new: their history is hidden, so they have no context (all-zero features).")]
    public double NewUserFraction { get; init; } = 0.25;

    /// <inheritdoc />
    public void Validate()
    {
        Require.InRange(HistoryFraction, 0, 0.95, nameof(HistoryFraction));
        Require.InRange(NewUserFraction, 0, 1, nameof(NewUserFraction));
    }
}

/// <summary>
/// The MovieLens experiment of the mixed UCB/LinUCB paper (Chen 2024, section 3): the arms are the genres;
/// pulling genre g for the round's user u returns the rating u gave to a movie with genre g.
/// </summary>
/// <remarks>
/// Precisely: each user's ratings, oldest first, are split into a history (the first <c>history-fraction</c>)
/// and a pool (the rest). Each round a user is drawn uniformly from all users; the candidates are the genres of
/// which u's pool holds at least one movie. Pulling genre g returns the rating of one movie drawn uniformly from
/// u's pool movies with genre g (a counter-based draw keyed by (round, genre), so every policy of a trial sees
/// the same movie for the same pull); its expected reward is the mean of those ratings, the ground truth of regret.
/// The paper's regret is 5 (the best possible rating) minus the reward; both are reported.
/// Context: a user's features are, per genre, the mean rating of their history movies of that genre (their
/// history mean where they rated none of it) minus the mean of all history ratings; new users (drawn per trial)
/// and users without history have all-zero features. Arm features are the genre's one-hot vector.
/// </remarks>
public sealed class GenreRatingWorld : IWorld
{
    private readonly GenreRatingWorldOptions _options;
    private readonly Lazy<State> _state;

    /// <summary>Creates the world; the data are read on first use.</summary>
    public GenreRatingWorld(GenreRatingWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _state = new(() => new State(MovieLensGenres.Load(options.Data), options));
    }

    /// <summary>Genre names (the arms; arm id g is genre g).</summary>
    public IReadOnlyList<string> Genres => _state.Value.Data.Genres;

    /// <summary>Number of users.</summary>
    public int UserCount => _state.Value.Pools.Length;

    /// <inheritdoc />
    public EnvironmentInfo Info => new("genre-rating", Genres.Count, Genres.Count, Genres.Count, BinaryRewards: false);

    /// <summary>The ratings user <paramref name="user"/>'s pool holds for genre <paramref name="genre"/> (what a pull may return).</summary>
    public IReadOnlyList<float> PoolRatings(int user, int genre) => _state.Value.Pools[user][genre];

    /// <summary>User <paramref name="user"/>'s context when not new (all zero without history).</summary>
    public ReadOnlySpan<double> HistoryFeatures(int user) => _state.Value.Features[user];

    /// <summary>Whether <paramref name="user"/> is new (has no context) in the trial <paramref name="trialSeed"/>.</summary>
    public bool IsNew(ulong trialSeed, int user) => NewUsers(trialSeed).Contains(user);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => new Environment(_state.Value, NewUsers(trialSeed), Info, trialSeed);

    private HashSet<int> NewUsers(ulong trialSeed)
    {
        var users = Enumerable.Range(0, UserCount).ToArray();
        Seeds.Stream(trialSeed, "genre-rating/new-users").Shuffle(users.AsSpan());
        return [.. users.Take((int)Math.Round(_options.NewUserFraction * users.Length))];
    }

    private sealed class State
    {
        public State(MovieLensGenres data, GenreRatingWorldOptions options)
        {
            Data = data;
            var g = data.Genres.Count;
            var oneHot = new double[g * g];
            for (var i = 0; i < g; i++)
            {
                oneHot[i * g + i] = 1.0;
            }
            Arms = new ItemCatalog(new FeatureMatrix(g, g, oneHot));
            var users = data.UserRatings.Count;
            Pools = new float[users][][];
            Features = new double[users][];
            var historySum = 0.0;
            var historyCount = 0;
            var histories = new (int Item, float Rating, long Time)[users][];
            for (var u = 0; u < users; u++)
            {
                var ratings = data.UserRatings[u];
                var split = (int)Math.Floor(options.HistoryFraction * ratings.Length);
                histories[u] = ratings[..split];
                var pool = new List<float>[g];
                for (var k = 0; k < g; k++)
                {
                    pool[k] = [];
                }
                foreach (var r in ratings[split..])
                {
                    foreach (var genre in data.ItemGenres[r.Item])
                    {
                        pool[genre].Add(r.Rating);
                    }
                }
                Pools[u] = pool.Select(p => p.ToArray()).ToArray();
                foreach (var r in histories[u])
                {
                    historySum += r.Rating;
                    historyCount++;
                }
            }
            var globalMean = historyCount > 0 ? historySum / historyCount : 0.0;
            for (var u = 0; u < users; u++)
            {
                var z = new double[g];
                var history = histories[u];
                if (history.Length > 0)
                {
                    var userMean = history.Average(r => (double)r.Rating);
                    var sums = new double[g];
                    var counts = new int[g];
                    foreach (var r in history)
                    {
                        foreach (var genre in data.ItemGenres[r.Item])
                        {
                            sums[genre] += r.Rating;
                            counts[genre]++;
                        }
                    }
                    for (var k = 0; k < g; k++)
                    {
                        z[k] = (counts[k] > 0 ? sums[k] / counts[k] : userMean) - globalMean;
                    }
                }
                Features[u] = z;
            }
        }

        public MovieLensGenres Data { get; }

        public ItemCatalog Arms { get; }

        /// <summary>Pools[u][g]: the pool ratings of user u for genre g.</summary>
        public float[][][] Pools { get; }

        /// <summary>Features[u]: user u's context (before new users are hidden).</summary>
        public double[][] Features { get; }
    }

    private sealed class Environment(State state, HashSet<int> newUsers, EnvironmentInfo info, ulong trialSeed) : IEnvironment
    {
        private readonly Rng _users = Seeds.Stream(trialSeed, "genre-rating/users");
        private readonly ulong _rewardSeed = Seeds.Derive(trialSeed, "genre-rating/rewards");
        private readonly Dictionary<int, (CandidateSet Candidates, double[] Expected, double[] Features)> _cache = [];
        private long _round;

        public EnvironmentInfo Info { get; } = info;

        public Round Next()
        {
            var user = _users.NextInt(state.Pools.Length);
            if (!_cache.TryGetValue(user, out var entry))
            {
                var pools = state.Pools[user];
                var genres = Enumerable.Range(0, pools.Length).Where(k => pools[k].Length > 0).ToArray();
                var expected = genres.Select(k => pools[k].Average(r => (double)r)).ToArray();
                var features = newUsers.Contains(user) ? new double[pools.Length] : state.Features[user];
                entry = (CandidateSet.FromCatalog(state.Arms, genres), expected, features);
                _cache[user] = entry;
            }
            // Round's expected rewards are copied: a Round owns its array.
            return new Round(new DecisionContext(_round++, user, entry.Features, entry.Candidates), (double[])entry.Expected.Clone());
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            var pools = state.Pools[round.Context.UserId];
            for (var i = 0; i < decision.Slots.Count; i++)
            {
                var genre = decision.Slots[i].ActionId;
                var ratings = pools[genre];
                var pick = (int)(Seeds.Uniform(_rewardSeed, round.Context.Round, genre) * ratings.Length);
                rewards[i] = ratings[Math.Min(pick, ratings.Length - 1)];
            }
        }
    }
}
