using System.Numerics;
using System.Numerics.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>Shared checks and row loops of the masked softmax operations.</summary>
internal static class MaskedRows
{
    /// <summary>
    /// Checks a mask of G rows of length n for a tensor of R rows of length n (R a multiple of G): row r uses mask row r / (R / G),
    /// so a [B, n] key mask serves scores [B, H, L, n].
    /// </summary>
    public static int RowsPerMaskRow(int rows, int n, ReadOnlyMemory<bool> mask, string operation)
    {
        if (mask.IsEmpty)
        {
            return 0;
        }
        if (n == 0 || mask.Length % n != 0)
        {
            throw new ArgumentException($"{operation}: a mask of {mask.Length} entries is not a whole number of rows of {n}.", nameof(mask));
        }
        var groups = mask.Length / n;
        if (groups == 0 || rows % groups != 0)
        {
            throw new ArgumentException($"{operation}: {rows} rows cannot share a mask of {groups} rows evenly.", nameof(mask));
        }
        return rows / groups;
    }
}

/// <summary>
/// Softmax over the last axis with an optional mask: y_j = exp(x_j - m) / Σ_valid exp(x_k - m), m = max_valid x,
/// and y_j = 0 at masked positions (whatever x holds there). A row with no valid position is all zeros.
/// Backward: dx = y ⊙ (dy - Σ_j y_j dy_j) (zero at masked positions).
/// </summary>
internal sealed class SoftmaxOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly SoftmaxOp<T> Instance = new();

    public override string Name => "softmax";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, ReadOnlyMemory<bool> mask)
    {
        tape.Own(x, nameof(x));
        var n = x.Shape.Last;
        var rows = x.Shape.Rows;
        var perMask = MaskedRows.RowsPerMaskRow(rows, n, mask, "Softmax");
        var node = tape.Record(Instance, x.Shape, x);
        node.Mask = mask;
        node.I1 = perMask;
        var (input, output) = (x.Values, node.Values);
        tape.Parallelism.ForRange(rows, 1, (long)rows * n * 4, (start, end) =>
        {
            var from = input.Span;
            var to = output.Span;
            var m = mask.Span;
            for (var r = start; r < end; r++)
            {
                Row(from.Slice(r * n, n), to.Slice(r * n, n), perMask == 0 ? default : m.Slice(r / perMask * n, n), log: false, to.Slice(r * n, n));
            }
        });
        return node;
    }

    /// <summary>
    /// Writes softmax (or log-softmax when <paramref name="log"/>) of <paramref name="x"/> into <paramref name="y"/>, and the
    /// probabilities into <paramref name="probabilities"/> (may be <paramref name="y"/> itself for softmax).
    /// </summary>
    internal static void Row(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<bool> valid, bool log, Span<T> probabilities)
    {
        var max = T.NegativeInfinity;
        var any = false;
        for (var j = 0; j < x.Length; j++)
        {
            if (valid.IsEmpty || valid[j])
            {
                any = true;
                if (x[j] > max)
                {
                    max = x[j];
                }
            }
        }
        if (!any)
        {
            y.Clear();
            probabilities.Clear();
            return;
        }
        if (!T.IsFinite(max))
        {
            throw new ArgumentException($"Softmax input holds a non-finite value ({max}) at a valid position; the values feeding it have diverged.");
        }
        TensorPrimitives.Subtract(x, max, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        if (!valid.IsEmpty)
        {
            for (var j = 0; j < x.Length; j++)
            {
                if (!valid[j])
                {
                    probabilities[j] = T.Zero;
                }
            }
        }
        var sum = TensorPrimitives.Sum<T>(probabilities);
        if (!T.IsFinite(sum))
        {
            throw new ArgumentException("Softmax input holds a NaN at a valid position; the values feeding it have diverged.");
        }
        if (!log)
        {
            TensorPrimitives.Divide(probabilities, sum, probabilities);
            return;
        }
        var logSum = T.Log(sum);
        for (var j = 0; j < x.Length; j++)
        {
            var ok = valid.IsEmpty || valid[j];
            y[j] = ok ? x[j] - max - logSum : T.Zero;
        }
        TensorPrimitives.Divide(probabilities, sum, probabilities);
    }

    public override void Backward(Node<T> node)
    {
        var n = node.Shape.Last;
        var rows = node.Shape.Rows;
        var (y, dy, dx) = (node.Values, node.Gradient, node.A!.Gradient);
        node.Tape.Parallelism.ForRange(rows, 1, (long)rows * n * 3, (start, end) =>
        {
            var ys = y.Span;
            var dys = dy.Span;
            var dxs = dx.Span;
            for (var r = start; r < end; r++)
            {
                var yr = ys.Slice(r * n, n);
                var dyr = dys.Slice(r * n, n);
                var dxr = dxs.Slice(r * n, n);
                var dot = TensorPrimitives.Dot<T>(yr, dyr);
                for (var j = 0; j < n; j++)
                {
                    dxr[j] += yr[j] * (dyr[j] - dot);
                }
            }
        });
    }
}

