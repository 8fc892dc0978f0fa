using System.Runtime.CompilerServices;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Obp;

/// <summary>
/// An estimator as Open Bandit Pipeline 0.5.5 computes it (<c>obp/ope/estimators.py</c>, st-tech/zr-obp @ 8cbd5fa):
/// a round-wise reward r^_t on the whole log (self-normalisers included), the estimate their mean, and OBP's bootstrap
/// interval of that mean (<see cref="EstimateLikeObp"/>). Through <see cref="OffPolicyEstimator"/> its one statistic per
/// round is r^_t, so Cobalt's own bootstrap also works on it (resampling rounds without re-normalising, as OBP does).
/// </summary>
public abstract class ObpEstimator : OffPolicyEstimator
{
    private readonly ConditionalWeakTable<EstimationInput, double[]> _cache = [];

    /// <summary>OBP's <c>estimator_name</c>.</summary>
    public abstract string ObpName { get; }

    /// <summary>r^_t for every round (OBP's <c>_estimate_round_rewards</c>).</summary>
    public abstract double[] RoundRewards(EstimationInput input);

    /// <inheritdoc />
    protected override int StatisticCount => 1;

    /// <inheritdoc />
    protected override void RoundStatistics(EstimationInput input, int t, Span<double> statistics) =>
        statistics[0] = _cache.GetValue(input, RoundRewards)[t];

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int rounds) => sums[0] / rounds;

    /// <summary>OBP's <c>estimate_policy_value</c>: np.mean of the round rewards.</summary>
    public double ValueLikeObp(EstimationInput input) => NumpyMath.Mean(_cache.GetValue(input, RoundRewards));

    /// <summary>
    /// OBP's <c>estimate_interval</c> (<c>obp/utils.py</c> <c>estimate_confidence_interval_by_bootstrap</c>): a fresh numpy
    /// RandomState(<paramref name="seed"/>) per estimator; <paramref name="resamples"/> times the mean of
    /// <c>choice(r^, size=n)</c> (n uniform indices by <c>randint</c>); the interval the linear percentiles 100 alpha/2 and
    /// 100 (1 - alpha/2). The standard error reported is the bootstrap means' standard deviation (ddof 1).
    /// </summary>
    public PolicyEstimate EstimateLikeObp(EstimationInput input, int resamples = 100, double alpha = 0.05, uint seed = 12345)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 2);
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha is in (0, 1).");
        }
        var rewards = _cache.GetValue(input, RoundRewards);
        var n = rewards.Length;
        var rng = new NumpyRandomState(seed);
        var sample = new double[n];
        var means = new double[resamples];
        // randint(0, n) as numpy draws it (NumpyRandomState.RandInt), unrolled: 32-bit words masked to the smallest
        // 2^k - 1 >= n - 1, rejected above n - 1.
        var max = (uint)(n - 1);
        var mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < n; i++)
            {
                uint index;
                do
                {
                    index = max == 0 ? 0 : rng.NextUInt32() & mask;
                }
                while (index > max);
                sample[i] = rewards[index];
            }
            means[b] = NumpyMath.Mean(sample);
        }
        var mean = NumpyMath.Mean(means);
        var se = Math.Sqrt(means.Sum(m => (m - mean) * (m - mean)) / (resamples - 1));
        Array.Sort(means);
        return new PolicyEstimate(Name, NumpyMath.Mean(rewards), NumpyMath.Percentile(means, 100 * (alpha / 2)), NumpyMath.Percentile(means, 100 * (1.0 - (alpha / 2))), se);
    }

    /// <summary>w_t = pi(a_t | x_t, p_t) / p_t.</summary>
    protected static double[] Weights(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Enumerable.Range(0, input.Log.Count).Select(input.Weight).ToArray();
    }

    /// <summary>
    /// OBP's direct term <c>np.average(q_hat[t, :, p_t], weights=pi_e[t, :, p_t])</c>: sum_a pi q / sum_a pi, both sums numpy's.
    /// </summary>
    protected static double[] DirectTerms(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var predictions = input.Predictions ?? throw new ArgumentException("This estimator needs reward predictions.", nameof(input));
        var k = input.Log.ActionCount;
        var product = new double[k];
        var terms = new double[input.Log.Count];
        for (var t = 0; t < terms.Length; t++)
        {
            var pi = input.Policy.Row(t);
            var q = predictions.Row(t);
            for (var a = 0; a < k; a++)
            {
                product[a] = q[a] * pi[a];
            }
            terms[t] = NumpyMath.Sum(product) / NumpyMath.Sum(pi);
        }
        return terms;
    }

    /// <summary>r_t - q-hat(x_t, a_t, p_t).</summary>
    protected static double[] Residuals(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Enumerable.Range(0, input.Log.Count).Select(input.Residual).ToArray();
    }
}

