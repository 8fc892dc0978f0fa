using Cobalt.Core.Data;

namespace Cobalt.Evaluation.Continuous;

/// <summary>
/// Logged feedback with a continuous (real-valued) action: context x_i, action a_i, reward r_i, and the logging policy's
/// density at the action q_i = pi_b(a_i | x_i) (a generalised propensity score: positive and finite, not bounded by 1).
/// </summary>
/// <remarks>The input of Open Bandit Pipeline's continuous-action estimators (obp/ope/estimators_continuous.py,
/// st-tech/zr-obp @ 8cbd5fa).</remarks>
public sealed class ContinuousLog
{
    /// <summary>Creates the log after checking every round; the first bad round is named.</summary>
    public ContinuousLog(double[] actions, double[] rewards, double[] densities, FeatureMatrix? contexts = null)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(densities);
        var n = actions.Length;
        if (rewards.Length != n || densities.Length != n || (contexts is not null && contexts.Rows != n))
        {
            throw new ArgumentException($"A continuous-action log needs one action, reward, density (and context row) per round: got {n} actions, {rewards.Length} rewards, {densities.Length} densities{(contexts is null ? "" : $", {contexts.Rows} contexts")}.", nameof(actions));
        }
        for (var t = 0; t < n; t++)
        {
            if (!double.IsFinite(actions[t]))
            {
                throw new ArgumentException($"Round {t}: the action is {actions[t]}; actions must be finite.", nameof(actions));
            }
            if (!double.IsFinite(rewards[t]))
            {
                throw new ArgumentException($"Round {t}: the reward is {rewards[t]}; rewards must be finite.", nameof(rewards));
            }
            if (!(densities[t] > 0 && double.IsFinite(densities[t])))
            {
                throw new ArgumentException($"Round {t}: the logging density is {densities[t]}; it must be positive and finite.", nameof(densities));
            }
        }
        Actions = actions;
        Rewards = rewards;
        Densities = densities;
        Contexts = contexts;
    }

    /// <summary>Logged actions a_i.</summary>
    public double[] Actions { get; }

    /// <summary>Rewards r_i.</summary>
    public double[] Rewards { get; }

    /// <summary>Logging densities q_i = pi_b(a_i | x_i).</summary>
    public double[] Densities { get; }

    /// <summary>Contexts, if given.</summary>
    public FeatureMatrix? Contexts { get; }

    /// <summary>Number of rounds.</summary>
    public int Count => Actions.Length;
}

/// <summary>What a kernel estimator reads: the log, the deterministic evaluation policy's action pi_e(x_i) on every round,
/// and for kernel DR a reward model's prediction q-hat(x_i, pi_e(x_i)).</summary>
public sealed class ContinuousEstimationInput
{
    /// <summary>Checks that the shapes agree and the values are finite.</summary>
    public ContinuousEstimationInput(ContinuousLog log, double[] evaluationActions, double[]? predictions = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(evaluationActions);
        if (evaluationActions.Length != log.Count)
        {
            throw new ArgumentException($"The evaluation policy gives {evaluationActions.Length} actions; the log has {log.Count} rounds.", nameof(evaluationActions));
        }
        var bad = FeatureMatrix.FirstNonFinite(evaluationActions);
        if (bad >= 0)
        {
            throw new ArgumentException($"Round {bad}: the evaluation policy's action is {evaluationActions[bad]}.", nameof(evaluationActions));
        }
        if (predictions is not null)
        {
            if (predictions.Length != log.Count)
            {
                throw new ArgumentException($"There are {predictions.Length} reward predictions; the log has {log.Count} rounds.", nameof(predictions));
            }
            bad = FeatureMatrix.FirstNonFinite(predictions);
            if (bad >= 0)
            {
                throw new ArgumentException($"Round {bad}: the reward prediction is {predictions[bad]}.", nameof(predictions));
            }
        }
        Log = log;
        EvaluationActions = evaluationActions;
        Predictions = predictions;
    }

    /// <summary>The log.</summary>
    public ContinuousLog Log { get; }

    /// <summary>pi_e(x_i).</summary>
    public double[] EvaluationActions { get; }

    /// <summary>q-hat(x_i, pi_e(x_i)), when given.</summary>
    public double[]? Predictions { get; }
}

/// <summary>Smoothing kernels K(u), each integrating to 1.</summary>
public enum SmoothingKernel
{
    /// <summary>K(u) = exp(-u^2 / 2) / sqrt(2 pi).</summary>
    Gaussian,

    /// <summary>K(u) = 3/4 (1 - u^2) on |u| &lt;= 1.</summary>
    Epanechnikov,

    /// <summary>K(u) = 1 - |u| on |u| &lt;= 1.</summary>
    Triangular,

    /// <summary>K(u) = pi/4 cos(pi u / 2) on |u| &lt;= 1.</summary>
    Cosine,
}

