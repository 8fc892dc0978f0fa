using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// y = B z and w = Bᵀ z from one read of a square d x d block B stored in float32 or float64, summed in float64: the
/// kernel of the bilinear model's pass over its inverse design matrix (issue 19), written once over the storage type.
/// </summary>
/// <remarks>
/// <para>y_j = sum_c B[j, c] z_c and w_c = sum_j B[j, c] z_j. Every element is widened to float64 before it is multiplied,
/// so a float32 block gives the float64 block's results up to its own rounding (2^-24 relative per entry).</para>
/// <para>Order of rounding (the same for both storage types, so float64 results are those of the former float64-only
/// kernel bit for bit): y_j is one chain of fused multiply-adds per <see cref="Vector{T}"/> lane of float64, over c in
/// steps of <c>Vector&lt;double&gt;.Count</c>, the lanes summed, then the tail c added one by one by fused multiply-adds;
/// w is updated row by row (j = 0, 1, ...) by fused multiply-adds. For float32 the vector part covers whole
/// <c>Vector&lt;float&gt;</c>s (two float64 vectors each); for float64 it covers whole <c>Vector&lt;double&gt;</c>s.</para>
/// </remarks>
public static class BlockProducts
{
    /// <summary>
    /// y = B z, and when <paramref name="transposed"/> also w = Bᵀ z (otherwise <paramref name="w"/> is only cleared),
    /// for the row-major d x d <paramref name="block"/> of <see cref="float"/> or <see cref="double"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span shorter than the sizes need.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static void Compute<T>(ReadOnlySpan<T> block, int d, ReadOnlySpan<double> z, Span<double> y, Span<double> w, bool transposed)
        where T : unmanaged
    {
        if (block.Length < d * d || z.Length < d || y.Length < d || w.Length < d)
        {
            throw new ArgumentException($"A {d} x {d} block needs {d * d} entries and vectors of {d}; got {block.Length}, z {z.Length}, y {y.Length}, w {w.Length}.");
        }
        if (typeof(T) == typeof(double))
        {
            Run<WideDouble, double>(MemoryMarshal.Cast<T, double>(block), d, z, y, w, transposed);
        }
        else if (typeof(T) == typeof(float))
        {
            Run<WideSingle, float>(MemoryMarshal.Cast<T, float>(block), d, z, y, w, transposed);
        }
        else
        {
            throw new NotSupportedException($"Element type {typeof(T).Name} is not supported by the kernels; use float or double.");
        }
    }

    /// <summary>The kernel, written once; <typeparamref name="TWide"/> loads and widens the stored elements.</summary>
    private static void Run<TWide, T>(ReadOnlySpan<T> block, int d, ReadOnlySpan<double> z, Span<double> y, Span<double> w, bool transposed)
        where TWide : struct, IWiden<T>
        where T : unmanaged
    {
        w[..d].Clear();
        var lanes = Vector<double>.Count;
        var step = TWide.Parts * lanes;
        var full = Vector.IsHardwareAccelerated ? d - d % step : 0;
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var wRef = ref MemoryMarshal.GetReference(w);
        ref var blockRef = ref MemoryMarshal.GetReference(block);
        for (var j = 0; j < d; j++)
        {
            ref var row = ref Unsafe.Add(ref blockRef, j * d);
            var zj = z[j];
            var zjv = new Vector<double>(zj);
            var acc = Vector<double>.Zero;
            var c = 0;
            if (transposed)
            {
                for (; c < full; c += step)
                {
                    TWide.Load(ref row, (nuint)c, out var low, out var high);
                    acc = Vector.FusedMultiplyAdd(low, Vector.LoadUnsafe(ref zRef, (nuint)c), acc);
                    if (TWide.Parts == 2)
                    {
                        acc = Vector.FusedMultiplyAdd(high, Vector.LoadUnsafe(ref zRef, (nuint)(c + lanes)), acc);
                    }
                    Vector.FusedMultiplyAdd(low, zjv, Vector.LoadUnsafe(ref wRef, (nuint)c)).StoreUnsafe(ref wRef, (nuint)c);
                    if (TWide.Parts == 2)
                    {
                        Vector.FusedMultiplyAdd(high, zjv, Vector.LoadUnsafe(ref wRef, (nuint)(c + lanes))).StoreUnsafe(ref wRef, (nuint)(c + lanes));
                    }
                }
            }
            else
            {
                for (; c < full; c += step)
                {
                    TWide.Load(ref row, (nuint)c, out var low, out var high);
                    acc = Vector.FusedMultiplyAdd(low, Vector.LoadUnsafe(ref zRef, (nuint)c), acc);
                    if (TWide.Parts == 2)
                    {
                        acc = Vector.FusedMultiplyAdd(high, Vector.LoadUnsafe(ref zRef, (nuint)(c + lanes)), acc);
                    }
                }
            }
            var sum = Vector.Sum(acc);
            for (; c < d; c++)
            {
                var r = TWide.Widen(Unsafe.Add(ref row, c));
                sum = Math.FusedMultiplyAdd(r, z[c], sum);
                if (transposed)
                {
                    w[c] = Math.FusedMultiplyAdd(r, zj, w[c]);
                }
            }
            y[j] = sum;
        }
    }

    /// <summary>Loads stored elements as float64 vectors.</summary>
    private interface IWiden<T>
        where T : unmanaged
    {
        /// <summary>float64 vectors per load (1: one Vector&lt;double&gt;; 2: one Vector&lt;float&gt; widened).</summary>
        static abstract int Parts { get; }

        /// <summary>The <see cref="Parts"/> float64 vectors at <paramref name="row"/> + <paramref name="offset"/> (<paramref name="high"/> unused for one part).</summary>
        static abstract void Load(ref T row, nuint offset, out Vector<double> low, out Vector<double> high);

        /// <summary>One element as float64.</summary>
        static abstract double Widen(T value);
    }

    private readonly struct WideDouble : IWiden<double>
    {
        public static int Parts => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ref double row, nuint offset, out Vector<double> low, out Vector<double> high)
        {
            low = Vector.LoadUnsafe(ref row, offset);
            high = default;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Widen(double value) => value;
    }

    private readonly struct WideSingle : IWiden<float>
    {
        public static int Parts => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ref float row, nuint offset, out Vector<double> low, out Vector<double> high)
        {
            var packed = Vector.LoadUnsafe(ref row, offset);
            low = Vector.WidenLower(packed);
            high = Vector.WidenUpper(packed);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Widen(float value) => value;
    }
}
