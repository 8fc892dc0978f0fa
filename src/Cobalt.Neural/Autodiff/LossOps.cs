using System.Numerics;
using System.Numerics.Tensors;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// Mean binary cross-entropy of logits z against labels y in [0, 1], in the stable form
/// ℓ = (1/n) Σ_i [max(z_i, 0) - z_i y_i + log(1 + e^{-|z_i|})] (equal to -y log σ(z) - (1 - y) log(1 - σ(z))).
/// Backward: dz_i = dℓ (σ(z_i) - y_i) / n. With weights w (one per logit) every term is multiplied by w_i:
/// ℓ = (1/n) Σ_i w_i BCE_i, dz_i = dℓ w_i (σ(z_i) - y_i) / n. Node fields: I0 = 1 when weighted, Saved = w.
/// </summary>
internal sealed class BinaryCrossEntropyOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly BinaryCrossEntropyOp<T> Instance = new();

    public override string Name => "binary-cross-entropy";

    public static Node<T> Forward(Tape<T> tape, Node<T> logits, ReadOnlyMemory<T> labels, ReadOnlySpan<T> weights = default, bool weighted = false)
    {
        tape.Own(logits, nameof(logits));
        var z = logits.Data;
        var y = labels.Span;
        if (y.Length != z.Length || z.Length == 0)
        {
            throw new ArgumentException($"Binary cross-entropy needs one label per logit: {y.Length} labels for {z.Length} logits {logits.Shape}.", nameof(labels));
        }
        if (weighted && weights.Length != z.Length)
        {
            throw new ArgumentException($"Weighted binary cross-entropy needs one weight per logit: {weights.Length} weights for {z.Length} logits {logits.Shape}.", nameof(weights));
        }
        var node = tape.Record(Instance, Shape.Scalar, logits);
        node.Constants = labels;
        node.I0 = weighted ? 1 : 0;
        if (weighted)
        {
            node.Saved = tape.Rent(z.Length, clear: false);
            for (var i = 0; i < z.Length; i++)
            {
                if (!(T.IsFinite(weights[i]) && weights[i] >= T.Zero))
                {
                    throw new ArgumentOutOfRangeException(nameof(weights), $"Weight {i} is {weights[i]}; loss weights must be finite and non-negative.");
                }
            }
            weights.CopyTo(node.Saved.Span);
        }
        var total = T.Zero;
        for (var i = 0; i < z.Length; i++)
        {
            if (!T.IsFinite(z[i]))
            {
                throw new ArgumentException($"Logit {i} of {logits.Shape} is {z[i]}: the model has diverged (lower the learning rate or clip gradients).", nameof(logits));
            }
            if (!(y[i] >= T.Zero && y[i] <= T.One))
            {
                throw new ArgumentOutOfRangeException(nameof(labels), $"Label {i} is {y[i]}; binary labels must lie in [0, 1].");
            }
            var term = T.Max(z[i], T.Zero) - z[i] * y[i] + T.Log(T.One + T.Exp(-T.Abs(z[i])));
            total += weighted ? weights[i] * term : term;
        }
        node.Out[0] = total / T.CreateChecked(z.Length);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var z = node.A!.Data;
        var y = node.Constants.Span;
        var g = node.A.Gradient.Span;
        var scale = node.Grad[0] / T.CreateChecked(z.Length);
        var w = node.I0 == 1 ? node.Saved.Span : default;
        for (var i = 0; i < z.Length; i++)
        {
            var d = scale * (T.One / (T.One + T.Exp(-z[i])) - y[i]);
            g[i] += node.I0 == 1 ? w[i] * d : d;
        }
    }
}

