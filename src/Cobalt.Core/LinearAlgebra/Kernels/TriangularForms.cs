using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// Per-row squared widths from a triangular factor, forms_i = ||x_i U||^2, and scores dots_i = x_i . v, for a block of
/// feature rows in one pass: with A^-1 = U Uᵀ (U = L^-T upper triangular, A = L Lᵀ) the form is x_iᵀ A^-1 x_i, the squared
/// UCB width, at about half the multiply-adds of x_iᵀ A^-1 x_i through a full d x d matrix.
/// </summary>
/// <remarks>
/// <para>Z = X U is a matrix product whose right factor is upper triangular: column j of Z needs rows 0..j of U only.
/// The micro-kernel holds 4 rows x 4 registers of Z (as <see cref="Gemm"/> does) and runs k = 0 .. e_0 over all four
/// registers, then drops one register per further w-wide step of k (w = the register's lanes), so each register of
/// columns [c w, c w + w) stops at k = c w + w. The squares of Z are summed in registers; Z is never stored. For d = 64 this
/// is 160 (float32) or 288 (float64) register multiply-adds per row against 256 and 512 for the full product.</para>
/// <para>U is stored row-major with a row stride of <see cref="Stride{T}(int)"/> (d rounded up to whole registers), zero
/// below the diagonal and in the padding (<see cref="InverseCholesky"/> keeps it so). The float32 overload converts each
/// chunk of float64 rows once (the scores x_i . v stay float64 from the float64 rows).</para>
/// <para>Source of the triangular-product blocking: Goto and van de Geijn 2008 (ACM TOMS 34(3)) and the TRMM of the BLIS
/// framework (Van Zee and van de Geijn 2015, "BLIS: a framework for rapidly instantiating BLAS functionality"), written
/// anew over <see cref="ISimdLanes{TSelf, T}"/>.</para>
/// </remarks>
public static class TriangularForms
{
    /// <summary>Rows per chunk: their scores are taken first, then their forms while the rows are still in L1 with U (d = 64: 8 KB of rows).</summary>
    private const int ChunkRows = 16;

    /// <summary>The row stride of U that the kernel expects: d rounded up to a whole number of the widest accelerated registers.</summary>
    public static int Stride<T>(int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        var w = Lanes<T>();
        return (d + w - 1) / w * w;
    }

    /// <summary>
    /// forms[i] = ||x_i U||^2 (x_i the i-th of n = <paramref name="forms"/>.Length rows of <paramref name="rows"/>, row-major with
    /// <paramref name="d"/> columns) for the upper-triangular U in <paramref name="upper"/> (row stride <see cref="Stride{T}(int)"/>,
    /// zero below the diagonal and in the padding), and dots[i] = x_i . vector when <paramref name="vector"/> is not empty.
    /// </summary>
    public static void Compute<T>(ReadOnlySpan<T> rows, int d, ReadOnlySpan<T> upper, ReadOnlySpan<T> vector, Span<T> dots, Span<T> forms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = forms.Length;
        var stride = Check(rows, d, n, upper, vector.Length, dots.Length, Stride<T>(d));
        ref var u = ref MemoryMarshal.GetReference(upper);
        for (var start = 0; start < n; start += ChunkRows)
        {
            var count = Math.Min(ChunkRows, n - start);
            var block = rows.Slice(start * d, count * d);
            if (!vector.IsEmpty)
            {
                for (var r = 0; r < count; r++)
                {
                    dots[start + r] = RowForms.Dot(block.Slice(r * d, d), vector);
                }
            }
            Block(ref MemoryMarshal.GetReference(block), count, d, ref u, stride, forms.Slice(start, count));
        }
    }

