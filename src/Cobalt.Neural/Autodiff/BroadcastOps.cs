using System.Numerics;
using System.Numerics.Tensors;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// How two shapes broadcast (NumPy rules: align at the last axis; a dimension of 1 stretches), padded to rank 4,
/// with each operand's element strides (0 along a stretched dimension).
/// </summary>
internal readonly struct Broadcast
{
    public readonly int D0, D1, D2, D3;
    public readonly int A0, A1, A2, A3;
    public readonly int B0, B1, B2, B3;

    private Broadcast(Shape a, Shape b, Shape result)
    {
        Result = result;
        (D0, D1, D2, D3) = result.Padded4();
        (A0, A1, A2, A3) = Strides(a, result);
        (B0, B1, B2, B3) = Strides(b, result);
    }

    public Shape Result { get; }

    /// <summary>z = x (op) y over the broadcast shape, one row of the last axis at a time (the op must be commutative).</summary>
    public void Combine<TOp, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
        where TOp : IRowOp<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i0 = 0; i0 < D0; i0++)
        {
            for (var i1 = 0; i1 < D1; i1++)
            {
                for (var i2 = 0; i2 < D2; i2++)
                {
                    var o = ((i0 * D1 + i1) * D2 + i2) * D3;
                    var ia = i0 * A0 + i1 * A1 + i2 * A2;
                    var ib = i0 * B0 + i1 * B1 + i2 * B2;
                    var row = z.Slice(o, D3);
                    switch (A3, B3)
                    {
                        case (1, 1):
                            TOp.Rows(x.Slice(ia, D3), y.Slice(ib, D3), row);
                            break;
                        case (1, 0):
                            TOp.RowScalar(x.Slice(ia, D3), y[ib], row);
                            break;
                        case (0, 1):
                            TOp.RowScalar(y.Slice(ib, D3), x[ia], row);
                            break;
                        default:
                            row.Fill(TOp.Scalars(x[ia], y[ib]));
                            break;
                    }
                }
            }
        }
    }

    public static Broadcast Of(Shape a, Shape b, string operation)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        Span<int> dims = stackalloc int[rank];
        for (var i = 1; i <= rank; i++)
        {
            var da = i <= a.Rank ? a[a.Rank - i] : 1;
            var db = i <= b.Rank ? b[b.Rank - i] : 1;
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"{operation}: shapes {a} and {b} do not broadcast (axis -{i}: {da} vs {db}).");
            }
            dims[rank - i] = da == 1 ? db : da;
        }
        return new Broadcast(a, b, Shape.Of(dims));
    }

    private static (int, int, int, int) Strides(Shape operand, Shape result)
    {
        var (d0, d1, d2, d3) = operand.Padded4();
        var (r0, r1, r2, r3) = result.Padded4();
        var s3 = 1;
        var s2 = d3;
        var s1 = d3 * d2;
        var s0 = s1 * d1;
        return (d0 == r0 ? s0 : 0, d1 == r1 ? s1 : 0, d2 == r2 ? s2 : 0, d3 == r3 ? s3 : 0);
    }
}

/// <summary>A commutative elementwise operation on rows, for <see cref="Broadcast.Combine"/>.</summary>
internal interface IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>z = x (op) y.</summary>
    static abstract void Rows(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z);

    /// <summary>z = x (op) y for a scalar y.</summary>
    static abstract void RowScalar(ReadOnlySpan<T> x, T y, Span<T> z);

    /// <summary>x (op) y.</summary>
    static abstract T Scalars(T x, T y);
}

internal readonly struct AddRows<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Rows(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) => TensorPrimitives.Add(x, y, z);

    public static void RowScalar(ReadOnlySpan<T> x, T y, Span<T> z) => TensorPrimitives.Add(x, y, z);

    public static T Scalars(T x, T y) => x + y;
}

internal readonly struct MultiplyRows<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Rows(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) => TensorPrimitives.Multiply(x, y, z);

    public static void RowScalar(ReadOnlySpan<T> x, T y, Span<T> z) => TensorPrimitives.Multiply(x, y, z);

    public static T Scalars(T x, T y) => x * y;
}

/// <summary>Broadcast addition y = a + b. Backward: da = dy summed over a's stretched axes (likewise db).</summary>
internal sealed class AddOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly AddOp<T> Instance = new();

    public override string Name => "add";

    public static Node<T> Forward(Tape<T> tape, Node<T> a, Node<T> b)
    {
        tape.Own(a, nameof(a));
        tape.Own(b, nameof(b));
        var plan = Broadcast.Of(a.Shape, b.Shape, "Add");
        var node = tape.Record(Instance, plan.Result, a, b);
        plan.Combine<AddRows<T>, T>(a.Data, b.Data, node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var plan = Broadcast.Of(node.A!.Shape, node.B!.Shape, "Add");
        if (node.A.RequiresGrad)
        {
            Reduce(plan, node.Grad, node.A.Gradient.Span, plan.A0, plan.A1, plan.A2, plan.A3);
        }
        if (node.B.RequiresGrad)
        {
            Reduce(plan, node.Grad, node.B.Gradient.Span, plan.B0, plan.B1, plan.B2, plan.B3);
        }
    }

    /// <summary>g[operand index] += dy, looping over the result in row-major order (a fixed summation order).</summary>
    private static void Reduce(Broadcast plan, ReadOnlySpan<T> dy, Span<T> g, int s0, int s1, int s2, int s3)
    {
        for (var i0 = 0; i0 < plan.D0; i0++)
        {
            for (var i1 = 0; i1 < plan.D1; i1++)
            {
                for (var i2 = 0; i2 < plan.D2; i2++)
                {
                    var o = ((i0 * plan.D1 + i1) * plan.D2 + i2) * plan.D3;
                    var i = i0 * s0 + i1 * s1 + i2 * s2;
                    var row = dy.Slice(o, plan.D3);
                    if (s3 == 1)
                    {
                        var target = g.Slice(i, plan.D3);
                        TensorPrimitives.Add(target, row, target);
                    }
                    else
                    {
                        g[i] += TensorPrimitives.Sum(row);
                    }
                }
            }
        }
    }
}

