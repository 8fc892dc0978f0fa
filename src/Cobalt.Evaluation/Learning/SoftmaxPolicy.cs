using System.Numerics.Tensors;

namespace Cobalt.Evaluation.Learning;

/// <summary>
/// A linear softmax policy pi_theta(a | x) = exp(theta_a^T [x, 1]) / sum_b exp(theta_b^T [x, 1]); optionally greedy
/// (all mass on the argmax), as a classifier-style policy is deployed.
/// </summary>
public sealed class SoftmaxPolicy
{
    /// <summary>Creates the policy from its weights (row-major actions x (d + 1)).</summary>
    public SoftmaxPolicy(int actions, int contextDimension, double[] weights, bool greedy = false)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length != actions * (contextDimension + 1))
        {
            throw new ArgumentException($"{actions} actions x {contextDimension + 1} need {actions * (contextDimension + 1)} weights; got {weights.Length}.", nameof(weights));
        }
        Actions = actions;
        ContextDimension = contextDimension;
        Weights = weights;
        Greedy = greedy;
    }

    /// <summary>K.</summary>
    public int Actions { get; }

    /// <summary>d.</summary>
    public int ContextDimension { get; }

    /// <summary>theta, row-major K x (d + 1), the last column a bias.</summary>
    public double[] Weights { get; }

    /// <summary>Whether all probability goes to the highest-scoring action.</summary>
    public bool Greedy { get; }

    /// <summary>pi(. | x) into <paramref name="probabilities"/>.</summary>
    public void Probabilities(ReadOnlySpan<double> x, Span<double> probabilities)
    {
        var width = ContextDimension + 1;
        for (var a = 0; a < Actions; a++)
        {
            var row = Weights.AsSpan(a * width, width);
            probabilities[a] = TensorPrimitives.Dot(row[..ContextDimension], x) + row[ContextDimension];
        }
        if (Greedy)
        {
            var best = TensorPrimitives.IndexOfMax(probabilities[..Actions]);
            probabilities[..Actions].Clear();
            probabilities[best] = 1;
            return;
        }
        var p = probabilities[..Actions];
        TensorPrimitives.Subtract(p, TensorPrimitives.Max(p), p);
        TensorPrimitives.Exp(p, p);
        TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
    }

    /// <summary>The policy's probabilities on every round of <paramref name="log"/>.</summary>
    public ActionDistribution On(BanditLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.ActionCount != Actions || log.Contexts.Columns != ContextDimension)
        {
            throw new ArgumentException($"The policy was learned for {Actions} actions and {ContextDimension} context features; the log has {log.ActionCount} and {log.Contexts.Columns}.", nameof(log));
        }
        var values = new double[log.Count * Actions];
        for (var t = 0; t < log.Count; t++)
        {
            Probabilities(log.Contexts.Row(t), values.AsSpan(t * Actions, Actions));
        }
        return new ActionDistribution(log.Count, Actions, values);
    }
}
