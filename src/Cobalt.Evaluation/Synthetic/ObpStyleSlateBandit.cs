using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Slate;

namespace Cobalt.Evaluation.Synthetic;

/// <summary>How a slot's expected reward depends on the rest of the slate (OBP's reward_structure).</summary>
public enum SlateRewardStructure
{
    /// <summary>q_l = sigmoid(f(x, a(l))): each slot on its own.</summary>
    Independent,

    /// <summary>q_l = sigmoid(f(x, a(l)) + sum_{j &lt; l} W[a(l), a(j)]): the actions above interact.</summary>
    CascadeAdditive,

    /// <summary>q_l = sigmoid(f(x, a(l)) + sum_{j != l} W[a(l), a(j)]): every other action interacts.</summary>
    StandardAdditive,

    /// <summary>q_l = sigmoid(f(x, a(l)) - sum_{j &lt; l} exp(-|l - j|) f(x, a(j))): strong actions above suppress this one.</summary>
    CascadeDecay,

    /// <summary>q_l = sigmoid(f(x, a(l)) - sum_{j != l} exp(-|l - j|) f(x, a(j))).</summary>
    StandardDecay,
}

/// <summary>Options of <see cref="ObpStyleSlateBandit"/>.</summary>
public sealed record ObpStyleSlateBanditOptions : IValidatable
{
    /// <summary>Number of distinct actions K.</summary>
    [Description("Number of distinct actions K.")]
    public int Actions { get; init; } = 6;

    /// <summary>Slate length L.</summary>
    [Description("Slate length L (actions in a slate are distinct).")]
    public int ListLength { get; init; } = 3;

    /// <summary>Context dimension d.</summary>
    [Description("Context dimension d.")]
    public int ContextDimension { get; init; } = 3;

    /// <summary>Reward structure.</summary>
    [Description("independent, cascade-additive, standard-additive, cascade-decay or standard-decay.")]
    public SlateRewardStructure RewardStructure { get; init; } = SlateRewardStructure.CascadeAdditive;

    /// <summary>Position-based examination exponent.</summary>
    [Description("eta of the position-based click model: slot l's expected reward is multiplied by (1 / l)^eta (0: no position effect).")]
    public double Eta { get; init; }

    /// <summary>Behaviour policy temperature.</summary>
    [Description("beta of the behaviour policy: Plackett-Luce over softmax(beta f(x, .)) without replacement (0: uniform).")]
    public double BehaviourBeta { get; init; } = 0.5;

    /// <summary>Evaluation policy temperature.</summary>
    [Description("beta of the evaluation policy, the same family.")]
    public double EvaluationBeta { get; init; } = 1.5;

    /// <summary>Largest number of rankings enumerated per slate for item-position propensities.</summary>
    [Description("Item-position propensities need every ranking enumerated; above this many rankings per slate they are left out (null).")]
    public int MaxEnumeratedRankings { get; init; } = 5000;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Actions, 2, nameof(Actions));
        Require.AtLeast(ListLength, 1, nameof(ListLength));
        if (ListLength > Actions)
        {
            throw new OptionsException(Names.Kebab(nameof(ListLength)), $"must be at most actions ({Actions}); a slate shows distinct actions.");
        }
        Require.AtLeast(ContextDimension, 1, nameof(ContextDimension));
        Require.Defined(RewardStructure, nameof(RewardStructure));
        Require.NonNegative(Eta, nameof(Eta));
        if (!double.IsFinite(BehaviourBeta) || !double.IsFinite(EvaluationBeta))
        {
            throw new OptionsException(Names.Kebab(double.IsFinite(BehaviourBeta) ? nameof(EvaluationBeta) : nameof(BehaviourBeta)), "must be finite.");
        }
        Require.AtLeast(MaxEnumeratedRankings, 0, nameof(MaxEnumeratedRankings));
    }
}

/// <summary>A slate log drawn from <see cref="ObpStyleSlateBandit"/> with everything the slate estimators read.</summary>
/// <param name="Log">Slates drawn from the behaviour policy, with contexts and all three propensity forms (item-position when enumerable).</param>
/// <param name="Evaluation">The evaluation policy's probabilities of the logged slates.</param>
/// <param name="EvaluationActionDistribution">pi_e(a | x_i, a_i(1..l-1)), rows x K.</param>
/// <param name="ExpectedSlotRewards">q_l(x_i, s_i) per row (after the click model).</param>
public sealed record ObpStyleSlateSample(SlateLog Log, SlatePropensities Evaluation, double[] EvaluationActionDistribution, double[] ExpectedSlotRewards)
{
    /// <summary>The input of the slate estimators, with <paramref name="qHat"/> for Cascade-DR when given.</summary>
    public SlateEstimationInput Input(double[]? qHat = null) => new(Log, Evaluation, EvaluationActionDistribution, qHat);
}

