using System.Numerics;
using System.Numerics.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>y = σ(x) = 1 / (1 + e^-x). Backward: dx = dy ⊙ y ⊙ (1 - y).</summary>
internal sealed class SigmoidOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly SigmoidOp<T> Instance = new();

    public override string Name => "sigmoid";

    public static Node<T> Forward(Tape<T> tape, Node<T> x)
    {
        tape.Own(x, nameof(x));
        var node = tape.Record(Instance, x.Shape, x);
        TensorPrimitives.Sigmoid(x.Data, node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var y = node.Data;
        var scratch = node.Tape.Rent(y.Length, clear: false).Span;
        TensorPrimitives.Subtract(T.One, y, scratch);      // 1 - y
        TensorPrimitives.Multiply(scratch, y, scratch);     // y (1 - y)
        var g = node.A!.Gradient.Span;
        TensorPrimitives.MultiplyAdd(node.Grad, scratch, g, g);
    }
}

/// <summary>y = tanh(x). Backward: dx = dy ⊙ (1 - y²).</summary>
internal sealed class TanhOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly TanhOp<T> Instance = new();

    public override string Name => "tanh";

    public static Node<T> Forward(Tape<T> tape, Node<T> x)
    {
        tape.Own(x, nameof(x));
        var node = tape.Record(Instance, x.Shape, x);
        TensorPrimitives.Tanh(x.Data, node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var y = node.Data;
        var scratch = node.Tape.Rent(y.Length, clear: false).Span;
        TensorPrimitives.Multiply(y, y, scratch);
        TensorPrimitives.Subtract(T.One, scratch, scratch); // 1 - y²
        var g = node.A!.Gradient.Span;
        TensorPrimitives.MultiplyAdd(node.Grad, scratch, g, g);
    }
}

/// <summary>y = max(x, 0). Backward: dx = dy where x &gt; 0, else 0 (the subgradient 0 at x = 0).</summary>
internal sealed class ReluOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly ReluOp<T> Instance = new();

    public override string Name => "relu";

    public static Node<T> Forward(Tape<T> tape, Node<T> x)
    {
        tape.Own(x, nameof(x));
        var node = tape.Record(Instance, x.Shape, x);
        TensorPrimitives.Max(x.Data, T.Zero, node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var x = node.A!.Data;
        var dy = node.Grad;
        var g = node.A.Gradient.Span;
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] > T.Zero)
            {
                g[i] += dy[i];
            }
        }
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>Element-wise logistic sigmoid σ(x) = 1 / (1 + e^-x).</summary>
    public static Node<T> Sigmoid<T>(this Tape<T> tape, Node<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return SigmoidOp<T>.Forward(tape, x);
    }

    /// <summary>Element-wise hyperbolic tangent.</summary>
    public static Node<T> Tanh<T>(this Tape<T> tape, Node<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return TanhOp<T>.Forward(tape, x);
    }

    /// <summary>Element-wise rectifier max(x, 0).</summary>
    public static Node<T> Relu<T>(this Tape<T> tape, Node<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return ReluOp<T>.Forward(tape, x);
    }
}