/// <summary>OBP's ReplayMethod ("rm"): m_t = 1{pi(a_t | x_t, p_t) == 1}; r^_t = m_t r_t / mean(m) (all zero when no round matches; Li et al. 2011).</summary>
/// <remarks>Only a deterministic policy's rounds can match: for the stochastic BTS and uniform policies of the OBD benchmark, OBP's Replay is 0.</remarks>
public sealed class ObpReplay : ObpEstimator
{
    /// <inheritdoc />
    public override string Key => "replay";

    /// <inheritdoc />
    public override string ObpName => "rm";

    /// <inheritdoc />
    public override string Name => "Replay (OBP)";

    /// <inheritdoc />
    public override double[] RoundRewards(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var n = input.Log.Count;
        var match = Enumerable.Range(0, n).Select(t => input.Policy[t, input.Log.Actions[t]] == 1 ? 1.0 : 0.0).ToArray();
        var rate = NumpyMath.Mean(match);
        return rate > 0 ? Enumerable.Range(0, n).Select(t => match[t] * input.Log.Rewards[t] / rate).ToArray() : new double[n];
    }
}

/// <summary>OBP's DirectMethod ("dm"): r^_t = sum_a pi(a | x_t, p_t) q-hat(x_t, a, p_t) / sum_a pi(a | x_t, p_t).</summary>
public sealed class ObpDirectMethod : ObpEstimator
{
    /// <inheritdoc />
    public override string Key => "dm";

    /// <inheritdoc />
    public override string ObpName => "dm";

    /// <inheritdoc />
    public override string Name => "DM (OBP)";

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    public override double[] RoundRewards(EstimationInput input) => DirectTerms(input);
}

/// <summary>OBP's InverseProbabilityWeighting ("ipw"): r^_t = min(w_t, lambda) r_t (lambda = +infinity: no clipping).</summary>
public sealed class ObpIps(double lambda = double.PositiveInfinity) : ObpEstimator
{
    /// <summary>The clipping level.</summary>
    public double Lambda { get; } = lambda > 0 ? lambda : throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be positive.");

    /// <inheritdoc />
    public override string Key => double.IsPositiveInfinity(Lambda) ? "ips" : "clipped-ips";

    /// <inheritdoc />
    public override string ObpName => "ipw";

    /// <inheritdoc />
    public override string Name => double.IsPositiveInfinity(Lambda) ? "IPS (OBP)" : $"clipped IPS (OBP, lambda = {ObpEvaluation.FormatLambda(Lambda)})";

    /// <inheritdoc />
    public override double[] RoundRewards(EstimationInput input)
    {
        var w = Weights(input);
        return w.Select((wt, t) => input.Log.Rewards[t] * Math.Min(wt, Lambda)).ToArray();
    }
}

/// <summary>OBP's SelfNormalizedInverseProbabilityWeighting ("snipw"): r^_t = r_t w_t / mean(w).</summary>
public sealed class ObpSnips : ObpEstimator
{
    /// <inheritdoc />
    public override string Key => "snips";

    /// <inheritdoc />
    public override string ObpName => "snipw";

    /// <inheritdoc />
    public override string Name => "SNIPS (OBP)";

    /// <inheritdoc />
    public override double[] RoundRewards(EstimationInput input)
    {
        var w = Weights(input);
        var mean = NumpyMath.Mean(w);
        return w.Select((wt, t) => input.Log.Rewards[t] * wt / mean).ToArray();
    }
}

/// <summary>OBP's DoublyRobust ("dr"), Switch-DR ("switch-dr") and DR with optimistic shrinkage ("dr-os"), each at a fixed lambda.</summary>
/// <remarks>
/// r^_t = DM_t + w~_t (r_t - q-hat_t) with w~ = w (DR, and DRos at lambda = +infinity), w 1{w &lt;= lambda} (Switch-DR;
/// Wang et al. 2017), lambda w / (w^2 + lambda) (DRos; Su et al. 2020). SNDR ("sndr") divides w (r - q-hat) by mean(w).
/// </remarks>
public sealed class ObpDoublyRobust : ObpEstimator
{
    private readonly string _kind;

