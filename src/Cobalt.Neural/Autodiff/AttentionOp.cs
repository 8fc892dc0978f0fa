using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// Fused multi-head scaled dot-product attention (Vaswani et al. 2017) over [B, L, D] inputs with the heads interleaved
/// component-major: column d H + h is component d of head h (D = H d_k). For each sequence b, head h and query i:
/// s_ij = c Σ_d q_i,dh k_j,dh; p_i = softmax_j(s_i) over the valid keys j; o_i,dh = Σ_j p_ij v_j,dh.
/// </summary>
/// <remarks>
/// <para>Interleaving the heads makes the H heads of one (i, j) pair the lanes of one vector, so the scores, the softmax
/// and the weighted sum run across heads in SIMD with no reshaping, transposing or per-head matrix products. The layout is a
/// relabelling of the projections' columns, so the model is NRMS's. The same result composed from primitive operations
/// (reshape, permute, batched MatMul, masked Softmax) is checked against this one in the tests.</para>
/// <para>Backward (per sequence): dv_j += Σ_i p_ij do_i; dp_ij = Σ_d do_i,dh v_j,dh; ds_ij = c p_ij (dp_ij - Σ_j' p_ij' dp_ij');
/// dq_i += Σ_j ds_ij k_j; dk_j += Σ_i ds_ij q_i. Sequences are split between threads; everything about one sequence is
/// computed by one thread in a fixed order. Masked keys get probability 0 and are never read; a query with no valid key
/// outputs 0. Node fields: I0 = H, F0 = c, Mask = [B, L] key mask, Saved = p [B, L, L, H].</para>
/// </remarks>
internal sealed class AttentionOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly AttentionOp<T> Instance = new();

    public override string Name => "multi-head-attention";

    public static Node<T> Forward(Tape<T> tape, Node<T> q, Node<T> k, Node<T> v, int heads, ReadOnlyMemory<bool> mask, double scale)
    {
        tape.Own(q, nameof(q));
        tape.Own(k, nameof(k));
        tape.Own(v, nameof(v));
        if (q.Shape.Rank != 3 || q.Shape != k.Shape || q.Shape != v.Shape)
        {
            throw new ArgumentException($"Attention needs queries, keys and values of one shape [batch, length, width]; got {q.Shape}, {k.Shape}, {v.Shape}.");
        }
        var (b, l, width) = (q.Shape[0], q.Shape[1], q.Shape[2]);
        if (heads <= 0 || width % heads != 0)
        {
            throw new ArgumentException($"Width {width} cannot be split into {heads} heads.", nameof(heads));
        }
        if (!mask.IsEmpty && mask.Length != b * l)
        {
            throw new ArgumentException($"The key mask has {mask.Length} entries; a [{b}, {l}] batch needs {b * l}.", nameof(mask));
        }
        if (!double.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be finite.");
        }
        var node = tape.Record(Instance, q.Shape, [q, k, v]);
        node.I0 = heads;
        node.F0 = scale;
        node.Mask = mask;
        node.Saved = tape.Rent(b * l * l * heads, clear: false);
        var (qs, ks, vs, output, p) = (q.Values, k.Values, v.Values, node.Values, node.Saved);
        var c = T.CreateChecked(scale);
        tape.Parallelism.ForRange(b, 1, (long)b * l * l * width * 2, (start, end) =>
        {
            Span<T> max = heads <= 256 ? stackalloc T[heads] : new T[heads];
            Span<T> sum = heads <= 256 ? stackalloc T[heads] : new T[heads];
            for (var s = start; s < end; s++)
            {
                if (VectorLanes(heads))
                {
                    ForwardSequenceVector(s, l, width, heads, c, qs.Span, ks.Span, vs.Span, mask.Span, output.Span, p.Span);
                }
                else
                {
                    ForwardSequence(s, l, width, heads, c, qs.Span, ks.Span, vs.Span, mask.Span, output.Span, p.Span, max, sum);
                }
            }
        });
        return node;
    }

    private static void ForwardSequence(
        int b, int l, int width, int heads, T c, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<bool> mask,
        Span<T> output, Span<T> probabilities, Span<T> max, Span<T> sum)
    {
        var dk = width / heads;
        var valid = mask.IsEmpty ? default : mask.Slice(b * l, l);
        for (var i = 0; i < l; i++)
        {
            var qi = q.Slice((b * l + i) * width, width);
            var oi = output.Slice((b * l + i) * width, width);
            var block = probabilities.Slice((b * l + i) * l * heads, l * heads); // [j, h]
            oi.Clear();
            block.Clear();
            var any = false;
            for (var j = 0; j < l; j++)
            {
                if (!valid.IsEmpty && !valid[j])
                {
                    continue;
                }
                var row = block.Slice(j * heads, heads);
                var kj = k.Slice((b * l + j) * width, width);
                for (var d = 0; d < dk; d++)
                {
                    Lanes.MultiplyAdd(qi.Slice(d * heads, heads), kj.Slice(d * heads, heads), row);
                }
                TensorPrimitives.Multiply(row, c, row);
                if (!any)
                {
                    row.CopyTo(max);
                    any = true;
                }
                else
                {
                    Lanes.Max<T>(row, max);
                }
            }
            if (!any)
            {
                continue;
            }
            if (!T.IsFinite(TensorPrimitives.Sum<T>(max)))
            {
                throw new ArgumentException("Attention scores are not finite: the values feeding them have diverged.");
            }
            sum.Clear();
            for (var j = 0; j < l; j++)
            {
                if (!valid.IsEmpty && !valid[j])
                {
                    continue;
                }
                var row = block.Slice(j * heads, heads);
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Add(sum, row, sum);
            }
            for (var j = 0; j < l; j++)
            {
                if (!valid.IsEmpty && !valid[j])
                {
                    continue;
                }
                var row = block.Slice(j * heads, heads);
                TensorPrimitives.Divide(row, sum, row);
                var vj = v.Slice((b * l + j) * width, width);
                for (var d = 0; d < dk; d++)
                {
                    Lanes.MultiplyAdd(row, vj.Slice(d * heads, heads), oi.Slice(d * heads, heads));
                }
            }
        }
    }

    public override void Backward(Node<T> node)
    {
        var (q, k, v) = (node.Inputs[0], node.Inputs[1], node.Inputs[2]);
        var (b, l, width) = (q.Shape[0], q.Shape[1], q.Shape[2]);
        var heads = node.I0;
        var c = T.CreateChecked(node.F0);
        var mask = node.Mask;
        var scratch = node.Tape.Rent(b * (l + 1) * heads, clear: false);
        var (qs, ks, vs, p, dOut) = (q.Values, k.Values, v.Values, node.Saved, node.Gradient);
        var (dq, dk, dv) = (q.RequiresGrad ? q.Gradient : default, k.RequiresGrad ? k.Gradient : default, v.RequiresGrad ? v.Gradient : default);
        node.Tape.Parallelism.ForRange(b, 1, (long)b * l * l * width * 5, (start, end) =>
        {
            for (var s = start; s < end; s++)
            {
                if (VectorLanes(heads))
                {
                    BackwardSequenceVector(s, l, width, heads, c, qs.Span, ks.Span, vs.Span, mask.Span, p.Span, dOut.Span, dq.Span, dk.Span, dv.Span, scratch.Span.Slice(s * (l + 1) * heads, (l + 1) * heads));
                    continue;
                }
                BackwardSequence(s, l, width, heads, c, qs.Span, ks.Span, vs.Span, mask.Span, p.Span, dOut.Span, dq.Span, dk.Span, dv.Span, scratch.Span.Slice(s * (l + 1) * heads, (l + 1) * heads));
            }
        });
    }

    private static void BackwardSequence(
        int b, int l, int width, int heads, T c, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<bool> mask,
        ReadOnlySpan<T> probabilities, ReadOnlySpan<T> dOut, Span<T> dq, Span<T> dk, Span<T> dv, Span<T> scratch)
    {
        var depth = width / heads;
        var valid = mask.IsEmpty ? default : mask.Slice(b * l, l);
        var dp = scratch[..(l * heads)];
        var rowDot = scratch.Slice(l * heads, heads);
        for (var i = 0; i < l; i++)
        {
            var block = probabilities.Slice((b * l + i) * l * heads, l * heads);
            var doi = dOut.Slice((b * l + i) * width, width);
            var qi = q.Slice((b * l + i) * width, width);
            rowDot.Clear();
            for (var j = 0; j < l; j++)
            {
                if (!valid.IsEmpty && !valid[j])
                {
                    continue;
                }
                var dpRow = dp.Slice(j * heads, heads);
                dpRow.Clear();
                var vj = v.Slice((b * l + j) * width, width);
                for (var d = 0; d < depth; d++)
                {
                    Lanes.MultiplyAdd(doi.Slice(d * heads, heads), vj.Slice(d * heads, heads), dpRow);
                }
                Lanes.MultiplyAdd(block.Slice(j * heads, heads), dpRow, rowDot);
            }
            for (var j = 0; j < l; j++)
            {
                if (!valid.IsEmpty && !valid[j])
                {
                    continue;
                }
                var pRow = block.Slice(j * heads, heads);
                var ds = dp.Slice(j * heads, heads);
                TensorPrimitives.Subtract(ds, rowDot, ds);
                TensorPrimitives.Multiply(ds, pRow, ds);
                TensorPrimitives.Multiply(ds, c, ds);
                var row = (b * l + j) * width;
                for (var d = 0; d < depth; d++)
                {
                    var lane = d * heads;
                    if (!dq.IsEmpty)
                    {
                        Lanes.MultiplyAdd(ds, k.Slice(row + lane, heads), dq.Slice((b * l + i) * width + lane, heads));
                    }
                    if (!dk.IsEmpty)
                    {
                        Lanes.MultiplyAdd(ds, qi.Slice(lane, heads), dk.Slice(row + lane, heads));
                    }
                    if (!dv.IsEmpty)
                    {
                        Lanes.MultiplyAdd(pRow, doi.Slice(lane, heads), dv.Slice(row + lane, heads));
                    }
                }
            }
        }
    }

    /// <summary>Whether the heads fill whole <see cref="Vector{T}"/>s, so the register paths apply.</summary>
    private static bool VectorLanes(int heads) => Vector.IsHardwareAccelerated && heads % Vector<T>.Count == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma(Vector<T> x, Vector<T> y, Vector<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.As<float, T>(Vector.FusedMultiplyAdd(Vector.As<T, float>(x), Vector.As<T, float>(y), Vector.As<T, float>(z)));
        }
        return Vector.As<double, T>(Vector.FusedMultiplyAdd(Vector.As<T, double>(x), Vector.As<T, double>(y), Vector.As<T, double>(z)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Exp(Vector<T> x) =>
        typeof(T) == typeof(float)
            ? Vector.As<float, T>(Vector.Exp(Vector.As<T, float>(x)))
            : Vector.As<double, T>(Vector.Exp(Vector.As<T, double>(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load(ReadOnlySpan<T> span, int index) => Vector.LoadUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<T> value, Span<T> span, int index) => value.StoreUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    /// <summary>The forward pass of one sequence with each group of heads held in a register (heads a multiple of the vector width).</summary>
    private static void ForwardSequenceVector(
        int b, int l, int width, int heads, T c, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<bool> mask,
        Span<T> output, Span<T> probabilities)
    {
        var depth = width / heads;
        var w = Vector<T>.Count;
        var valid = mask.IsEmpty ? default : mask.Slice(b * l, l);
        var scale = new Vector<T>(c);
        var sequence = b * l * width;
        for (var i = 0; i < l; i++)
        {
            var qi = sequence + i * width;
            var block = (b * l + i) * l * heads;
            probabilities.Slice(block, l * heads).Clear();
            for (var lane = 0; lane < heads; lane += w)
            {
                var max = Vector<T>.Zero;
                var any = false;
                for (var j = 0; j < l; j++)
                {
                    if (!valid.IsEmpty && !valid[j])
                    {
                        continue;
                    }
                    var kj = sequence + j * width;
                    var score = Vector<T>.Zero;
                    for (var d = 0; d < depth; d++)
                    {
                        score = Fma(Load(q, qi + d * heads + lane), Load(k, kj + d * heads + lane), score);
                    }
                    score *= scale;
                    Store(score, probabilities, block + j * heads + lane);
                    max = any ? Vector.Max(max, score) : score;
                    any = true;
                }
                for (var d = 0; d < depth; d++)
                {
                    Store(Vector<T>.Zero, output, qi + d * heads + lane);
                }
                if (!any)
                {
                    continue;
                }
                var sum = Vector<T>.Zero;
                for (var j = 0; j < l; j++)
                {
                    if (valid.IsEmpty || valid[j])
                    {
                        var e = Exp(Load(probabilities, block + j * heads + lane) - max);
                        Store(e, probabilities, block + j * heads + lane);
                        sum += e;
                    }
                }
                if (!T.IsFinite(Vector.Sum(sum)))
                {
                    throw new ArgumentException("Attention scores are not finite: the values feeding them have diverged.");
                }
                for (var j = 0; j < l; j++)
                {
                    if (valid.IsEmpty || valid[j])
                    {
                        var pj = Load(probabilities, block + j * heads + lane) / sum;
                        Store(pj, probabilities, block + j * heads + lane);
                        var vj = sequence + j * width;
                        for (var d = 0; d < depth; d++)
                        {
                            var at = qi + d * heads + lane;
                            Store(Fma(pj, Load(v, vj + d * heads + lane), Load(output, at)), output, at);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The backward pass of one sequence with each group of heads held in a register (heads a multiple of the vector width).</summary>
    private static void BackwardSequenceVector(
        int b, int l, int width, int heads, T c, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<bool> mask,
        ReadOnlySpan<T> probabilities, ReadOnlySpan<T> dOut, Span<T> dq, Span<T> dk, Span<T> dv, Span<T> scratch)
    {
        var depth = width / heads;
        var w = Vector<T>.Count;
        var valid = mask.IsEmpty ? default : mask.Slice(b * l, l);
        var scale = new Vector<T>(c);
        var sequence = b * l * width;
        for (var i = 0; i < l; i++)
        {
            var qi = sequence + i * width;
            var block = (b * l + i) * l * heads;
            for (var lane = 0; lane < heads; lane += w)
            {
                var rowDot = Vector<T>.Zero;
                for (var j = 0; j < l; j++)
                {
                    if (!valid.IsEmpty && !valid[j])
                    {
                        continue;
                    }
                    var vj = sequence + j * width;
                    var dp = Vector<T>.Zero;
                    for (var d = 0; d < depth; d++)
                    {
                        dp = Fma(Load(dOut, qi + d * heads + lane), Load(v, vj + d * heads + lane), dp);
                    }
                    Store(dp, scratch, j * heads + lane);
                    rowDot = Fma(Load(probabilities, block + j * heads + lane), dp, rowDot);
                }
                for (var j = 0; j < l; j++)
                {
                    if (!valid.IsEmpty && !valid[j])
                    {
                        continue;
                    }
                    var pj = Load(probabilities, block + j * heads + lane);
                    var ds = (Load(scratch, j * heads + lane) - rowDot) * pj * scale;
                    var kj = sequence + j * width;
                    for (var d = 0; d < depth; d++)
                    {
                        var own = qi + d * heads + lane;
                        var other = kj + d * heads + lane;
                        if (!dq.IsEmpty)
                        {
                            Store(Fma(ds, Load(k, other), Load(dq, own)), dq, own);
                        }
                        if (!dk.IsEmpty)
                        {
                            Store(Fma(ds, Load(q, own), Load(dk, other)), dk, other);
                        }
                        if (!dv.IsEmpty)
                        {
                            Store(Fma(pj, Load(dOut, own), Load(dv, other)), dv, other);
                        }
                    }
                }
            }
        }
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>
    /// Multi-head scaled dot-product attention over [B, L, H d_k] queries, keys and values whose columns interleave the heads
    /// component-major (column d H + h is component d of head h): o_i = Σ_j softmax_j(c q_i · k_j) v_j per head, over the keys
    /// that <paramref name="keyMask"/> [B, L] marks valid (empty: all). A query with no valid key gives 0.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ, the width is not a multiple of <paramref name="heads"/>, or the mask does not fit.</exception>
    public static Node<T> MultiHeadAttention<T>(this Tape<T> tape, Node<T> q, Node<T> k, Node<T> v, int heads, ReadOnlyMemory<bool> keyMask, double scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return AttentionOp<T>.Forward(tape, q, k, v, heads, keyMask, scale);
    }
}
