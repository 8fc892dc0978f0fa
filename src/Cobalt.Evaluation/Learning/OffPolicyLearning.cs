using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Learning;

/// <summary>What a learned policy maximises.</summary>
public enum LearningObjective
{
    /// <summary>The clipped IPS estimate (1/n) sum_t min(w_t, M) r_t.</summary>
    Ips,

    /// <summary>The DR estimate (1/n) sum_t [ sum_a pi q-hat + min(w_t, M) (r_t - q-hat_t) ].</summary>
    DoublyRobust,
}

/// <summary>Options of <see cref="OffPolicyLearning.LearnSoftmax"/>.</summary>
public sealed record PolicyLearningOptions : IValidatable
{
    /// <summary>Objective.</summary>
    [Description("What to maximise: ips or doubly-robust.")]
    public LearningObjective Objective { get; init; } = LearningObjective.Ips;

    /// <summary>Clipping level of the weights.</summary>
    [Description("Clip importance weights at M (variance control).")]
    public double MaxWeight { get; init; } = 50;

    /// <summary>Variance penalty.</summary>
    [Description("lambda of the sample-variance penalty lambda sqrt(Var(u) / n) (Swaminathan and Joachims 2015's counterfactual risk minimisation).")]
    public double VariancePenalty { get; init; } = 0.5;

    /// <summary>L2 penalty.</summary>
    [Description("L2 penalty on the weights.")]
    public double L2 { get; init; } = 1e-3;

    /// <summary>Gradient steps.</summary>
    [Description("Full-batch gradient steps (Adam).")]
    public int Steps { get; init; } = 300;

    /// <summary>Adam step size.</summary>
    [Description("Adam step size.")]
    public double LearningRate { get; init; } = 0.05;

    /// <inheritdoc />
    public void Validate()
    {
        Require.Defined(Objective, nameof(Objective));
        Require.Positive(MaxWeight, nameof(MaxWeight));
        Require.NonNegative(VariancePenalty, nameof(VariancePenalty));
        Require.NonNegative(L2, nameof(L2));
        Require.AtLeast(Steps, 1, nameof(Steps));
        Require.Positive(LearningRate, nameof(LearningRate));
    }
}

