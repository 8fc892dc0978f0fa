using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.Worlds;

/// <summary>Options of <see cref="CatalogueWorld"/>.</summary>
public sealed record CatalogueWorldOptions : IValidatable
{
    /// <summary>Number of items.</summary>
    [Description("Number of items in the catalogue.")]
    public int Items { get; init; } = 5000;

    /// <summary>Number of topics.</summary>
    [Description("Number of topics; topic sizes fall off as 1 / rank^exponent, from thousands of items to one.")]
    public int Topics { get; init; } = 30;

    /// <summary>Zipf exponent of the topic sizes.</summary>
    [Description("Exponent s of topic sizes proportional to 1 / rank^s (0 gives equal sizes).")]
    public double TopicSizeExponent { get; init; } = 1.5;

    /// <summary>Number of users.</summary>
    [Description("Number of users; each round's user is drawn uniformly.")]
    public int Users { get; init; } = 100;

    /// <summary>Latent dimension.</summary>
    [Description("Dimension k of the latent user and item vectors.")]
    public int LatentDimension { get; init; } = 8;

    /// <summary>Spread of topic centres.</summary>
    [Description("Standard deviation of topic centres in latent space.")]
    public double TopicSpread { get; init; } = 1.0;

    /// <summary>Spread of items around their topic centre.</summary>
    [Description("Standard deviation of an item's latent vector around its topic centre.")]
    public double ItemSpread { get; init; } = 0.4;

    /// <summary>Mean item bias (logit).</summary>
    [Description("Mean of the item biases b_i (a logit; -3 gives click rates of a few percent).")]
    public double BiasMean { get; init; } = -3.0;

    /// <summary>Standard deviation of item biases.</summary>
    [Description("Standard deviation of the item biases b_i.")]
    public double BiasStd { get; init; } = 0.5;

    /// <summary>Noise on the features policies see.</summary>
    [Description("Standard deviation of the noise on the latent vectors that policies see as features (0: exact).")]
    public double FeatureNoise { get; init; } = 0.1;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Items, 1, nameof(Items));
        Require.AtLeast(Topics, 1, nameof(Topics));
        if (Topics > Items)
        {
            throw new OptionsException(Names.Kebab(nameof(Topics)), $"must not exceed items ({Items}); every topic needs an item (got {Topics}).");
        }
        Require.NonNegative(TopicSizeExponent, nameof(TopicSizeExponent));
        Require.AtLeast(Users, 1, nameof(Users));
        Require.AtLeast(LatentDimension, 1, nameof(LatentDimension));
        Require.NonNegative(TopicSpread, nameof(TopicSpread));
        Require.NonNegative(ItemSpread, nameof(ItemSpread));
        Require.InRange(BiasMean, -20, 20, nameof(BiasMean));
        Require.NonNegative(BiasStd, nameof(BiasStd));
        Require.NonNegative(FeatureNoise, nameof(FeatureNoise));
    }
}

/// <summary>
/// A Bernoulli-logistic catalogue with topics of very unequal sizes: users u and items v_i have latent
/// vectors, items cluster around their topic's centre, and a click happens with probability
/// sigmoid(u^T v_i + b_i). Policies see noisy latent vectors with a constant 1 appended
/// (item features [v~_i, 1], user features [u~, 1]); the ground truth uses the exact ones.
/// </summary>
/// <remarks>
/// Built so that two-stage topic -> item recommenders have something realistic to work on:
/// a power-law of topic sizes (as MovieLens genres and MIND subcategories show) and preferences
/// that are mostly shared within a topic.
/// </remarks>
public sealed class CatalogueWorld(CatalogueWorldOptions options) : IWorld
{
    private readonly CatalogueWorldOptions _options = Validated(options);

    /// <inheritdoc />
    public EnvironmentInfo Info => new("catalogue", _options.Items, _options.LatentDimension + 1, _options.LatentDimension + 1, BinaryRewards: true);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => new Environment(_options, Info, trialSeed);

    /// <summary>Topic sizes proportional to 1 / rank^s, each at least one item, summing to the item count.</summary>
    public static int[] TopicSizes(int items, int topics, double exponent)
    {
        var weights = Enumerable.Range(1, topics).Select(r => Math.Pow(r, -exponent)).ToArray();
        var total = weights.Sum();
        var sizes = weights.Select(w => Math.Max(1, (int)Math.Floor(items * w / total))).ToArray();
        // Hand out (or take back) the rounding remainder, largest topics first.
        for (var i = 0; sizes.Sum() != items; i = (i + 1) % topics)
        {
            var gap = items - sizes.Sum();
            if (gap > 0)
            {
                sizes[i]++;
            }
            else if (sizes[i] > 1)
            {
                sizes[i]--;
            }
        }
        return sizes;
    }