/// <summary>
/// Mean softmax cross-entropy of logit rows z [R, C] against class indices t:
/// ℓ = (1/R) Σ_r [log Σ_c e^{z_rc} - z_{r t_r}]. Backward: dz_r = dℓ (softmax(z_r) - onehot(t_r)) / R.
/// Node fields: Saved = the softmax probabilities.
/// </summary>
internal sealed class SoftmaxCrossEntropyOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly SoftmaxCrossEntropyOp<T> Instance = new();

    public override string Name => "softmax-cross-entropy";

    public static Node<T> Forward(Tape<T> tape, Node<T> logits, ReadOnlyMemory<int> targets)
    {
        tape.Own(logits, nameof(logits));
        var classes = logits.Shape.Last;
        var rows = logits.Shape.Rows;
        var t = targets.Span;
        if (logits.Shape.Rank == 0 || t.Length != rows || rows == 0)
        {
            throw new ArgumentException($"Softmax cross-entropy needs one target per row: {t.Length} targets for logits {logits.Shape}.", nameof(targets));
        }
        var node = tape.Record(Instance, Shape.Scalar, logits);
        node.Ints = targets;
        node.Saved = tape.Rent(logits.Shape.Length, clear: false);
        var z = logits.Data;
        var p = node.Saved.Span;
        var total = T.Zero;
        for (var r = 0; r < rows; r++)
        {
            if ((uint)t[r] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), t[r], $"Target {r} is class {t[r]}; there are {classes} classes.");
            }
            var row = z.Slice(r * classes, classes);
            for (var c = 0; c < classes; c++)
            {
                if (!T.IsFinite(row[c]))
                {
                    throw new ArgumentException($"Logit ({r}, {c}) of {logits.Shape} is {row[c]}: the model has diverged (lower the learning rate or clip gradients).", nameof(logits));
                }
            }
            var max = TensorPrimitives.Max(row);
            var pr = p.Slice(r * classes, classes);
            TensorPrimitives.Subtract(row, max, pr);
            TensorPrimitives.Exp(pr, pr);
            var sum = TensorPrimitives.Sum<T>(pr);
            TensorPrimitives.Divide(pr, sum, pr);
            total += max + T.Log(sum) - row[t[r]];
        }
        node.Out[0] = total / T.CreateChecked(rows);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var classes = node.A!.Shape.Last;
        var t = node.Ints.Span;
        var p = node.Saved.Span;
        var g = node.A.Gradient.Span;
        var scale = node.Grad[0] / T.CreateChecked(t.Length);
        TensorPrimitives.MultiplyAdd(p, scale, g, g);
        for (var r = 0; r < t.Length; r++)
        {
            g[r * classes + t[r]] -= scale;
        }
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>
    /// Mean binary cross-entropy with logits, ℓ = mean_i [max(z, 0) - z y + log(1 + e^{-|z|})], for labels in [0, 1]
    /// (one per logit, any shape). The labels are read again by the backward pass.
    /// </summary>
    /// <exception cref="ArgumentException">Counts differ, or a logit is not finite (the model diverged).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, 1].</exception>
    public static Node<T> BinaryCrossEntropyWithLogits<T>(this Tape<T> tape, Node<T> logits, ReadOnlyMemory<T> labels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return BinaryCrossEntropyOp<T>.Forward(tape, logits, labels);
    }

    /// <summary>
    /// Weighted mean binary cross-entropy with logits, ℓ = (1/n) Σ_i w_i [max(z, 0) - z y + log(1 + e^{-|z|})] (PyTorch's
    /// BCEWithLogitsLoss(reduction='none') times w, then the mean). The labels are read again by the backward pass; the weights are copied.
    /// </summary>
    /// <exception cref="ArgumentException">Counts differ, or a logit is not finite (the model diverged).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, 1], or a weight is negative or not finite.</exception>
    public static Node<T> BinaryCrossEntropyWithLogits<T>(this Tape<T> tape, Node<T> logits, ReadOnlyMemory<T> labels, ReadOnlySpan<T> weights)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return BinaryCrossEntropyOp<T>.Forward(tape, logits, labels, weights, weighted: true);
    }

    /// <summary>
    /// Mean softmax cross-entropy of logit rows [..., C] against one class index per row:
    /// ℓ = mean_r [log Σ_c e^{z_rc} - z_{r, t_r}]. The targets are read again by the backward pass.
    /// </summary>
    /// <exception cref="ArgumentException">The number of targets differs from the number of rows, or a logit is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class index.</exception>
    public static Node<T> SoftmaxCrossEntropy<T>(this Tape<T> tape, Node<T> logits, ReadOnlyMemory<int> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return SoftmaxCrossEntropyOp<T>.Forward(tape, logits, targets);
    }
}
