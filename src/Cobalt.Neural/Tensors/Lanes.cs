using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cobalt.Neural.Tensors;

/// <summary>
/// Short element-wise span kernels for the inner loops of fused operations, where a call to
/// <see cref="System.Numerics.Tensors.TensorPrimitives"/> per row of a few elements would cost more than the arithmetic.
/// </summary>
/// <remarks>
/// Each element is computed by the same operation in the 512-bit, the portable-vector and the scalar path
/// (a correctly rounded fused multiply-add, an exact max or add), so results do not depend on the length or the path.
/// </remarks>
internal static class Lanes
{
    /// <summary>acc[i] = fma(a[i], b[i], acc[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> acc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = acc.Length;
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(acc);
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i + Vector512<T>.Count <= n; i += Vector512<T>.Count)
            {
                Fma(Vector512.LoadUnsafe(ref ra, (nuint)i), Vector512.LoadUnsafe(ref rb, (nuint)i), Vector512.LoadUnsafe(ref rc, (nuint)i)).StoreUnsafe(ref rc, (nuint)i);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            {
                Fma(Vector.LoadUnsafe(ref ra, (nuint)i), Vector.LoadUnsafe(ref rb, (nuint)i), Vector.LoadUnsafe(ref rc, (nuint)i)).StoreUnsafe(ref rc, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref rc, i) = T.FusedMultiplyAdd(Unsafe.Add(ref ra, i), Unsafe.Add(ref rb, i), Unsafe.Add(ref rc, i));
        }
    }

    /// <summary>acc[i] = fma(s, b[i], acc[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd<T>(T s, ReadOnlySpan<T> b, Span<T> acc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = acc.Length;
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rc = ref MemoryMarshal.GetReference(acc);
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var sv = Vector512.Create(s);
            for (; i + Vector512<T>.Count <= n; i += Vector512<T>.Count)
            {
                Fma(sv, Vector512.LoadUnsafe(ref rb, (nuint)i), Vector512.LoadUnsafe(ref rc, (nuint)i)).StoreUnsafe(ref rc, (nuint)i);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            var sv = new Vector<T>(s);
            for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            {
                Fma(sv, Vector.LoadUnsafe(ref rb, (nuint)i), Vector.LoadUnsafe(ref rc, (nuint)i)).StoreUnsafe(ref rc, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref rc, i) = T.FusedMultiplyAdd(s, Unsafe.Add(ref rb, i), Unsafe.Add(ref rc, i));
        }
    }

    /// <summary>acc[i] = max(acc[i], x[i]) (the inputs are finite: no NaN rules needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Max<T>(ReadOnlySpan<T> x, Span<T> acc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = acc.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rc = ref MemoryMarshal.GetReference(acc);
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i + Vector512<T>.Count <= n; i += Vector512<T>.Count)
            {
                Vector512.Max(Vector512.LoadUnsafe(ref rx, (nuint)i), Vector512.LoadUnsafe(ref rc, (nuint)i)).StoreUnsafe(ref rc, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref rx, i);
            if (v > Unsafe.Add(ref rc, i))
            {
                Unsafe.Add(ref rc, i) = v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        }
        throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> x, Vector<T> y, Vector<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.As<float, T>(Vector.FusedMultiplyAdd(Vector.As<T, float>(x), Vector.As<T, float>(y), Vector.As<T, float>(z)));
        }
        if (typeof(T) == typeof(double))
        {
            return Vector.As<double, T>(Vector.FusedMultiplyAdd(Vector.As<T, double>(x), Vector.As<T, double>(y), Vector.As<T, double>(z)));
        }
        throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
    }
}