/// <summary>
/// Open Bandit Pipeline's synthetic slate bandit, its essentials: contexts x ~ N(0, I_d); a base logit f(x, a) from
/// <see cref="ObpStyleBandit"/> (degree-1, uniform coefficients, one-hot actions); slot rewards Bernoulli(theta(l) q_l) with
/// q_l of <see cref="SlateRewardStructure"/> and theta(l) = (1/l)^eta; behaviour and evaluation policies Plackett-Luce
/// (sampling without replacement) over softmax(beta f(x, .)), so every propensity form is exact.
/// </summary>
/// <remarks>
/// Behaviour ported from OBP's SyntheticSlateBanditDataset (obp/dataset/synthetic_slate.py, st-tech/zr-obp @ 8cbd5fa): the
/// reward structures, the position-based click model, non-factorizable (without-replacement) softmax policies. Not ported:
/// numpy's random streams (numbers differ from OBP's for the same seed), OBP's cascade click model, factorizable policies,
/// continuous rewards, and the interaction matrix's exact distribution (here W is symmetric with N(0, 1) entries).
/// </remarks>
public sealed class ObpStyleSlateBandit
{
    private readonly ObpStyleSlateBanditOptions _options;
    private readonly ObpStyleBandit _base;
    private readonly double[] _interaction;

