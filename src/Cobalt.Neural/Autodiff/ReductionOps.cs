using System.Numerics;
using System.Numerics.Tensors;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// y = s Σ_i x_i, a scalar (s = 1 for a sum, 1/n for a mean). Backward: dx_i = s dy.
/// Node fields: F0 = s.
/// </summary>
internal sealed class SumOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly SumOp<T> Instance = new();

    public override string Name => "sum";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, bool mean)
    {
        tape.Own(x, nameof(x));
        if (mean && x.Shape.Length == 0)
        {
            throw new ArgumentException("The mean of an empty tensor is undefined.", nameof(x));
        }
        var node = tape.Record(Instance, Shape.Scalar, x);
        node.F0 = mean ? 1.0 / x.Shape.Length : 1.0;
        node.Out[0] = TensorPrimitives.Sum(x.Data) * T.CreateChecked(node.F0);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var g = node.A!.Gradient.Span;
        TensorPrimitives.Add(g, node.Grad[0] * T.CreateChecked(node.F0), g);
    }
}

/// <summary>
/// y[r] = Σ_j x[r, j] over the last axis: [..., n] to [...]. Backward: dx[r, j] = dy[r].
/// </summary>
internal sealed class SumLastAxisOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly SumLastAxisOp<T> Instance = new();

    public override string Name => "sum-last-axis";

    public static Node<T> Forward(Tape<T> tape, Node<T> x)
    {
        tape.Own(x, nameof(x));
        if (x.Shape.Rank == 0)
        {
            throw new ArgumentException("A scalar has no last axis to sum over.", nameof(x));
        }
        Span<int> dims = stackalloc int[x.Shape.Rank - 1];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = x.Shape[i];
        }
        var node = tape.Record(Instance, Shape.Of(dims), x);
        var n = x.Shape.Last;
        var input = x.Data;
        var output = node.Out;
        for (var r = 0; r < output.Length; r++)
        {
            output[r] = TensorPrimitives.Sum(input.Slice(r * n, n));
        }
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var n = node.A!.Shape.Last;
        var g = node.A.Gradient.Span;
        var dy = node.Grad;
        for (var r = 0; r < dy.Length; r++)
        {
            var row = g.Slice(r * n, n);
            TensorPrimitives.Add(row, dy[r], row);
        }
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>The sum of all elements (a scalar).</summary>
    public static Node<T> Sum<T>(this Tape<T> tape, Node<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return SumOp<T>.Forward(tape, x, mean: false);
    }

    /// <summary>The mean of all elements (a scalar).</summary>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public static Node<T> Mean<T>(this Tape<T> tape, Node<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return SumOp<T>.Forward(tape, x, mean: true);
    }

    /// <summary>Sums over the last axis: [..., n] becomes [...].</summary>
    public static Node<T> SumLastAxis<T>(this Tape<T> tape, Node<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return SumLastAxisOp<T>.Forward(tape, x);
    }
}