    private static CatalogueWorldOptions Validated(CatalogueWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private sealed class Environment : IEnvironment
    {
        private readonly CatalogueWorldOptions _options;
        private readonly ItemCatalog _catalog;
        private readonly double[] _itemLatent;   // N x k, exact
        private readonly double[] _bias;         // N
        private readonly double[] _userLatent;   // U x k, exact
        private readonly double[][] _userFeatures;
        private readonly double[]?[] _clickProbabilities; // per user, computed on first use
        private readonly Rng _users;
        private readonly ulong _clickSeed;
        private long _round;

        public Environment(CatalogueWorldOptions o, EnvironmentInfo info, ulong trialSeed)
        {
            _options = o;
            Info = info;
            int n = o.Items, k = o.LatentDimension;
            var rng = Seeds.Stream(trialSeed, "catalogue-world/items");
            var sizes = TopicSizes(n, o.Topics, o.TopicSizeExponent);
            var centres = new double[o.Topics * k];
            rng.FillGaussian(centres);
            TensorPrimitives.Multiply(centres, o.TopicSpread, centres);
            var topics = new int[n];
            _itemLatent = new double[n * k];
            _bias = new double[n];
            var observed = new double[n * (k + 1)];
            for (int topic = 0, item = 0; topic < o.Topics; topic++)
            {
                for (var j = 0; j < sizes[topic]; j++, item++)
                {
                    topics[item] = topic;
                    var v = _itemLatent.AsSpan(item * k, k);
                    rng.FillGaussian(v);
                    TensorPrimitives.MultiplyAdd(v, o.ItemSpread, centres.AsSpan(topic * k, k), v);
                    _bias[item] = o.BiasMean + o.BiasStd * rng.NextGaussian();
                    Observe(v, observed.AsSpan(item * (k + 1), k + 1), rng);
                }
            }
            _catalog = new ItemCatalog(new FeatureMatrix(n, k + 1, observed), topics);

            var userRng = Seeds.Stream(trialSeed, "catalogue-world/users");
            _userLatent = new double[o.Users * k];
            _userFeatures = new double[o.Users][];
            for (var u = 0; u < o.Users; u++)
            {
                var latent = _userLatent.AsSpan(u * k, k);
                userRng.FillGaussian(latent);
                TensorPrimitives.Divide(latent, Math.Sqrt(k) / 2.0, latent); // u^T v has a spread of about one logit
                _userFeatures[u] = new double[k + 1];
                Observe(latent, _userFeatures[u], userRng);
            }
            _clickProbabilities = new double[]?[o.Users];
            _users = Seeds.Stream(trialSeed, "catalogue-world/rounds");
            _clickSeed = Seeds.Derive(trialSeed, "catalogue-world/clicks");
        }

        public EnvironmentInfo Info { get; }

        public Round Next()
        {
            var user = _users.NextInt(_options.Users);
            var context = new DecisionContext(_round++, user, _userFeatures[user], _catalog.All());
            return new Round(context, ClickProbabilities(user));
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            var expected = round.ExpectedRewards;
            for (var i = 0; i < decision.Slots.Count; i++)
            {
                var slot = decision.Slots[i];
                rewards[i] = Seeds.Uniform(_clickSeed, round.Context.Round, slot.ActionId) < expected[slot.CandidateIndex] ? 1 : 0;
            }
        }

        private double[] ClickProbabilities(int user)
        {
            if (_clickProbabilities[user] is { } cached)
            {
                return cached;
            }
            int n = _options.Items, k = _options.LatentDimension;
            var u = _userLatent.AsSpan(user * k, k);
            var p = new double[n];
            for (var i = 0; i < n; i++)
            {
                p[i] = OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(u, _itemLatent.AsSpan(i * k, k)) + _bias[i]);
            }
            return _clickProbabilities[user] = p;
        }

        /// <summary>observed = [latent + noise, 1].</summary>
        private void Observe(ReadOnlySpan<double> latent, Span<double> observed, Rng rng)
        {
            var k = latent.Length;
            for (var j = 0; j < k; j++)
            {
                observed[j] = latent[j] + _options.FeatureNoise * rng.NextGaussian();
            }
            observed[k] = 1.0;
        }
    }
}