/// <summary>The kernel functions (obp/ope/estimators_continuous.py's kernel_functions, st-tech/zr-obp @ 8cbd5fa).</summary>
public static class SmoothingKernels
{
    /// <summary>K(u).</summary>
    public static double Evaluate(SmoothingKernel kernel, double u)
    {
        var c = Math.Clamp(u, -1.0, 1.0);
        return kernel switch
        {
            SmoothingKernel.Gaussian => Math.Exp(-(u * u) / 2) / Math.Sqrt(2 * Math.PI),
            SmoothingKernel.Epanechnikov => 0.75 * (1 - c * c),
            SmoothingKernel.Triangular => 1 - Math.Abs(c),
            SmoothingKernel.Cosine => Math.PI / 4 * Math.Cos(c * Math.PI / 2),
            _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown kernel."),
        };
    }
}

/// <summary>Which kernel estimator.</summary>
public enum KernelEstimatorKind
{
    /// <summary>V = (1/n) sum_i K((pi_e(x_i) - a_i) / h) r_i / (h q_i).</summary>
    Ipw,

    /// <summary>V = sum_i K(u_i) r_i / q_i / sum_i K(u_i) / q_i (h cancels).</summary>
    SelfNormalisedIpw,

    /// <summary>V = (1/n) sum_i [ K(u_i) (r_i - q-hat(x_i, pi_e(x_i))) / (h q_i) + q-hat(x_i, pi_e(x_i)) ].</summary>
    DoublyRobust,
}

/// <summary>
/// Kernelised off-policy estimators for a deterministic policy over a continuous action: the indicator 1{a_i = pi_e(x_i)}
/// of discrete IPS, which is almost surely 0, is replaced by K((pi_e(x_i) - a_i) / h) / h with a smoothing kernel K and a
/// bandwidth h (larger h: more bias, less variance). Formulas in <see cref="KernelEstimatorKind"/>.
/// </summary>
/// <remarks>Kallus and Zhou (2018) "Policy Evaluation and Optimization with Continuous Treatments". Ported from Open Bandit
/// Pipeline's KernelizedInverseProbabilityWeighting, KernelizedSelfNormalizedInverseProbabilityWeighting and
/// KernelizedDoublyRobust (obp/ope/estimators_continuous.py, st-tech/zr-obp @ 8cbd5fa); keys are OBP's names, kebab-cased.</remarks>
public sealed class KernelEstimator : UnitEstimator<ContinuousEstimationInput>
{
    /// <summary>Creates the estimator.</summary>
    public KernelEstimator(KernelEstimatorKind kind, SmoothingKernel kernel, double bandwidth)
    {
        if (!(bandwidth > 0 && double.IsFinite(bandwidth)))
        {
            throw new ArgumentOutOfRangeException(nameof(bandwidth), bandwidth, "The bandwidth must be positive and finite.");
        }
        if (!Enum.IsDefined(kernel))
        {
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown kernel.");
        }
        Kind = kind;
        Kernel = kernel;
        Bandwidth = bandwidth;
    }

    /// <summary>Which estimator.</summary>
    public KernelEstimatorKind Kind { get; }

    /// <summary>K.</summary>
    public SmoothingKernel Kernel { get; }

    /// <summary>h.</summary>
    public double Bandwidth { get; }

    /// <inheritdoc />
    public override string Key => Kind switch
    {
        KernelEstimatorKind.Ipw => "kernelized-ipw",
        KernelEstimatorKind.SelfNormalisedIpw => "kernelized-snipw",
        _ => "kernelized-dr",
    };

    /// <inheritdoc />
    public override string Name => $"{Kind switch { KernelEstimatorKind.Ipw => "Kernel IPW", KernelEstimatorKind.SelfNormalisedIpw => "Kernel SNIPW", _ => "Kernel DR" }} ({Kernel.ToString().ToLowerInvariant()}, h = {Bandwidth})";

    /// <inheritdoc />
    protected override int Units(ContinuousEstimationInput input) => input.Log.Count;

    /// <inheritdoc />
    protected override int StatisticCount(ContinuousEstimationInput input) => Kind == KernelEstimatorKind.SelfNormalisedIpw ? 2 : 1;

    /// <inheritdoc />
    protected override void Check(ContinuousEstimationInput input)
    {
        if (Kind == KernelEstimatorKind.DoublyRobust && input.Predictions is null)
        {
            throw new ArgumentException($"{Key} needs reward predictions q-hat(x_i, pi_e(x_i)).", nameof(input));
        }
    }

    /// <inheritdoc />
    protected override void UnitStatistics(ContinuousEstimationInput input, int unit, Span<double> statistics)
    {
        var log = input.Log;
        var u = (input.EvaluationActions[unit] - log.Actions[unit]) / Bandwidth;
        var k = SmoothingKernels.Evaluate(Kernel, u);
        switch (Kind)
        {
            case KernelEstimatorKind.Ipw:
                statistics[0] = k * log.Rewards[unit] / log.Densities[unit] / Bandwidth;
                break;
            case KernelEstimatorKind.SelfNormalisedIpw:
                statistics[0] = k * log.Rewards[unit] / log.Densities[unit];
                statistics[1] = k / log.Densities[unit];
                break;
            default:
                var q = input.Predictions![unit];
                statistics[0] = k * (log.Rewards[unit] - q) / log.Densities[unit] / Bandwidth + q;
                break;
        }
    }

    /// <inheritdoc />
    protected override double Combine(ReadOnlySpan<double> sums, int units) =>
        Kind == KernelEstimatorKind.SelfNormalisedIpw ? sums[0] / units / (sums[1] / units) : sums[0] / units;
}
