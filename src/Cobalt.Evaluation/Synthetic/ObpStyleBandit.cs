using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Evaluation.Synthetic;

/// <summary>OBP's base reward functions (degree 1).</summary>
public enum ObpRewardFunction
{
    /// <summary>q(x, a) = sigmoid(f(x, a)); binary rewards ~ Bernoulli(q).</summary>
    Logistic,

    /// <summary>q(x, a) = f(x, a); continuous rewards q + N(0, sigma^2).</summary>
    Linear,
}

/// <summary>Options of <see cref="ObpStyleBandit"/>.</summary>
public sealed record ObpStyleBanditOptions : IValidatable
{
    /// <summary>Number of actions K.</summary>
    [Description("Number of actions K.")]
    public int Actions { get; init; } = 10;

    /// <summary>Context dimension d.</summary>
    [Description("Context dimension d (contexts are N(0, I_d)).")]
    public int ContextDimension { get; init; } = 5;

    /// <summary>Reward function.</summary>
    [Description("logistic (binary rewards) or linear (Gaussian rewards).")]
    public ObpRewardFunction RewardFunction { get; init; } = ObpRewardFunction.Logistic;

    /// <summary>Noise of linear rewards.</summary>
    [Description("Standard deviation of the Gaussian reward noise (linear reward function only).")]
    public double RewardStd { get; init; } = 1.0;

    /// <summary>Inverse temperature of the behaviour policy.</summary>
    [Description("beta of the behaviour policy softmax(beta q(x, .)): 0 is uniform, large positive near-optimal, negative sub-optimal.")]
    public double Beta { get; init; } = 1.0;

    /// <summary>Dimension of random action embeddings; 0 for one-hot actions.</summary>
    [Description("Dimension of the action embeddings e_a ~ N(0, I) that describe actions to the reward function; 0: one-hot (OBP's default action_context).")]
    public int ActionEmbeddingDimension { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Actions, 2, nameof(Actions));
        Require.AtLeast(ContextDimension, 1, nameof(ContextDimension));
        Require.Defined(RewardFunction, nameof(RewardFunction));
        Require.Positive(RewardStd, nameof(RewardStd));
        if (!double.IsFinite(Beta))
        {
            throw new OptionsException(Names.Kebab(nameof(Beta)), $"must be finite; got {Beta}.");
        }
        Require.NonNegative(ActionEmbeddingDimension, nameof(ActionEmbeddingDimension));
    }
}

/// <summary>A logged sample from <see cref="ObpStyleBandit"/>: the log, the behaviour policy's full distribution and the true q(x_t, a).</summary>
/// <param name="Log">The logged feedback (actions drawn from the behaviour policy).</param>
/// <param name="Behaviour">pi_b(. | x_t) on every round.</param>
/// <param name="ExpectedRewards">q(x_t, a), row-major rounds x K.</param>
public sealed record ObpStyleSample(BanditLog Log, ActionDistribution Behaviour, double[] ExpectedRewards)
{
    /// <summary>The true value of a policy on these contexts: (1/n) sum_t sum_a pi(a | x_t) q(x_t, a) (OBP's calc_ground_truth_policy_value).</summary>
    public double GroundTruth(ActionDistribution policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var k = Log.ActionCount;
        var sum = 0.0;
        for (var t = 0; t < Log.Count; t++)
        {
            sum += TensorPrimitives.Dot(policy.Row(t), ExpectedRewards.AsSpan(t * k, k));
        }
        return sum / Log.Count;
    }