    /// <summary>Draws the world from <paramref name="seed"/>.</summary>
    public ObpStyleSlateBandit(ObpStyleSlateBanditOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _base = new ObpStyleBandit(new ObpStyleBanditOptions { Actions = options.Actions, ContextDimension = options.ContextDimension, RewardFunction = ObpRewardFunction.Linear }, seed);
        var k = options.Actions;
        var rng = Seeds.Stream(seed, "obp-style-slate/interaction");
        _interaction = new double[k * k];
        for (var a = 0; a < k; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                _interaction[a * k + b] = _interaction[b * k + a] = rng.NextGaussian();
            }
        }
    }

    /// <summary>The options.</summary>
    public ObpStyleSlateBanditOptions Options => _options;

    /// <summary>q_l(x, s) for every position of the slate <paramref name="slate"/>, after the click model.</summary>
    public void SlotRewards(ReadOnlySpan<double> baseLogits, ReadOnlySpan<int> slate, Span<double> q)
    {
        int k = _options.Actions, L = slate.Length;
        for (var l = 0; l < L; l++)
        {
            var z = baseLogits[slate[l]];
            for (var j = 0; j < L; j++)
            {
                if (j == l || (j > l && IsCascade))
                {
                    continue;
                }
                z += _options.RewardStructure switch
                {
                    SlateRewardStructure.CascadeAdditive or SlateRewardStructure.StandardAdditive => _interaction[slate[l] * k + slate[j]],
                    SlateRewardStructure.CascadeDecay or SlateRewardStructure.StandardDecay => -Math.Exp(-Math.Abs(l - j)) * baseLogits[slate[j]],
                    _ => 0,
                };
            }
            q[l] = 1 / (1 + Math.Exp(-z)) * Math.Pow(1.0 / (l + 1), _options.Eta);
        }
    }

    private bool IsCascade => _options.RewardStructure is SlateRewardStructure.CascadeAdditive or SlateRewardStructure.CascadeDecay;

    /// <summary>Logs <paramref name="slates"/> slates from the behaviour policy.</summary>
    public ObpStyleSlateSample Sample(int slates, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slates);
        int k = _options.Actions, L = _options.ListLength, d = _options.ContextDimension, rows = slates * L;
        var enumerate = RankingCount(k, L) <= _options.MaxEnumeratedRankings;
        var contexts = new double[slates * d];
        var ids = new int[rows];
        var positions = new int[rows];
        var actions = new int[rows];
        var rewards = new double[rows];
        var expected = new double[rows];
        double[] bJoint = new double[rows], bCascade = new double[rows], eJoint = new double[rows], eCascade = new double[rows];
        double[]? bItem = enumerate ? new double[rows] : null, eItem = enumerate ? new double[rows] : null;
        var distribution = new double[rows * k];
        var f = new double[k];
        var behaviourScores = new double[k];
        var evaluationScores = new double[k];
        var slate = new int[L];
        var q = new double[L];
        var bMarginal = new double[L * k];
        var eMarginal = new double[L * k];
        var available = new double[k];
        for (var i = 0; i < slates; i++)
        {
            var x = contexts.AsSpan(i * d, d);
            rng.FillGaussian(x);
            _base.BaseLogits(x, f);
            Exponentiate(f, _options.BehaviourBeta, behaviourScores);
            Exponentiate(f, _options.EvaluationBeta, evaluationScores);
            // Plackett-Luce draw without replacement
            behaviourScores.CopyTo(available, 0);
            for (var l = 0; l < L; l++)
            {
                var a = rng.Sample(Normalised(available));
                slate[l] = a;
                available[a] = 0;
            }
            SlotRewards(f, slate, q);
            if (enumerate)
            {
                Marginals(behaviourScores, L, bMarginal);
                Marginals(evaluationScores, L, eMarginal);
            }
            double bPrefix = 1, ePrefix = 1;
            behaviourScores.CopyTo(available, 0);
            for (var l = 0; l < L; l++)
            {
                var row = i * L + l;
                var a = slate[l];
                ids[row] = i;
                positions[row] = l;
                actions[row] = a;
                expected[row] = q[l];
                rewards[row] = rng.NextDouble() < q[l] ? 1 : 0;
                // each policy's next-action distribution given the logged prefix: s_b / sum of the scores not yet shown
                var dist = distribution.AsSpan(row * k, k);
                evaluationScores.CopyTo(dist);
                for (var j = 0; j < l; j++)
                {
                    dist[slate[j]] = 0;
                }
                TensorPrimitives.Divide(dist, TensorPrimitives.Sum(dist), dist);
                bPrefix *= available[a] / TensorPrimitives.Sum(available);
                ePrefix *= dist[a];
                available[a] = 0;
                bCascade[row] = bPrefix;
                eCascade[row] = ePrefix;
                if (enumerate)
                {
                    bItem![row] = bMarginal[l * k + a];
                    eItem![row] = eMarginal[l * k + a];
                }
            }
            for (var l = 0; l < L; l++)
            {
                bJoint[i * L + l] = bPrefix;
                eJoint[i * L + l] = ePrefix;
            }
        }
        var log = new SlateLog(k, L, ids, positions, actions, rewards, new SlatePropensities(bJoint, bItem, bCascade), new FeatureMatrix(slates, d, contexts));
        return new ObpStyleSlateSample(log, new SlatePropensities(eJoint, eItem, eCascade), distribution, expected);
    }

    /// <summary>The evaluation policy's value E_x E_{s ~ pi_e} sum_l q_l(x, s), by Monte Carlo over <paramref name="samples"/> fresh contexts and slates.</summary>
    public double EvaluationPolicyValue(int samples, ulong seed) => PolicyValue(_options.EvaluationBeta, samples, seed);

    /// <summary>The value of the Plackett-Luce policy at temperature <paramref name="beta"/>, by Monte Carlo.</summary>
    public double PolicyValue(double beta, int samples, ulong seed)
    {
        int k = _options.Actions, L = _options.ListLength;
        var rng = Seeds.Stream(seed, "obp-style-slate/truth");
        var x = new double[_options.ContextDimension];
        var f = new double[k];
        var scores = new double[k];
        var slate = new int[L];
        var q = new double[L];
        var sum = 0.0;
        for (var s = 0; s < samples; s++)
        {
            rng.FillGaussian(x);
            _base.BaseLogits(x, f);
            Exponentiate(f, beta, scores);
            for (var l = 0; l < L; l++)
            {
                slate[l] = rng.Sample(Normalised(scores));
                scores[slate[l]] = 0;
            }
            SlotRewards(f, slate, q);
            sum += TensorPrimitives.Sum(q);
        }
        return sum / samples;
    }

    private static double[] Normalised(double[] scores)
    {
        var p = (double[])scores.Clone();
        TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
        return p;
    }

    private static void Exponentiate(ReadOnlySpan<double> f, double beta, Span<double> scores)
    {
        TensorPrimitives.Multiply(f, beta, scores);
        TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), scores);
        TensorPrimitives.Exp(scores, scores);
    }

    private static long RankingCount(int k, int l)
    {
        long count = 1;
        for (var j = 0; j < l; j++)
        {
            count *= k - j;
            if (count > int.MaxValue)
            {
                return long.MaxValue;
            }
        }
        return count;
    }

    /// <summary>P(action a at position l) under Plackett-Luce, by enumerating every ranking of length L.</summary>
    private static void Marginals(double[] scores, int length, double[] marginal)
    {
        Array.Clear(marginal);
        var used = new bool[scores.Length];
        var total = scores.Sum();
        void Visit(int l, double probability, double remaining)
        {
            if (l == length)
            {
                return;
            }
            for (var a = 0; a < scores.Length; a++)
            {
                if (used[a])
                {
                    continue;
                }
                var p = probability * scores[a] / remaining;
                marginal[l * scores.Length + a] += p;
                used[a] = true;
                Visit(l + 1, p, remaining - scores[a]);
                used[a] = false;
            }
        }
        Visit(0, 1, total);
    }
}