/// <summary>Broadcast multiplication y = a ⊙ b. Backward: da = (dy ⊙ b) summed over a's stretched axes (likewise db).</summary>
internal sealed class MultiplyOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly MultiplyOp<T> Instance = new();

    public override string Name => "multiply";

    public static Node<T> Forward(Tape<T> tape, Node<T> a, Node<T> b)
    {
        tape.Own(a, nameof(a));
        tape.Own(b, nameof(b));
        var plan = Broadcast.Of(a.Shape, b.Shape, "Multiply");
        var node = tape.Record(Instance, plan.Result, a, b);
        plan.Combine<MultiplyRows<T>, T>(a.Data, b.Data, node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var (a, b) = (node.A!, node.B!);
        var plan = Broadcast.Of(a.Shape, b.Shape, "Multiply");
        if (a.RequiresGrad)
        {
            Reduce(plan, node.Grad, b.Data, a.Gradient.Span, (plan.A0, plan.A1, plan.A2, plan.A3), (plan.B0, plan.B1, plan.B2, plan.B3));
        }
        if (b.RequiresGrad)
        {
            Reduce(plan, node.Grad, a.Data, b.Gradient.Span, (plan.B0, plan.B1, plan.B2, plan.B3), (plan.A0, plan.A1, plan.A2, plan.A3));
        }
    }

    /// <summary>g[own index] += dy ⊙ other[other index], in row-major order of the result.</summary>
    private static void Reduce(Broadcast plan, ReadOnlySpan<T> dy, ReadOnlySpan<T> other, Span<T> g, (int S0, int S1, int S2, int S3) own, (int S0, int S1, int S2, int S3) theirs)
    {
        for (var i0 = 0; i0 < plan.D0; i0++)
        {
            for (var i1 = 0; i1 < plan.D1; i1++)
            {
                for (var i2 = 0; i2 < plan.D2; i2++)
                {
                    var o = ((i0 * plan.D1 + i1) * plan.D2 + i2) * plan.D3;
                    var i = i0 * own.S0 + i1 * own.S1 + i2 * own.S2;
                    var j = i0 * theirs.S0 + i1 * theirs.S1 + i2 * theirs.S2;
                    var row = dy.Slice(o, plan.D3);
                    switch (own.S3, theirs.S3)
                    {
                        case (1, 1):
                            {
                                var target = g.Slice(i, plan.D3);
                                TensorPrimitives.MultiplyAdd(row, other.Slice(j, plan.D3), target, target);
                                break;
                            }
                        case (1, 0):
                            {
                                var target = g.Slice(i, plan.D3);
                                TensorPrimitives.MultiplyAdd(row, other[j], target, target);
                                break;
                            }
                        case (0, 1):
                            g[i] += TensorPrimitives.Dot(row, other.Slice(j, plan.D3));
                            break;
                        default:
                            g[i] += other[j] * TensorPrimitives.Sum(row);
                            break;
                    }
                }
            }
        }
    }
}

/// <summary>y = s x for a constant s. Backward: dx = s dy. Node fields: F0 = s.</summary>
internal sealed class ScaleOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly ScaleOp<T> Instance = new();

    public override string Name => "scale";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, double scale)
    {
        tape.Own(x, nameof(x));
        if (!double.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be finite.");
        }
        var node = tape.Record(Instance, x.Shape, x);
        node.F0 = scale;
        TensorPrimitives.Multiply(x.Data, T.CreateChecked(scale), node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var g = node.A!.Gradient.Span;
        TensorPrimitives.MultiplyAdd(node.Grad, T.CreateChecked(node.F0), g, g);
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>Element-wise a + b with broadcasting (NumPy rules, rank at most 4).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public static Node<T> Add<T>(this Tape<T> tape, Node<T> a, Node<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return AddOp<T>.Forward(tape, a, b);
    }

    /// <summary>Element-wise a ⊙ b with broadcasting (NumPy rules, rank at most 4).</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast.</exception>
    public static Node<T> Multiply<T>(this Tape<T> tape, Node<T> a, Node<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return MultiplyOp<T>.Forward(tape, a, b);
    }

    /// <summary>s x for a constant s.</summary>
    public static Node<T> Scale<T>(this Tape<T> tape, Node<T> x, double s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return ScaleOp<T>.Forward(tape, x, s);
    }
}