    /// <summary>OBP's epsilon-greedy policy on the true rewards: 1 - eps + eps/K on the best action, eps/K on the others (gen_eps_greedy).</summary>
    public ActionDistribution EpsilonGreedy(double epsilon)
    {
        if (!(epsilon >= 0 && epsilon <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon is in [0, 1].");
        }
        var k = Log.ActionCount;
        var values = new double[Log.Count * k];
        for (var t = 0; t < Log.Count; t++)
        {
            var row = values.AsSpan(t * k, k);
            row.Fill(epsilon / k);
            row[TensorPrimitives.IndexOfMax(ExpectedRewards.AsSpan(t * k, k))] += 1 - epsilon;
        }
        return new ActionDistribution(Log.Count, k, values);
    }
}

/// <summary>
/// Open Bandit Pipeline's synthetic contextual bandit, its essentials: contexts x ~ N(0, I_d); with x~ = [1, x] and
/// e~_a = [1, e_a] (e_a one-hot or an embedding), the base function f(x, a) = c^T x~ + alpha^T e~_a + x~^T M e~_a with c, alpha,
/// M ~ Uniform(-1, 1) drawn once from the seed; q(x, a) = sigmoid(f) (logistic, Bernoulli rewards) or f (linear, Gaussian
/// rewards); behaviour policy pi_b(. | x) = softmax(beta q(x, .)).
/// </summary>
/// <remarks>
/// Behaviour ported from OBP's SyntheticBanditDataset with logistic_reward_function / linear_reward_function
/// (obp/dataset/synthetic.py, st-tech/zr-obp @ 8cbd5fa). Not ported: numpy's random streams (draws are Cobalt's seeded
/// streams, so numbers differ from OBP's for the same seed); OBP's per-batch "z-score" shift of f (which makes q depend on
/// the batch drawn); truncation of continuous rewards at 0; deficient actions; higher-degree and sparse reward functions.
/// </remarks>
public sealed class ObpStyleBandit
{
    private readonly ObpStyleBanditOptions _options;
    private readonly double[] _contextCoefficients, _actionValues, _interaction, _actionFeatures;
    private readonly int _actionWidth;

    /// <summary>Draws the world's coefficients (and action embeddings) from <paramref name="seed"/>.</summary>
    public ObpStyleBandit(ObpStyleBanditOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        int k = options.Actions, d = options.ContextDimension;
        var rng = Seeds.Stream(seed, "obp-style-bandit/parameters");
        var embedding = options.ActionEmbeddingDimension;
        _actionWidth = (embedding == 0 ? k : embedding) + 1;
        _actionFeatures = new double[k * _actionWidth];
        for (var a = 0; a < k; a++)
        {
            var row = _actionFeatures.AsSpan(a * _actionWidth, _actionWidth);
            row[0] = 1;
            if (embedding == 0)
            {
                row[1 + a] = 1;
            }
            else
            {
                rng.FillGaussian(row[1..]);
            }
        }
        double Uniform() => 2 * rng.NextDouble() - 1;
        _contextCoefficients = Enumerable.Range(0, d + 1).Select(_ => Uniform()).ToArray();
        var alpha = Enumerable.Range(0, _actionWidth).Select(_ => Uniform()).ToArray();
        var m = Enumerable.Range(0, (d + 1) * _actionWidth).Select(_ => Uniform()).ToArray();
        // alpha^T e~_a per action, and the (d + 1) x K matrix M e~_a, so f(x, a) = c^T x~ + actionValues[a] + x~^T interaction[:, a]
        _actionValues = new double[k];
        _interaction = new double[(d + 1) * k];
        for (var a = 0; a < k; a++)
        {
            var e = _actionFeatures.AsSpan(a * _actionWidth, _actionWidth);
            _actionValues[a] = TensorPrimitives.Dot(alpha, e);
            for (var i = 0; i <= d; i++)
            {
                _interaction[i * k + a] = TensorPrimitives.Dot(m.AsSpan(i * _actionWidth, _actionWidth), e);
            }
        }
    }

    /// <summary>K.</summary>
    public int Actions => _options.Actions;

    /// <summary>d.</summary>
    public int ContextDimension => _options.ContextDimension;

    /// <summary>The options.</summary>
    public ObpStyleBanditOptions Options => _options;