/// <summary>Learning new policies from logged bandit feedback.</summary>
public static class OffPolicyLearning
{
    /// <summary>
    /// A softmax policy maximising the clipped IPS (or DR) estimate minus a variance penalty,
    /// J(theta) = mean_t u_t - lambda sqrt(Var(u) / n) - l2/2 ||theta||^2, by full-batch Adam; the gradient of
    /// pi(a_t | x_t) with respect to theta_b is pi(a_t)(1{b = a_t} - pi(b)) [x_t, 1]. Weights are clipped at M without
    /// a gradient through the clip (POEM, Swaminathan and Joachims 2015).
    /// </summary>
    public static SoftmaxPolicy LearnSoftmax(BanditLog log, PolicyLearningOptions options, RewardPredictions? predictions = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Objective == LearningObjective.DoublyRobust && predictions is null)
        {
            throw new ArgumentException("The doubly robust objective needs reward predictions.", nameof(predictions));
        }
        int k = log.ActionCount, d = log.Contexts.Columns, width = d + 1, n = log.Count;
        var theta = new double[k * width];
        var gradient = new double[k * width];
        var adam = new Adam(theta.Length, options.LearningRate);
        var pi = new double[k];
        var u = new double[n];
        var du = new double[n][]; // per-round gradient of u_t with respect to the logits (K values)
        for (var t = 0; t < n; t++)
        {
            du[t] = new double[k];
        }
        var policy = new SoftmaxPolicy(k, d, theta);
        for (var step = 0; step < options.Steps; step++)
        {
            for (var t = 0; t < n; t++)
            {
                policy.Probabilities(log.Contexts.Row(t), pi);
                var a = log.Actions[t];
                var w = pi[a] / log.Propensities[t];
                var clipped = w > options.MaxWeight;
                var dr = options.Objective == LearningObjective.DoublyRobust;
                var q = dr ? predictions!.Row(t) : [];
                var residual = dr ? log.Rewards[t] - q[a] : log.Rewards[t];
                var direct = dr ? TensorPrimitives.Dot(pi, q) : 0;
                u[t] = direct + Math.Min(w, options.MaxWeight) * residual;
                // d u / d logit_b = [importance part] + [direct part]
                var coefficient = clipped ? 0 : residual / log.Propensities[t];
                for (var b = 0; b < k; b++)
                {
                    var importance = coefficient * pi[a] * ((b == a ? 1 : 0) - pi[b]);
                    var model = dr ? pi[b] * (q[b] - direct) : 0;
                    du[t][b] = importance + model;
                }
            }
            var mean = u.Average();
            var variance = u.Sum(v => (v - mean) * (v - mean)) / Math.Max(n - 1, 1);
            var std = Math.Sqrt(variance / n);
            Array.Clear(gradient);
            for (var t = 0; t < n; t++)
            {
                // d/du_t of mean - lambda sqrt(Var / n): 1/n - lambda (u_t - mean) / ((n - 1) n std)
                var scale = 1.0 / n - (std > 1e-12 ? options.VariancePenalty * (u[t] - mean) / ((n - 1) * n * std) : 0);
                var x = log.Contexts.Row(t);
                for (var b = 0; b < k; b++)
                {
                    var g = scale * du[t][b];
                    if (g != 0)
                    {
                        var row = gradient.AsSpan(b * width, width);
                        TensorPrimitives.MultiplyAdd(x, g, row[..d], row[..d]);
                        row[d] += g;
                    }
                }
            }
            TensorPrimitives.MultiplyAdd(theta, -options.L2, gradient, gradient);
            adam.Ascend(theta, gradient);
        }
        return new SoftmaxPolicy(k, d, theta);
    }

    /// <summary>
    /// The IPS-weighted classifier baseline (Zadrozny 2003; Beygelzimer and Langford 2009): softmax regression predicting
    /// the logged action with sample weights r_t / p_t, deployed greedily (the argmax). Rewards must be non-negative.
    /// </summary>
    public static SoftmaxPolicy IpsWeightedClassifier(BanditLog log, double l2 = 1e-3, int steps = 300, double learningRate = 0.05)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.Rewards.Any(r => r < 0))
        {
            throw new ArgumentException("The IPS-weighted classifier needs non-negative rewards.", nameof(log));
        }
        int k = log.ActionCount, d = log.Contexts.Columns, width = d + 1, n = log.Count;
        var theta = new double[k * width];
        var gradient = new double[k * width];
        var adam = new Adam(theta.Length, learningRate);
        var pi = new double[k];
        var policy = new SoftmaxPolicy(k, d, theta);
        var totalWeight = Enumerable.Range(0, n).Sum(t => log.Rewards[t] / log.Propensities[t]);
        if (totalWeight <= 0)
        {
            throw new ArgumentException("The log has no positive reward to learn from.", nameof(log));
        }
        for (var step = 0; step < steps; step++)
        {
            Array.Clear(gradient);
            for (var t = 0; t < n; t++)
            {
                var weight = log.Rewards[t] / log.Propensities[t] / totalWeight;
                if (weight == 0)
                {
                    continue;
                }
                var x = log.Contexts.Row(t);
                policy.Probabilities(x, pi);
                for (var b = 0; b < k; b++)
                {
                    var g = weight * ((b == log.Actions[t] ? 1 : 0) - pi[b]); // d log pi(a_t) / d logit_b
                    var row = gradient.AsSpan(b * width, width);
                    TensorPrimitives.MultiplyAdd(x, g, row[..d], row[..d]);
                    row[d] += g;
                }
            }
            TensorPrimitives.MultiplyAdd(theta, -l2, gradient, gradient);
            adam.Ascend(theta, gradient);
        }
        return new SoftmaxPolicy(k, d, theta, greedy: true);
    }

    /// <summary>Adam (Kingma and Ba 2015) for gradient ascent on a small parameter vector.</summary>
    private sealed class Adam(int size, double rate)
    {
        private readonly double[] _m = new double[size];
        private readonly double[] _v = new double[size];
        private int _step;

        public void Ascend(Span<double> parameters, ReadOnlySpan<double> gradient)
        {
            _step++;
            const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
            var c1 = 1 - Math.Pow(b1, _step);
            var c2 = 1 - Math.Pow(b2, _step);
            for (var i = 0; i < parameters.Length; i++)
            {
                _m[i] = b1 * _m[i] + (1 - b1) * gradient[i];
                _v[i] = b2 * _v[i] + (1 - b2) * gradient[i] * gradient[i];
                parameters[i] += rate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + eps);
            }
        }
    }
}