    private ObpDoublyRobust(string kind, double lambda)
    {
        if (!(lambda > 0) && kind is "switch-dr" or "dros")
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be positive.");
        }
        _kind = kind;
        Lambda = lambda;
    }

    /// <summary>Plain DR.</summary>
    public static ObpDoublyRobust Plain() => new("dr", double.PositiveInfinity);

    /// <summary>Self-normalised DR.</summary>
    public static ObpDoublyRobust SelfNormalized() => new("sndr", double.PositiveInfinity);

    /// <summary>Switch-DR at threshold <paramref name="lambda"/>.</summary>
    public static ObpDoublyRobust Switch(double lambda) => new("switch-dr", lambda);

    /// <summary>DRos at shrinkage <paramref name="lambda"/> (+infinity: plain DR).</summary>
    public static ObpDoublyRobust Shrinkage(double lambda) => new("dros", lambda);

    /// <summary>The hyperparameter (unused by DR and SNDR).</summary>
    public double Lambda { get; }

    /// <inheritdoc />
    public override string Key => _kind;

    /// <inheritdoc />
    public override string ObpName => _kind == "dros" ? "dr-os" : _kind;

    /// <inheritdoc />
    public override string Name => _kind switch
    {
        "dr" => "DR (OBP)",
        "sndr" => "SNDR (OBP)",
        "switch-dr" => $"Switch-DR (OBP, lambda = {ObpEvaluation.FormatLambda(Lambda)})",
        _ => $"DRos (OBP, lambda = {ObpEvaluation.FormatLambda(Lambda)})",
    };

    /// <inheritdoc />
    public override bool NeedsRewardModel => true;

    /// <inheritdoc />
    public override double[] RoundRewards(EstimationInput input)
    {
        var direct = DirectTerms(input);
        var w = Weights(input);
        var residual = Residuals(input);
        var meanW = _kind == "sndr" ? NumpyMath.Mean(w) : 1;
        var result = new double[direct.Length];
        for (var t = 0; t < result.Length; t++)
        {
            var correction = _kind switch
            {
                "dr" => w[t] * residual[t],
                "sndr" => w[t] * residual[t] / meanW,
                "switch-dr" => (w[t] <= Lambda ? 1 : 0) * w[t] * residual[t],
                _ => (double.IsPositiveInfinity(Lambda) ? w[t] : Lambda * w[t] / ((w[t] * w[t]) + Lambda)) * residual[t],
            };
            result[t] = direct[t] + correction;
        }
        return result;
    }
}

/// <summary>
/// An OBP estimator whose lambda is chosen by SLOPE (<c>obp/ope/estimators_tuning.py</c>, <c>tuning_method="slope"</c>,
/// SLOPE++ of Tucker and Lee 2021 after Su, Srinath and Krishnamurthy 2020): candidates sorted (descending for clipped IPS
/// and Switch-DR, ascending for DRos); for each, theta = mean(r^) and the width cnf = mean(r^) - (mean(r^) -
/// sqrt(var(r^) / (n - 1)) t_{n-1}(1 - delta)), delta = 0.1; walking the candidates by decreasing cnf (numpy's argsort
/// reversed, so ties go to the later one), keep each while |theta_j - theta_i| &lt;= cnf_i + (sqrt 6 - 1) cnf_j for all
/// kept j; at the first failure take the previous one, else the last.
/// </summary>
public sealed class ObpSlopeTuned : ObpEstimator
{
    /// <summary>OBP's OBD example candidates: 10, 50, 100, 500, 1000, 5000, 10000, +infinity.</summary>
    public static IReadOnlyList<double> DefaultLambdas { get; } = [10, 50, 100, 500, 1000, 5000, 10000, double.PositiveInfinity];

    private readonly Func<double, ObpEstimator> _create;
    private readonly string _key;
    private readonly string _name;
    private readonly string _obpName;
    private readonly ConditionalWeakTable<EstimationInput, StrongBox<double>> _chosen = [];

    private ObpSlopeTuned(string key, string obpName, string name, Func<double, ObpEstimator> create, IEnumerable<double>? lambdas, bool descending, double delta)
    {
        var list = (lambdas ?? DefaultLambdas).ToList();
        if (list.Count == 0 || list.Any(l => !(l > 0)))
        {
            throw new ArgumentException("SLOPE needs at least one positive candidate lambda.", nameof(lambdas));
        }
        list.Sort();
        if (descending)
        {
            list.Reverse();
        }
        Lambdas = list;
        Delta = delta is > 0 and < 1 ? delta : throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta is in (0, 1).");
        _key = key;
        _obpName = obpName;
        _name = name;
        _create = create;
    }