    /// <summary>
    /// The float32 width pass over float64 rows: each chunk of rows is converted to float32 once and forms[i] = ||x_i U||^2
    /// computed in float32 with the float32 <paramref name="upper"/>; dots[i] = x_i . vector is computed in float64 from the
    /// float64 rows (the same value as <see cref="Compute{T}"/> gives in float64).
    /// </summary>
    public static void Compute(ReadOnlySpan<double> rows, int d, ReadOnlySpan<float> upper, ReadOnlySpan<double> vector, Span<double> dots, Span<double> forms)
    {
        var n = forms.Length;
        var stride = Check(rows, d, n, upper, vector.Length, dots.Length, Stride<float>(d));
        var chunk = Math.Max(1, Math.Min(ChunkRows, 4096 / d));
        Span<float> single = chunk * d <= 4096 ? stackalloc float[chunk * d] : new float[chunk * d];
        Span<float> sums = stackalloc float[chunk];
        ref var u = ref MemoryMarshal.GetReference(upper);
        for (var start = 0; start < n; start += chunk)
        {
            var count = Math.Min(chunk, n - start);
            var block = rows.Slice(start * d, count * d);
            if (!vector.IsEmpty)
            {
                for (var r = 0; r < count; r++)
                {
                    dots[start + r] = RowForms.Dot(block.Slice(r * d, d), vector);
                }
            }
            var converted = single[..(count * d)];
            TensorPrimitives.ConvertTruncating<double, float>(block, converted); // double to float rounds to nearest
            var s = sums[..count];
            Block(ref MemoryMarshal.GetReference(converted), count, d, ref u, stride, s);
            for (var r = 0; r < count; r++)
            {
                forms[start + r] = s[r];
            }
        }
    }

    private static int Lanes<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Lanes512<T>.IsAccelerated ? Lanes512<T>.Count : Lanes256<T>.IsAccelerated ? Lanes256<T>.Count : Lanes128<T>.IsAccelerated ? Lanes128<T>.Count : 1;

