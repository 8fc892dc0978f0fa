using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.Worlds;

/// <summary>Options of <see cref="UserProfileWorld"/>.</summary>
public sealed record UserProfileWorldOptions : IValidatable
{
    /// <summary>MovieLens folder.</summary>
    [Description("MovieLens folder (any layout); empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>Candidates per round.</summary>
    [Description("Movies offered each round: a uniform sample (without replacement) of the movies that have a genre.")]
    public int Candidates { get; init; } = 100;

    /// <summary>Rating at which a movie counts as liked.</summary>
    [Description("A rating at or above this is a like (label 1) when the profiles are fitted.")]
    public double LikeThreshold { get; init; } = 4.0;

    /// <summary>Ridge of the profile fits.</summary>
    [Description("Ridge lambda of each user's profile: w_u = argmin sum (w^T x_m - like_um)^2 + lambda ||w||^2 over the movies u rated.")]
    public double ProfileRidge { get; init; } = 1.0;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Candidates, 1, nameof(Candidates));
        Require.InRange(LikeThreshold, 0, 5, nameof(LikeThreshold));
        Require.Positive(ProfileRidge, nameof(ProfileRidge));
    }
}

/// <summary>
/// A user-profile simulation from real data, as the CoFineUCB paper's news simulation (Yue, Hong and Guestrin 2012,
/// section 6.3) but on MovieLens: a movie's features are its topic probabilities over the D genres,
/// P(g | m) = 1 / |genres(m)| for each of its genres; every user u has a profile w_u, the ridge regression of
/// like_um = [rating >= threshold] on x_m over the movies u rated. Each trial simulates one held-out user u
/// (drawn from the trial seed) with w* = w_u; <see cref="PriorProfiles"/> are everybody else's profiles, the W
/// that LearnU may use (leave-one-out).
/// </summary>
/// <remarks>
/// Each round offers a uniform sample of movies. A slate A = (a_1, ..., a_L) is rewarded slot by slot under
/// probabilistic coverage (Yue and Guestrin 2011): slot l is clicked with probability clamp(w*^T Delta_l, 0, 1),
/// Delta_l = (1 - F(A_{l-1})) * x_{a_l}, F_g(A) = 1 - prod (1 - P(g | a)); with one slot that is clamp(w*^T x, 0, 1).
/// Regret of slates is measured against the greedy slate under the true w* (the (1 - 1/e) benchmark of the
/// submodular bandit; <see cref="ISlateValuation"/>). A click draws a counter-based uniform keyed by
/// (round, movie), so all policies of a trial see common random numbers.
/// </remarks>
public sealed class UserProfileWorld : IWorld
{
    private readonly UserProfileWorldOptions _options;
    private readonly Lazy<(MovieLensGenres Data, ItemCatalog Catalog, int[] Movies, double[] Profiles)> _state;

    /// <summary>Creates the world; the data are read and the profiles fitted on first use.</summary>
    public UserProfileWorld(UserProfileWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _state = new(() => Build(MovieLensGenres.Load(options.Data), options));
    }

    /// <summary>The options.</summary>
    public UserProfileWorldOptions Options => _options;

    /// <summary>D: the number of genres.</summary>
    public int Dimension => _state.Value.Data.Genres.Count;

    /// <summary>Genre names (feature columns).</summary>
    public IReadOnlyList<string> Genres => _state.Value.Data.Genres;

    /// <summary>Number of users (profiles).</summary>
    public int UserCount => _state.Value.Data.UserRatings.Count;

    /// <summary>The movies (catalogue rows): topic probabilities over the genres, one row per movie with a genre.</summary>
    public ItemCatalog Catalog => _state.Value.Catalog;

    /// <summary>Every user's profile, row-major users x D.</summary>
    public ReadOnlySpan<double> Profiles => _state.Value.Profiles;

    /// <inheritdoc />
    public EnvironmentInfo Info => new("user-profile", Catalog.Count, Dimension, 0, BinaryRewards: true);

