using System.Numerics;
using System.Numerics.Tensors;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>The same elements under another shape of equal length; values and gradient share storage with the input (no copy).</summary>
internal sealed class ReshapeOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly ReshapeOp<T> Instance = new();

    public override string Name => "reshape";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, Shape shape)
    {
        tape.Own(x, nameof(x));
        if (shape.Length != x.Shape.Length)
        {
            throw new ArgumentException($"Cannot reshape {x.Shape} ({x.Shape.Length} elements) to {shape} ({shape.Length} elements).", nameof(shape));
        }
        return tape.RecordView(Instance, shape, x);
    }

    /// <summary>Nothing to do: the gradient buffer is the input's.</summary>
    public override void Backward(Node<T> node)
    {
    }
}

/// <summary>
/// Reorders the axes: axis j of the output is axis perm[j] of the input (so [B, L, H, d] with perm (0, 2, 1, 3) becomes [B, H, L, d]). Backward applies the inverse permutation.
/// Node fields: I0..I3 = perm (padded to rank 4).
/// </summary>
internal sealed class PermuteOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly PermuteOp<T> Instance = new();

    public override string Name => "permute";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, ReadOnlySpan<int> perm)
    {
        tape.Own(x, nameof(x));
        var rank = x.Shape.Rank;
        if (perm.Length != rank)
        {
            throw new ArgumentException($"A permutation of {x.Shape} needs {rank} axes, got {perm.Length}.", nameof(perm));
        }
        Span<bool> seen = stackalloc bool[rank];
        Span<int> dims = stackalloc int[rank];
        for (var j = 0; j < rank; j++)
        {
            if ((uint)perm[j] >= (uint)rank || seen[perm[j]])
            {
                throw new ArgumentException($"({string.Join(", ", perm.ToArray())}) is not a permutation of the {rank} axes of {x.Shape}.", nameof(perm));
            }
            seen[perm[j]] = true;
            dims[j] = x.Shape[perm[j]];
        }
        var node = tape.Record(Instance, Shape.Of(dims), x);
        // Pad to rank 4: leading identity axes.
        var pad = Shape.MaxRank - rank;
        Span<int> p = [0, 1, 2, 3];
        for (var j = 0; j < rank; j++)
        {
            p[pad + j] = pad + perm[j];
        }
        (node.I0, node.I1, node.I2, node.I3) = (p[0], p[1], p[2], p[3]);
        Copy(x.Shape, p, x.Data, node.Out, forward: true);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        Span<int> p = [node.I0, node.I1, node.I2, node.I3];
        Copy(node.A!.Shape, p, node.Grad, node.A.Gradient.Span, forward: false);
    }

    /// <summary>
    /// Forward: destination[o] = source[i] (destination is the output); backward: destination[i] += source[o]
    /// (destination is the input's gradient). Loops over the output in row-major order.
    /// </summary>
    private static void Copy(Shape inputShape, ReadOnlySpan<int> p, ReadOnlySpan<T> source, Span<T> destination, bool forward)
    {
        var (i0, i1, i2, i3) = inputShape.Padded4();
        Span<int> inDims = [i0, i1, i2, i3];
        Span<int> inStrides = [i1 * i2 * i3, i2 * i3, i3, 1];
        Span<int> outDims = [inDims[p[0]], inDims[p[1]], inDims[p[2]], inDims[p[3]]];
        Span<int> stride = [inStrides[p[0]], inStrides[p[1]], inStrides[p[2]], inStrides[p[3]]];
        var inner = outDims[3];
        var contiguous = stride[3] == 1;
        var o = 0;
        for (var a = 0; a < outDims[0]; a++)
        {
            for (var b = 0; b < outDims[1]; b++)
            {
                for (var c = 0; c < outDims[2]; c++)
                {
                    var i = a * stride[0] + b * stride[1] + c * stride[2];
                    if (contiguous)
                    {
                        if (forward)
                        {
                            source.Slice(i, inner).CopyTo(destination.Slice(o, inner));
                        }
                        else
                        {
                            var target = destination.Slice(i, inner);
                            TensorPrimitives.Add(target, source.Slice(o, inner), target);
                        }
                    }
                    else
                    {
                        for (var d = 0; d < inner; d++)
                        {
                            var ii = i + d * stride[3];
                            if (forward)
                            {
                                destination[o + d] = source[ii];
                            }
                            else
                            {
                                destination[ii] += source[o + d];
                            }
                        }
                    }
                    o += inner;
                }
            }
        }
    }
}

