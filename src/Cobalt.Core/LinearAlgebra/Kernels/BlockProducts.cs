using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// y = B z and w = Bᵀ z from one read of a square d x d block B, in float32 or float64: the kernel of the bilinear
/// model's pass over its inverse design matrix (issue 19), written once over the element type and the SIMD width.
/// </summary>
/// <remarks>
/// <para>y_j = sum_c B[j, c] z_c and w_c = sum_j B[j, c] z_j, computed in the element type: a float32 block is multiplied
/// and summed in float32 (twice the lanes of float64 and no widening).</para>
/// <para>Order of rounding: y_j is one chain of fused multiply-adds per SIMD lane over c in steps of the lane count, the
/// lanes summed, then the tail c added one by one by fused multiply-adds; w_c is one chain of fused multiply-adds over the
/// rows j = 0, 1, ... The lane count is that of <see cref="Vector{T}"/>, so float64 results are those of the earlier
/// kernel (which widened float32 blocks to float64) bit for bit.</para>
/// <para>Rows are read one at a time, in memory order. Taking four rows at a time (four independent y chains) was 2.8x
/// faster on blocks held in L2, but the model's pass reads its triangle from memory (a round's catalogue scan evicts it),
/// and there four interleaved rows ran 1.2 to 3 times slower than rows in order (measured on the 2-core EPYC,
/// 2026-12-06: float64 triangle 3.0 -> 8.3 ms; 2-S-GBLM-UCB f32 rounds 7.1 -> 8.3 ms, medians of six).</para>
/// </remarks>
public static class BlockProducts
{
    /// <summary>
    /// y = B z, and when <paramref name="transposed"/> also w = Bᵀ z (otherwise <paramref name="w"/> is only cleared),
    /// for the row-major d x d <paramref name="block"/> of <see cref="float"/> or <see cref="double"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span shorter than the sizes need.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static void Compute<T>(ReadOnlySpan<T> block, int d, ReadOnlySpan<T> z, Span<T> y, Span<T> w, bool transposed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (block.Length < d * d || z.Length < d || y.Length < d || w.Length < d)
        {
            throw new ArgumentException($"A {d} x {d} block needs {d * d} entries and vectors of {d}; got {block.Length}, z {z.Length}, y {y.Length}, w {w.Length}.");
        }
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Element type {typeof(T).Name} is not supported by the kernels; use float or double.");
        }
        ref var b = ref MemoryMarshal.GetReference(block);
        ref var zr = ref MemoryMarshal.GetReference(z);
        ref var yr = ref MemoryMarshal.GetReference(y);
        ref var wr = ref MemoryMarshal.GetReference(w);
        switch (Vector.IsHardwareAccelerated ? Vector<byte>.Count : 0)
        {
            case 64 when Lanes512<T>.IsAccelerated:
                Run<T, Lanes512<T>>(ref b, d, ref zr, ref yr, ref wr, transposed, simd: true);
                break;
            case 32 when Lanes256<T>.IsAccelerated:
                Run<T, Lanes256<T>>(ref b, d, ref zr, ref yr, ref wr, transposed, simd: true);
                break;
            default:
                Run<T, Lanes128<T>>(ref b, d, ref zr, ref yr, ref wr, transposed, simd: Vector.IsHardwareAccelerated && Lanes128<T>.IsAccelerated);
                break;
        }
    }

    /// <summary>The kernel, written once; <typeparamref name="TLanes"/> is the SIMD width (no vector part unless <paramref name="simd"/>).</summary>
    private static void Run<T, TLanes>(ref T block, int d, ref T z, ref T y, ref T w, bool transposed, bool simd)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLanes : struct, ISimdLanes<TLanes, T>
    {
        MemoryMarshal.CreateSpan(ref w, d).Clear();
        var lanes = TLanes.Count;
        var full = simd ? d - d % lanes : 0;
        for (var j = 0; j < d; j++)
        {
            ref var row = ref Unsafe.Add(ref block, j * d);
            var zj = Unsafe.Add(ref z, j);
            var acc = TLanes.Zero;
            if (transposed)
            {
                var vj = TLanes.Broadcast(zj);
                for (var c = 0; c < full; c += lanes)
                {
                    var at = (nuint)c;
                    var bc = TLanes.Load(ref row, at);
                    acc = TLanes.MultiplyAdd(bc, TLanes.Load(ref z, at), acc);
                    TLanes.Store(TLanes.MultiplyAdd(bc, vj, TLanes.Load(ref w, at)), ref w, at);
                }
            }
            else
            {
                for (var c = 0; c < full; c += lanes)
                {
                    var at = (nuint)c;
                    acc = TLanes.MultiplyAdd(TLanes.Load(ref row, at), TLanes.Load(ref z, at), acc);
                }
            }
            var sum = TLanes.Sum(acc);
            for (var c = full; c < d; c++)
            {
                var bc = Unsafe.Add(ref row, c);
                sum = T.FusedMultiplyAdd(bc, Unsafe.Add(ref z, c), sum);
                if (transposed)
                {
                    ref var wc = ref Unsafe.Add(ref w, c);
                    wc = T.FusedMultiplyAdd(bc, zj, wc);
                }
            }
            Unsafe.Add(ref y, j) = sum;
        }
    }
}