    /// <summary>The user simulated in trial <paramref name="trialSeed"/>.</summary>
    public int HeldOutUser(ulong trialSeed) => Seeds.Stream(trialSeed, "user-profile/user").NextInt(UserCount);

    /// <summary>The profiles of every user but the held-out one (row-major (users - 1) x D): LearnU's W.</summary>
    public double[] PriorProfiles(ulong trialSeed) => PriorProfilesWithout(HeldOutUser(trialSeed));

    /// <summary>The profiles of every user but <paramref name="held"/> (row-major (users - 1) x D): LearnU's W when <paramref name="held"/> is simulated.</summary>
    public double[] PriorProfilesWithout(int held)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(held);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(held, UserCount);
        var d = Dimension;
        var all = _state.Value.Profiles;
        var prior = new double[(UserCount - 1) * d];
        all.AsSpan(0, held * d).CopyTo(prior);
        all.AsSpan((held + 1) * d).CopyTo(prior.AsSpan(held * d));
        return prior;
    }

    /// <summary>The profile w_u of user <paramref name="user"/>.</summary>
    public ReadOnlySpan<double> Profile(int user) => _state.Value.Profiles.AsSpan(user * Dimension, Dimension);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => Create(HeldOutUser(trialSeed), trialSeed);

    /// <summary>A run that simulates user <paramref name="user"/> (w* = their profile), its candidates and clicks drawn from <paramref name="runSeed"/>.</summary>
    public IEnvironment Create(int user, ulong runSeed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(user, UserCount);
        return new Environment(Catalog, Profile(user).ToArray(), user, _options.Candidates, Info, runSeed);
    }

    private static (MovieLensGenres, ItemCatalog, int[], double[]) Build(MovieLensGenres data, UserProfileWorldOptions options)
    {
        var d = data.Genres.Count;
        var movies = Enumerable.Range(0, data.ItemGenres.Count).Where(i => data.ItemGenres[i].Length > 0).ToArray();
        var rowOf = new Dictionary<int, int>();
        var features = new double[movies.Length * d];
        for (var r = 0; r < movies.Length; r++)
        {
            rowOf[movies[r]] = r;
            var genres = data.ItemGenres[movies[r]];
            foreach (var g in genres)
            {
                features[r * d + g] = 1.0 / genres.Length;
            }
        }
        var catalog = new ItemCatalog(new FeatureMatrix(movies.Length, d, features));
        var profiles = new double[data.UserRatings.Count * d];
        for (var u = 0; u < data.UserRatings.Count; u++)
        {
            var rated = data.UserRatings[u].Where(r => rowOf.ContainsKey(r.Item)).ToArray();
            var x = new double[rated.Length * d];
            var y = new double[rated.Length];
            for (var i = 0; i < rated.Length; i++)
            {
                catalog.Features.Row(rowOf[rated[i].Item]).CopyTo(x.AsSpan(i * d, d));
                y[i] = rated[i].Rating >= options.LikeThreshold ? 1.0 : 0.0;
            }
            RidgeRegression.Solve(x, y, d, options.ProfileRidge).CopyTo(profiles, u * d);
        }
        return (data, catalog, movies, profiles);
    }

    /// <summary>Expected clicks of a slate under coverage: sum over slots of clamp(w^T Delta_l, 0, 1).</summary>
    internal static double CoverageValue(ReadOnlySpan<double> weights, CandidateSet candidates, IEnumerable<int> slate, Span<double> coverage, Span<double> gain)
    {
        coverage.Clear();
        var total = 0.0;
        foreach (var index in slate)
        {
            var topics = candidates.Features(index);
            for (var g = 0; g < topics.Length; g++)
            {
                gain[g] = (1 - coverage[g]) * topics[g];
                coverage[g] += gain[g];
            }
            total += Math.Clamp(TensorPrimitives.Dot(weights, gain), 0, 1);
        }
        return total;
    }

    private sealed class Environment : IEnvironment, ISlateValuation
    {
        private readonly ItemCatalog _catalog;
        private readonly double[] _weights;
        private readonly int _candidates;
        private readonly Rng _rounds;
        private readonly ulong _clickSeed;
        private readonly double[] _coverage, _gain, _bestCoverage;
        private readonly HashSet<int> _sample = [];
        private bool[] _taken = [];
        private long _round;

        public Environment(ItemCatalog catalog, double[] weights, int user, int candidates, EnvironmentInfo info, ulong trialSeed)
        {
            _catalog = catalog;
            _weights = weights;
            User = user;
            _candidates = Math.Min(candidates, catalog.Count);
            Info = info;
            _rounds = Seeds.Stream(trialSeed, "user-profile/candidates");
            _clickSeed = Seeds.Derive(trialSeed, "user-profile/clicks");
            _coverage = new double[weights.Length];
            _gain = new double[weights.Length];
            _bestCoverage = new double[weights.Length];
        }

        public EnvironmentInfo Info { get; }

        public int User { get; }

        public Round Next()
        {
            // Floyd's algorithm: a uniform sample of distinct movies, in ascending id order.
            _sample.Clear();
            var n = _catalog.Count;
            for (var j = n - _candidates; j < n; j++)
            {
                var t = _rounds.NextInt(j + 1);
                _sample.Add(_sample.Contains(t) ? j : t);
            }
            var ids = _sample.ToArray();
            Array.Sort(ids);
            var candidates = CandidateSet.FromCatalog(_catalog, ids);
            var expected = new double[ids.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                expected[i] = Math.Clamp(TensorPrimitives.Dot(_weights, candidates.Features(i)), 0, 1);
            }
            return new Round(new DecisionContext(_round++, User, [], candidates), expected);
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            var candidates = round.Context.Candidates;
            _coverage.AsSpan().Clear();
            for (var l = 0; l < decision.Slots.Count; l++)
            {
                var slot = decision.Slots[l];
                var topics = candidates.Features(slot.CandidateIndex);
                for (var g = 0; g < topics.Length; g++)
                {
                    _gain[g] = (1 - _coverage[g]) * topics[g];
                    _coverage[g] += _gain[g];
                }
                var p = Math.Clamp(TensorPrimitives.Dot(_weights, _gain), 0, 1);
                rewards[l] = Seeds.Uniform(_clickSeed, round.Context.Round, slot.ActionId) < p ? 1.0 : 0.0;
            }
        }

        public double SlateValue(Round round, Decision decision) =>
            CoverageValue(_weights, round.Context.Candidates, decision.Slots.Select(s => s.CandidateIndex), _coverage, _gain);

        public double BestSlateValue(Round round, int slateSize)
        {
            // The greedy slate under the true w*: at each slot the candidate of largest marginal value.
            var candidates = round.Context.Candidates;
            var m = Math.Min(slateSize, candidates.Count);
            if (_taken.Length < candidates.Count)
            {
                _taken = new bool[candidates.Count];
            }
            var taken = _taken.AsSpan(0, candidates.Count);
            taken.Clear();
            var coverage = _bestCoverage.AsSpan();
            coverage.Clear();
            var total = 0.0;
            for (var l = 0; l < m; l++)
            {
                var best = -1;
                var bestValue = double.NegativeInfinity;
                for (var i = 0; i < candidates.Count; i++)
                {
                    if (taken[i])
                    {
                        continue;
                    }
                    var topics = candidates.Features(i);
                    var value = 0.0;
                    for (var g = 0; g < topics.Length; g++)
                    {
                        value += _weights[g] * (1 - coverage[g]) * topics[g];
                    }
                    value = Math.Clamp(value, 0, 1);
                    if (value > bestValue)
                    {
                        bestValue = value;
                        best = i;
                    }
                }
                taken[best] = true;
                var chosen = candidates.Features(best);
                for (var g = 0; g < chosen.Length; g++)
                {
                    coverage[g] += (1 - coverage[g]) * chosen[g];
                }
                total += bestValue;
            }
            return total;
        }
    }
}