    /// <summary>The action features e~_a = [1, e_a] (K rows), as the reward function sees them.</summary>
    public ReadOnlySpan<double> ActionFeatures(int action) => _actionFeatures.AsSpan(action * _actionWidth, _actionWidth);

    /// <summary>f(x, a) for every action.</summary>
    public void BaseLogits(ReadOnlySpan<double> x, Span<double> f)
    {
        int k = Actions, d = ContextDimension;
        var shared = _contextCoefficients[0] + TensorPrimitives.Dot(_contextCoefficients.AsSpan(1), x);
        for (var a = 0; a < k; a++)
        {
            var s = shared + _actionValues[a] + _interaction[a];
            for (var i = 0; i < d; i++)
            {
                s += x[i] * _interaction[(i + 1) * k + a];
            }
            f[a] = s;
        }
    }

    /// <summary>q(x, a) for every action.</summary>
    public void ExpectedRewards(ReadOnlySpan<double> x, Span<double> q)
    {
        BaseLogits(x, q);
        if (_options.RewardFunction == ObpRewardFunction.Logistic)
        {
            TensorPrimitives.Sigmoid(q[..Actions], q[..Actions]);
        }
    }

    /// <summary>pi_b(. | x) = softmax(beta q(x, .)).</summary>
    public void BehaviourPolicy(ReadOnlySpan<double> x, Span<double> pi) => SoftmaxOfRewards(x, _options.Beta, pi);

    /// <summary>softmax(<paramref name="beta"/> q(x, .)): the behaviour policy's family at any temperature.</summary>
    public void SoftmaxOfRewards(ReadOnlySpan<double> x, double beta, Span<double> pi)
    {
        ExpectedRewards(x, pi);
        var p = pi[..Actions];
        TensorPrimitives.Multiply(p, beta, p);
        TensorPrimitives.Subtract(p, TensorPrimitives.Max(p), p);
        TensorPrimitives.Exp(p, p);
        TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
    }

    /// <summary>Logs <paramref name="rounds"/> rounds (OBP's obtain_batch_bandit_feedback).</summary>
    public ObpStyleSample Sample(int rounds, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        int d = ContextDimension, k = Actions;
        var contexts = new double[rounds * d];
        var actions = new int[rounds];
        var rewards = new double[rounds];
        var propensities = new double[rounds];
        var behaviour = new double[rounds * k];
        var q = new double[rounds * k];
        for (var t = 0; t < rounds; t++)
        {
            var x = contexts.AsSpan(t * d, d);
            rng.FillGaussian(x);
            ExpectedRewards(x, q.AsSpan(t * k, k));
            var pi = behaviour.AsSpan(t * k, k);
            BehaviourPolicy(x, pi);
            var a = rng.Sample(pi);
            actions[t] = a;
            propensities[t] = pi[a];
            var mean = q[t * k + a];
            rewards[t] = _options.RewardFunction == ObpRewardFunction.Logistic
                ? (rng.NextDouble() < mean ? 1 : 0)
                : mean + _options.RewardStd * rng.NextGaussian();
        }
        var log = new BanditLog(k, new FeatureMatrix(rounds, d, contexts), actions, rewards, propensities);
        return new ObpStyleSample(log, new ActionDistribution(rounds, k, behaviour), q);
    }

    /// <summary>V(pi) = E_x sum_a pi(a | x) q(x, a) by Monte Carlo over <paramref name="samples"/> fresh contexts.</summary>
    public double PolicyValue(PolicyFunction policy, int samples, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var rng = Seeds.Stream(seed, "obp-style-bandit/truth");
        var x = new double[ContextDimension];
        var q = new double[Actions];
        var pi = new double[Actions];
        var sum = 0.0;
        for (var s = 0; s < samples; s++)
        {
            rng.FillGaussian(x);
            ExpectedRewards(x, q);
            policy(x, pi);
            sum += TensorPrimitives.Dot(q, pi);
        }
        return sum / samples;
    }
}
