using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        // Software pipeline: the scores of the next block of rows (which pulls those rows from memory) are taken before the
        // forms of this block, so the rows stream in while the multiply-adds run instead of between them.
        if (!vector.IsEmpty)
        {
            Scores(rows, d, vector, dots, 0, Math.Min(BlockRows, n));
        }
        for (var start = 0; start < n; start += BlockRows)
        {
            var count = Math.Min(BlockRows, n - start);
            var next = start + count;
            if (!vector.IsEmpty && next < n)
            {
                Scores(rows, d, vector, dots, next, Math.Min(BlockRows, n - next));
            }
            Block(ref MemoryMarshal.GetReference(rows[(start * d)..]), count, d, ref u, stride, forms.Slice(start, count));
        }
    }

    /// <summary>
    /// The float32 width pass over float64 rows: each block of rows is converted to float32 once and forms[i] = ||x_i U||^2
    /// computed in float32 with the float32 <paramref name="upper"/>; dots[i] = x_i . vector is computed in float64 from the
    /// float64 rows (the same value as <see cref="Compute{T}"/> gives in float64).
    /// </summary>
    public static void Compute(ReadOnlySpan<double> rows, int d, ReadOnlySpan<float> upper, ReadOnlySpan<double> vector, Span<double> dots, Span<double> forms)
    {
        var n = forms.Length;
        var stride = Check(rows, d, n, upper, vector.Length, dots.Length, Stride<float>(d));
        var size = BlockRows * d;
        Span<float> single = 2 * size <= 4096 ? stackalloc float[2 * size] : new float[2 * size];
        Span<float> sums = stackalloc float[BlockRows];
        ref var u = ref MemoryMarshal.GetReference(upper);
        // Software pipeline as in the float64 pass: block b + 1 is scored and converted (into the other half of the buffer)
        // before block b's forms.
        Prepare(rows, d, vector, dots, single[..size], 0, Math.Min(BlockRows, n));
        for (var start = 0; start < n; start += BlockRows)
        {
            var count = Math.Min(BlockRows, n - start);
            var next = start + count;
            var half = (start / BlockRows) & 1;
            if (next < n)
            {
                Prepare(rows, d, vector, dots, single.Slice((1 - half) * size, size), next, Math.Min(BlockRows, n - next));
            }
            var s = sums[..count];
            Block(ref single[half * size], count, d, ref u, stride, s);
            for (var r = 0; r < count; r++)
            {
                forms[start + r] = s[r];
            }
        }
    }

    /// <summary>Rows per block of the pipeline (the micro-kernel's 4).</summary>
    private const int BlockRows = 4;

    /// <summary>dots[r] = x_r . vector for the rows [start, start + count), exactly as <see cref="RowForms.Dot{T}"/> computes them.</summary>
    private static void Scores<T>(ReadOnlySpan<T> rows, int d, ReadOnlySpan<T> vector, Span<T> dots, int start, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (count == 4 && Lanes512<T>.IsAccelerated && d % (2 * Lanes512<T>.Count) == 0)
        {
            Scores4<T, Lanes512<T>>(ref MemoryMarshal.GetReference(rows[(start * d)..]), d, ref MemoryMarshal.GetReference(vector), dots.Slice(start, 4));
            return;
        }
        if (count == 4 && !Lanes512<T>.IsAccelerated && Lanes256<T>.IsAccelerated && d % (2 * Lanes256<T>.Count) == 0)
        {
            Scores4<T, Lanes256<T>>(ref MemoryMarshal.GetReference(rows[(start * d)..]), d, ref MemoryMarshal.GetReference(vector), dots.Slice(start, 4));
            return;
        }
        for (var r = start; r < start + count; r++)
        {
            dots[r] = RowForms.Dot(rows.Slice(r * d, d), vector);
        }
    }

    /// <summary>
    /// <see cref="Scores4{T, TV}"/> on 512-bit lanes of doubles, also writing the four rows rounded to float32 into
    /// <paramref name="target"/> from the registers already loaded (one read of the float64 rows for both).
    /// </summary>
    private static void ScoreAndNarrow4(ref double x, int d, ref double v, Span<double> dots, ref float target)
    {
        const int w = 8;
        nuint r1 = (nuint)d, r2 = 2 * (nuint)d, r3 = 3 * (nuint)d;
        Vector512<double> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        for (nuint i = 0; i < (nuint)d; i += 2 * w)
        {
            var v0 = Vector512.LoadUnsafe(ref v, i);
            var v1 = Vector512.LoadUnsafe(ref v, i + w);
            var x0 = Vector512.LoadUnsafe(ref x, i);
            var x1 = Vector512.LoadUnsafe(ref x, i + w);
            a00 = Vector512.FusedMultiplyAdd(x0, v0, a00);
            a01 = Vector512.FusedMultiplyAdd(x1, v1, a01);
            Vector512.Narrow(x0, x1).StoreUnsafe(ref target, i);
            x0 = Vector512.LoadUnsafe(ref x, r1 + i);
            x1 = Vector512.LoadUnsafe(ref x, r1 + i + w);
            a10 = Vector512.FusedMultiplyAdd(x0, v0, a10);
            a11 = Vector512.FusedMultiplyAdd(x1, v1, a11);
            Vector512.Narrow(x0, x1).StoreUnsafe(ref target, r1 + i);
            x0 = Vector512.LoadUnsafe(ref x, r2 + i);
            x1 = Vector512.LoadUnsafe(ref x, r2 + i + w);
            a20 = Vector512.FusedMultiplyAdd(x0, v0, a20);
            a21 = Vector512.FusedMultiplyAdd(x1, v1, a21);
            Vector512.Narrow(x0, x1).StoreUnsafe(ref target, r2 + i);
            x0 = Vector512.LoadUnsafe(ref x, r3 + i);
            x1 = Vector512.LoadUnsafe(ref x, r3 + i + w);
            a30 = Vector512.FusedMultiplyAdd(x0, v0, a30);
            a31 = Vector512.FusedMultiplyAdd(x1, v1, a31);
            Vector512.Narrow(x0, x1).StoreUnsafe(ref target, r3 + i);
        }
        dots[0] = 0.0 + Vector512.Sum(a00) + Vector512.Sum(a01);
        dots[1] = 0.0 + Vector512.Sum(a10) + Vector512.Sum(a11);
        dots[2] = 0.0 + Vector512.Sum(a20) + Vector512.Sum(a21);
        dots[3] = 0.0 + Vector512.Sum(a30) + Vector512.Sum(a31);
    }

    /// <summary>
    /// Four rows' scores at once, with the arithmetic of <see cref="RowForms.DotPair{T}"/> for d a multiple of 2 w on the
    /// widest lanes (two accumulators over alternate registers, then (0 + sum a0) + sum a1), so the bits are the same; the
    /// four independent chains keep the FMA units busy where one row's chain could not.
    /// </summary>
    private static void Scores4<T, TV>(ref T x, int d, ref T v, Span<T> dots)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct, ISimdLanes<TV, T>
    {
        var w = (nuint)TV.Count;
        nuint r1 = (nuint)d, r2 = 2 * (nuint)d, r3 = 3 * (nuint)d;
        TV a00 = TV.Zero, a01 = TV.Zero, a10 = TV.Zero, a11 = TV.Zero, a20 = TV.Zero, a21 = TV.Zero, a30 = TV.Zero, a31 = TV.Zero;
        for (nuint i = 0; i < (nuint)d; i += 2 * w)
        {
            var v0 = TV.Load(ref v, i);
            var v1 = TV.Load(ref v, i + w);
            a00 = TV.MultiplyAdd(TV.Load(ref x, i), v0, a00);
            a01 = TV.MultiplyAdd(TV.Load(ref x, i + w), v1, a01);
            a10 = TV.MultiplyAdd(TV.Load(ref x, r1 + i), v0, a10);
            a11 = TV.MultiplyAdd(TV.Load(ref x, r1 + i + w), v1, a11);
            a20 = TV.MultiplyAdd(TV.Load(ref x, r2 + i), v0, a20);
            a21 = TV.MultiplyAdd(TV.Load(ref x, r2 + i + w), v1, a21);
            a30 = TV.MultiplyAdd(TV.Load(ref x, r3 + i), v0, a30);
            a31 = TV.MultiplyAdd(TV.Load(ref x, r3 + i + w), v1, a31);
        }
        dots[0] = T.Zero + TV.Sum(a00) + TV.Sum(a01);
        dots[1] = T.Zero + TV.Sum(a10) + TV.Sum(a11);
        dots[2] = T.Zero + TV.Sum(a20) + TV.Sum(a21);
        dots[3] = T.Zero + TV.Sum(a30) + TV.Sum(a31);
    }

    private static void Prepare(ReadOnlySpan<double> rows, int d, ReadOnlySpan<double> vector, Span<double> dots, Span<float> target, int start, int count)
    {
        if (count == 4 && !vector.IsEmpty && Lanes512<double>.IsAccelerated && d % 16 == 0)
        {
            ScoreAndNarrow4(ref MemoryMarshal.GetReference(rows[(start * d)..]), d, ref MemoryMarshal.GetReference(vector), dots.Slice(start, 4), ref MemoryMarshal.GetReference(target));
            return;
        }
        if (!vector.IsEmpty)
        {
            Scores(rows, d, vector, dots, start, count);
        }
        TensorPrimitives.ConvertTruncating<double, float>(rows.Slice(start * d, count * d), target[..(count * d)]); // rounds to nearest
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