/// <summary>
/// Joins tensors along one axis (all other dimensions equal). Backward: each input receives its slice of the gradient.
/// Node fields: I0 = axis.
/// </summary>
internal sealed class ConcatOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly ConcatOp<T> Instance = new();

    public override string Name => "concat";

    public static Node<T> Forward(Tape<T> tape, ReadOnlySpan<Node<T>> inputs, int axis)
    {
        if (inputs.Length == 0)
        {
            throw new ArgumentException("Concat needs at least one input.", nameof(inputs));
        }
        for (var i = 0; i < inputs.Length; i++)
        {
            tape.Own(inputs[i], $"inputs[{i}]");
        }
        var first = inputs[0].Shape;
        var rank = first.Rank;
        var ax = axis < 0 ? axis + rank : axis;
        if ((uint)ax >= (uint)rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} does not exist in tensors of shape {first}.");
        }
        var total = 0;
        foreach (var input in inputs)
        {
            var s = input.Shape;
            if (s.Rank != rank)
            {
                throw new ArgumentException($"Concat: shapes {first} and {s} differ in rank.", nameof(inputs));
            }
            for (var d = 0; d < rank; d++)
            {
                if (d != ax && s[d] != first[d])
                {
                    throw new ArgumentException($"Concat along axis {ax}: shapes {first} and {s} differ in axis {d}.", nameof(inputs));
                }
            }
            total += s[ax];
        }
        var node = tape.Record(Instance, first.With(ax, total), inputs);
        node.I0 = ax;
        Blocks(node, forward: true);
        return node;
    }

    public override void Backward(Node<T> node) => Blocks(node, forward: false);

    private static void Blocks(Node<T> node, bool forward)
    {
        var shape = node.Shape;
        var ax = node.I0;
        var outer = 1;
        for (var d = 0; d < ax; d++)
        {
            outer *= shape[d];
        }
        var after = shape[ax] == 0 ? 0 : shape.Length / outer / shape[ax];
        var rowOut = shape[ax] * after;
        var offset = 0;
        foreach (var input in node.Inputs)
        {
            var block = input.Shape[ax] * after;
            if (forward || input.RequiresGrad)
            {
                for (var o = 0; o < outer; o++)
                {
                    if (forward)
                    {
                        input.Data.Slice(o * block, block).CopyTo(node.Out.Slice(o * rowOut + offset, block));
                    }
                    else
                    {
                        var target = input.Gradient.Span.Slice(o * block, block);
                        TensorPrimitives.Add(target, node.Grad.Slice(o * rowOut + offset, block), target);
                    }
                }
            }
            offset += block;
        }
    }
}

/// <summary>
/// Row gather: y[p, :] = x[index[p], :] for a matrix x [V, D]; y has shape indexShape + [D].
/// Backward scatters: dx[index[p], :] += dy[p, :], in increasing p (a fixed order); a row-sparse parameter records the rows.
/// </summary>
internal sealed class GatherOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly GatherOp<T> Instance = new();

    public override string Name => "gather";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, ReadOnlyMemory<int> indices, Shape indexShape)
    {
        tape.Own(x, nameof(x));
        if (x.Shape.Rank != 2)
        {
            throw new ArgumentException($"Gather reads rows of a matrix [rows, columns]; got {x.Shape}.", nameof(x));
        }
        if (indices.Length != indexShape.Length)
        {
            throw new ArgumentException($"{indices.Length} indices given for an index shape {indexShape}.", nameof(indices));
        }
        if (indexShape.Rank >= Shape.MaxRank)
        {
            throw new ArgumentException($"The gathered tensor would have rank {indexShape.Rank + 1}; at most {Shape.MaxRank} is supported.", nameof(indexShape));
        }
        var (rows, width) = (x.Shape[0], x.Shape[1]);
        var ids = indices.Span;
        for (var p = 0; p < ids.Length; p++)
        {
            if ((uint)ids[p] >= (uint)rows)
            {
                var what = x.Parameter is { } parameter ? $"parameter '{parameter.Name}'" : $"tensor {x.Shape}";
                throw new ArgumentOutOfRangeException(nameof(indices), ids[p], $"Index {ids[p]} at position {p} is outside the {rows} rows of {what}.");
            }
        }
        Span<int> dims = stackalloc int[indexShape.Rank + 1];
        for (var d = 0; d < indexShape.Rank; d++)
        {
            dims[d] = indexShape[d];
        }
        dims[^1] = width;
        var node = tape.Record(Instance, Shape.Of(dims), x, gathersRows: true);
        node.Ints = indices;
        var source = x.Data;
        var output = node.Out;
        for (var p = 0; p < ids.Length; p++)
        {
            source.Slice(ids[p] * width, width).CopyTo(output.Slice(p * width, width));
        }
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var x = node.A!;
        var width = x.Shape[1];
        var ids = node.Ints.Span;
        var g = x.Gradient.Span;
        var dy = node.Grad;
        var parameter = x.Parameter;
        for (var p = 0; p < ids.Length; p++)
        {
            var target = g.Slice(ids[p] * width, width);
            TensorPrimitives.Add(target, dy.Slice(p * width, width), target);
            parameter?.Touch(ids[p]);
        }
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>The same elements viewed with another shape of the same length (no copy).</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static Node<T> Reshape<T>(this Tape<T> tape, Node<T> x, Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return ReshapeOp<T>.Forward(tape, x, shape);
    }

    /// <summary>Reorders axes: output axis j is input axis <paramref name="perm"/>[j] (e.g. (0, 2, 1, 3) turns [B, L, H, d] into [B, H, L, d]).</summary>
    /// <exception cref="ArgumentException"><paramref name="perm"/> is not a permutation of the axes.</exception>
    public static Node<T> Permute<T>(this Tape<T> tape, Node<T> x, params ReadOnlySpan<int> perm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return PermuteOp<T>.Forward(tape, x, perm);
    }

    /// <summary>Joins tensors along <paramref name="axis"/>; all other dimensions must match.</summary>
    public static Node<T> Concat<T>(this Tape<T> tape, int axis, params ReadOnlySpan<Node<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return ConcatOp<T>.Forward(tape, inputs, axis);
    }

    /// <summary>
    /// Rows of the matrix <paramref name="x"/> [V, D] at <paramref name="indices"/>, shaped <paramref name="indexShape"/> + [D]:
    /// an embedding lookup when <paramref name="x"/> is a parameter (whose gradient is then accumulated by rows).
    /// The indices are read again by the backward pass: do not change them before it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, V) (the message gives its position).</exception>
    public static Node<T> Gather<T>(this Tape<T> tape, Node<T> x, ReadOnlyMemory<int> indices, Shape indexShape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return GatherOp<T>.Forward(tape, x, indices, indexShape);
    }
}