    private static void Block<T>(ref T x, int count, int d, ref T u, int stride, Span<T> forms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Lanes512<T>.IsAccelerated)
        {
            Block<T, Lanes512<T>>(ref x, count, d, ref u, stride, forms);
        }
        else if (Lanes256<T>.IsAccelerated)
        {
            Block<T, Lanes256<T>>(ref x, count, d, ref u, stride, forms);
        }
        else if (Lanes128<T>.IsAccelerated)
        {
            Block<T, Lanes128<T>>(ref x, count, d, ref u, stride, forms);
        }
        else
        {
            for (var r = 0; r < count; r++)
            {
                forms[r] = ScalarForm(ref Unsafe.Add(ref x, r * d), d, ref u, stride);
            }
        }
    }

    /// <summary>||x U||^2 element by element (no SIMD).</summary>
    private static T ScalarForm<T>(ref T x, int d, ref T u, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = T.Zero;
        for (var j = 0; j < d; j++)
        {
            var z = T.Zero;
            for (var i = 0; i <= j; i++)
            {
                z = T.FusedMultiplyAdd(Unsafe.Add(ref x, i), Unsafe.Add(ref u, i * stride + j), z);
            }
            sum = T.FusedMultiplyAdd(z, z, sum);
        }
        return sum;
    }

    private static void Block<T, TV>(ref T x, int count, int d, ref T u, int stride, Span<T> forms)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        var registers = stride / w;
        var r = 0;
        for (; r + 4 <= count; r += 4)
        {
            ref var rows = ref Unsafe.Add(ref x, r * d);
            T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
            var c = 0;
            for (; c + 4 <= registers; c += 4)
            {
                Kernel4x4<T, TV>(ref rows, d, ref u, stride, c, ref s0, ref s1, ref s2, ref s3);
            }
            for (; c < registers; c++)
            {
                Kernel4x1<T, TV>(ref rows, d, ref u, stride, c, ref s0, ref s1, ref s2, ref s3);
            }
            forms[r] = s0;
            forms[r + 1] = s1;
            forms[r + 2] = s2;
            forms[r + 3] = s3;
        }
        for (; r < count; r++)
        {
            ref var row = ref Unsafe.Add(ref x, r * d);
            var s = T.Zero;
            for (var c = 0; c < registers; c++)
            {
                var end = Math.Min(d, (c + 1) * w);
                var acc = TV.Zero;
                ref var panel = ref Unsafe.Add(ref u, c * w);
                for (var k = 0; k < end; k++)
                {
                    acc = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref row, k)), TV.Load(ref panel, (nuint)(k * stride)), acc);
                }
                s += TV.Sum(TV.MultiplyAdd(acc, acc, TV.Zero));
            }
            forms[r] = s;
        }
    }

    /// <summary>4 rows x 4 registers (columns [c w, c w + 4 w)) of Z = X U; adds each row's sum of squares to s0..s3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4<T, TV>(ref T x, int d, ref T u, int stride, int c, ref T s0, ref T s1, ref T s2, ref T s3)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        ref var b = ref Unsafe.Add(ref u, c * w);
        var ws = (nuint)w;
        nint r1 = d, r2 = 2 * d, r3 = 3 * d;
        TV c00 = TV.Zero, c01 = TV.Zero, c02 = TV.Zero, c03 = TV.Zero;
        TV c10 = TV.Zero, c11 = TV.Zero, c12 = TV.Zero, c13 = TV.Zero;
        TV c20 = TV.Zero, c21 = TV.Zero, c22 = TV.Zero, c23 = TV.Zero;
        TV c30 = TV.Zero, c31 = TV.Zero, c32 = TV.Zero, c33 = TV.Zero;
        var e0 = Math.Min(d, (c + 1) * w);
        var e1 = Math.Min(d, (c + 2) * w);
        var e2 = Math.Min(d, (c + 3) * w);
        var e3 = Math.Min(d, (c + 4) * w);
        var k = 0;
        for (; k < e0; k++)
        {
            var bi = (nuint)(k * stride);
            var b0 = TV.Load(ref b, bi);
            var b1 = TV.Load(ref b, bi + ws);
            var b2 = TV.Load(ref b, bi + 2 * ws);
            var b3 = TV.Load(ref b, bi + 3 * ws);
            var a = TV.Broadcast(Unsafe.Add(ref x, k));
            c00 = TV.MultiplyAdd(a, b0, c00);
            c01 = TV.MultiplyAdd(a, b1, c01);
            c02 = TV.MultiplyAdd(a, b2, c02);
            c03 = TV.MultiplyAdd(a, b3, c03);
            a = TV.Broadcast(Unsafe.Add(ref x, r1 + k));
            c10 = TV.MultiplyAdd(a, b0, c10);
            c11 = TV.MultiplyAdd(a, b1, c11);
            c12 = TV.MultiplyAdd(a, b2, c12);
            c13 = TV.MultiplyAdd(a, b3, c13);
            a = TV.Broadcast(Unsafe.Add(ref x, r2 + k));
            c20 = TV.MultiplyAdd(a, b0, c20);
            c21 = TV.MultiplyAdd(a, b1, c21);
            c22 = TV.MultiplyAdd(a, b2, c22);
            c23 = TV.MultiplyAdd(a, b3, c23);
            a = TV.Broadcast(Unsafe.Add(ref x, r3 + k));
            c30 = TV.MultiplyAdd(a, b0, c30);
            c31 = TV.MultiplyAdd(a, b1, c31);
            c32 = TV.MultiplyAdd(a, b2, c32);
            c33 = TV.MultiplyAdd(a, b3, c33);
        }
        for (; k < e1; k++)
        {
            var bi = (nuint)(k * stride);
            var b1 = TV.Load(ref b, bi + ws);
            var b2 = TV.Load(ref b, bi + 2 * ws);
            var b3 = TV.Load(ref b, bi + 3 * ws);
            var a = TV.Broadcast(Unsafe.Add(ref x, k));
            c01 = TV.MultiplyAdd(a, b1, c01);
            c02 = TV.MultiplyAdd(a, b2, c02);
            c03 = TV.MultiplyAdd(a, b3, c03);
            a = TV.Broadcast(Unsafe.Add(ref x, r1 + k));
            c11 = TV.MultiplyAdd(a, b1, c11);
            c12 = TV.MultiplyAdd(a, b2, c12);
            c13 = TV.MultiplyAdd(a, b3, c13);
            a = TV.Broadcast(Unsafe.Add(ref x, r2 + k));
            c21 = TV.MultiplyAdd(a, b1, c21);
            c22 = TV.MultiplyAdd(a, b2, c22);
            c23 = TV.MultiplyAdd(a, b3, c23);
            a = TV.Broadcast(Unsafe.Add(ref x, r3 + k));
            c31 = TV.MultiplyAdd(a, b1, c31);
            c32 = TV.MultiplyAdd(a, b2, c32);
            c33 = TV.MultiplyAdd(a, b3, c33);
        }
        for (; k < e2; k++)
        {
            var bi = (nuint)(k * stride);
            var b2 = TV.Load(ref b, bi + 2 * ws);
            var b3 = TV.Load(ref b, bi + 3 * ws);
            var a = TV.Broadcast(Unsafe.Add(ref x, k));
            c02 = TV.MultiplyAdd(a, b2, c02);
            c03 = TV.MultiplyAdd(a, b3, c03);
            a = TV.Broadcast(Unsafe.Add(ref x, r1 + k));
            c12 = TV.MultiplyAdd(a, b2, c12);
            c13 = TV.MultiplyAdd(a, b3, c13);
            a = TV.Broadcast(Unsafe.Add(ref x, r2 + k));
            c22 = TV.MultiplyAdd(a, b2, c22);
            c23 = TV.MultiplyAdd(a, b3, c23);
            a = TV.Broadcast(Unsafe.Add(ref x, r3 + k));
            c32 = TV.MultiplyAdd(a, b2, c32);
            c33 = TV.MultiplyAdd(a, b3, c33);
        }
        for (; k < e3; k++)
        {
            var b3 = TV.Load(ref b, (nuint)(k * stride) + 3 * ws);
            c03 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k)), b3, c03);
            c13 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, r1 + k)), b3, c13);
            c23 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, r2 + k)), b3, c23);
            c33 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, r3 + k)), b3, c33);
        }
        s0 += SumSquares<T, TV>(c00, c01, c02, c03);
        s1 += SumSquares<T, TV>(c10, c11, c12, c13);
        s2 += SumSquares<T, TV>(c20, c21, c22, c23);
        s3 += SumSquares<T, TV>(c30, c31, c32, c33);
    }

    /// <summary>4 rows x 1 register (columns [c w, c w + w)) of Z = X U; adds each row's sum of squares to s0..s3.</summary>
    private static void Kernel4x1<T, TV>(ref T x, int d, ref T u, int stride, int c, ref T s0, ref T s1, ref T s2, ref T s3)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = TV.Count;
        ref var b = ref Unsafe.Add(ref u, c * w);
        nint r1 = d, r2 = 2 * d, r3 = 3 * d;
        TV c0 = TV.Zero, c1 = TV.Zero, c2 = TV.Zero, c3 = TV.Zero;
        var end = Math.Min(d, (c + 1) * w);
        for (var k = 0; k < end; k++)
        {
            var b0 = TV.Load(ref b, (nuint)(k * stride));
            c0 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k)), b0, c0);
            c1 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, r1 + k)), b0, c1);
            c2 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, r2 + k)), b0, c2);
            c3 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, r3 + k)), b0, c3);
        }
        s0 += TV.Sum(TV.MultiplyAdd(c0, c0, TV.Zero));
        s1 += TV.Sum(TV.MultiplyAdd(c1, c1, TV.Zero));
        s2 += TV.Sum(TV.MultiplyAdd(c2, c2, TV.Zero));
        s3 += TV.Sum(TV.MultiplyAdd(c3, c3, TV.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T SumSquares<T, TV>(TV a, TV b, TV c, TV d)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T> =>
        TV.Sum(TV.MultiplyAdd(d, d, TV.MultiplyAdd(c, c, TV.MultiplyAdd(b, b, TV.MultiplyAdd(a, a, TV.Zero)))));

    private static int Check<TRow, TU>(ReadOnlySpan<TRow> rows, int d, int n, ReadOnlySpan<TU> upper, int vectorLength, int dotsLength, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        if (rows.Length < (long)n * d)
        {
            throw new ArgumentException($"{n} rows of {d} features need {(long)n * d} values; got {rows.Length}.", nameof(rows));
        }
        if (upper.Length < d * stride)
        {
            throw new ArgumentException($"The triangular factor needs {d} rows of stride {stride} = {d * stride} values; got {upper.Length}.", nameof(upper));
        }
        if (vectorLength != 0 && (vectorLength != d || dotsLength < n))
        {
            throw new ArgumentException($"The vector needs {d} values and the dots {n}; got {vectorLength} and {dotsLength}.", nameof(vectorLength));
        }
        return stride;
    }
}