    /// <summary>Clipped IPS tuned by SLOPE (OBP's InverseProbabilityWeightingTuning).</summary>
    public static ObpSlopeTuned ClippedIps(IEnumerable<double>? lambdas = null, double delta = 0.1) =>
        new("clipped-ips", "ipw", "clipped IPS (OBP, SLOPE)", l => new ObpIps(l), lambdas, descending: true, delta);

    /// <summary>Switch-DR tuned by SLOPE (OBP's SwitchDoublyRobustTuning).</summary>
    public static ObpSlopeTuned SwitchDr(IEnumerable<double>? lambdas = null, double delta = 0.1) =>
        new("switch-dr", "switch-dr", "Switch-DR (OBP, SLOPE)", ObpDoublyRobust.Switch, lambdas, descending: true, delta);

    /// <summary>DRos tuned by SLOPE (OBP's DoublyRobustWithShrinkageTuning).</summary>
    public static ObpSlopeTuned Dros(IEnumerable<double>? lambdas = null, double delta = 0.1) =>
        new("dros", "dr-os", "DRos (OBP, SLOPE)", ObpDoublyRobust.Shrinkage, lambdas, descending: false, delta);

    /// <summary>The candidates in the order SLOPE walks them.</summary>
    public IReadOnlyList<double> Lambdas { get; }

    /// <summary>The confidence delta of the width.</summary>
    public double Delta { get; }

    /// <inheritdoc />
    public override string Key => _key;

    /// <inheritdoc />
    public override string ObpName => _obpName;

    /// <inheritdoc />
    public override string Name => _name;

    /// <inheritdoc />
    public override bool NeedsRewardModel => _key != "clipped-ips";

    /// <summary>The lambda SLOPE picks on <paramref name="input"/>.</summary>
    public double SelectLambda(EstimationInput input) => _chosen.GetValue(input, i => new StrongBox<double>(Select(i))).Value;

    /// <inheritdoc />
    public override double[] RoundRewards(EstimationInput input) => _create(SelectLambda(input)).RoundRewards(input);

    private double Select(EstimationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var n = input.Log.Count;
        var quantile = NumpyMath.StudentTQuantile(1.0 - Delta, n - 1);
        var theta = new double[Lambdas.Count];
        var cnf = new double[Lambdas.Count];
        for (var i = 0; i < Lambdas.Count; i++)
        {
            var r = _create(Lambdas[i]).RoundRewards(input);
            var mean = NumpyMath.Mean(r);
            theta[i] = mean;
            var ci = Math.Sqrt(NumpyMath.Variance(r) / (n - 1)) * quantile;
            cnf[i] = mean - (NumpyMath.Mean(r) - ci);
        }
        // np.argsort (insertion sort below 17 entries: stable) reversed.
        var order = Enumerable.Range(0, cnf.Length).OrderBy(i => cnf[i]).Reverse().ToArray();
        var c = Math.Sqrt(6) - 1;
        var kept = new List<int>();
        for (var i = 0; i < order.Length; i++)
        {
            var idx = order[i];
            if (kept.Count == 0 || kept.All(j => Math.Abs(theta[j] - theta[idx]) <= cnf[idx] + (c * cnf[j])))
            {
                kept.Add(idx);
            }
            else
            {
                return Lambdas[order[i - 1]];
            }
        }
        return Lambdas[order[^1]];
    }
}

/// <summary>The estimators of <c>cobalt evaluate --like obp</c>, each computed as OBP 0.5.5 computes it.</summary>
public static class ObpEstimatorSuite
{
    /// <summary>
    /// replay, dm, ips, clipped-ips (SLOPE), snips, dr, sndr, switch-dr (SLOPE), dros (SLOPE): OBP's ReplayMethod, DM, IPW,
    /// IPW tuning, SNIPW, DR, SNDR, SwitchDoublyRobustTuning and DoublyRobustWithShrinkageTuning with
    /// <paramref name="lambdas"/> (default <see cref="ObpSlopeTuned.DefaultLambdas"/>).
    /// </summary>
    public static IReadOnlyList<ObpEstimator> LikeObp(IEnumerable<double>? lambdas = null)
    {
        var candidates = (lambdas ?? ObpSlopeTuned.DefaultLambdas).ToArray();
        return
        [
            new ObpReplay(),
            new ObpDirectMethod(),
            new ObpIps(),
            ObpSlopeTuned.ClippedIps(candidates),
            new ObpSnips(),
            ObpDoublyRobust.Plain(),
            ObpDoublyRobust.SelfNormalized(),
            ObpSlopeTuned.SwitchDr(candidates),
            ObpSlopeTuned.Dros(candidates),
        ];
    }
}