/// <summary>
/// Log-softmax over the last axis with an optional mask: y_j = x_j - m - log Σ_valid exp(x_k - m) at valid positions,
/// and 0 (not -∞) at masked ones, which get no gradient. Backward: dx_j = dy_j - p_j Σ_valid dy_k with p = softmax(x).
/// Node fields: Saved = p.
/// </summary>
internal sealed class LogSoftmaxOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly LogSoftmaxOp<T> Instance = new();

    public override string Name => "log-softmax";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, ReadOnlyMemory<bool> mask)
    {
        tape.Own(x, nameof(x));
        var n = x.Shape.Last;
        var rows = x.Shape.Rows;
        var perMask = MaskedRows.RowsPerMaskRow(rows, n, mask, "LogSoftmax");
        var node = tape.Record(Instance, x.Shape, x);
        node.Mask = mask;
        node.I1 = perMask;
        node.Saved = tape.Rent(x.Shape.Length, clear: false);
        var (input, output, saved) = (x.Values, node.Values, node.Saved);
        tape.Parallelism.ForRange(rows, 1, (long)rows * n * 4, (start, end) =>
        {
            var from = input.Span;
            var to = output.Span;
            var p = saved.Span;
            var m = mask.Span;
            for (var r = start; r < end; r++)
            {
                SoftmaxOp<T>.Row(from.Slice(r * n, n), to.Slice(r * n, n), perMask == 0 ? default : m.Slice(r / perMask * n, n), log: true, p.Slice(r * n, n));
            }
        });
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var n = node.Shape.Last;
        var rows = node.Shape.Rows;
        var perMask = node.I1;
        var mask = node.Mask;
        var (p, dy, dx) = (node.Saved, node.Gradient, node.A!.Gradient);
        node.Tape.Parallelism.ForRange(rows, 1, (long)rows * n * 3, (start, end) =>
        {
            var ps = p.Span;
            var dys = dy.Span;
            var dxs = dx.Span;
            var m = mask.Span;
            for (var r = start; r < end; r++)
            {
                var pr = ps.Slice(r * n, n);
                var dyr = dys.Slice(r * n, n);
                var dxr = dxs.Slice(r * n, n);
                var valid = perMask == 0 ? default : m.Slice(r / perMask * n, n);
                var total = T.Zero;
                for (var j = 0; j < n; j++)
                {
                    if (valid.IsEmpty || valid[j])
                    {
                        total += dyr[j];
                    }
                }
                for (var j = 0; j < n; j++)
                {
                    if (valid.IsEmpty || valid[j])
                    {
                        dxr[j] += dyr[j] - pr[j] * total;
                    }
                }
            }
        });
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>
    /// Softmax over the last axis. <paramref name="mask"/> (optional) holds G rows of the last dimension's length, true where a
    /// position is valid; tensor row r uses mask row r / (rows / G), so a [B, n] padding mask serves [B, H, L, n] attention scores.
    /// Masked positions get probability 0 whatever their input; a row with no valid position is all zeros.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not fit, or a valid input is not finite.</exception>
    public static Node<T> Softmax<T>(this Tape<T> tape, Node<T> x, ReadOnlyMemory<bool> mask = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return SoftmaxOp<T>.Forward(tape, x, mask);
    }

    /// <summary>
    /// Log-softmax over the last axis, with the mask convention of <see cref="Softmax{T}"/>; masked positions are set to 0
    /// (not -∞, so nothing infinite flows on) and receive no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not fit, or a valid input is not finite.</exception>
    public static Node<T> LogSoftmax<T>(this Tape<T> tape, Node<T> x, ReadOnlyMemory<bool> mask = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return LogSoftmaxOp<T>.Forward(tape, x, mask);
    }
}
