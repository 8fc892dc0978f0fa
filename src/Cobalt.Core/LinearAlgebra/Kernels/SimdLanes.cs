using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cobalt.Core.LinearAlgebra.Kernels;

/// <summary>
/// One SIMD register of <typeparamref name="T"/> lanes, as the kernels of this folder see it. The kernels are written
/// once, generic over an implementation of this interface (<see cref="Lanes128{T}"/>, <see cref="Lanes256{T}"/>,
/// <see cref="Lanes512{T}"/>); the JIT compiles one specialised copy per width, in which every member is an intrinsic.
/// </summary>
/// <remarks>
/// <see cref="MultiplyAdd"/> is a correctly rounded fused multiply-add in every width, so a kernel that keeps one chain of
/// fused multiply-adds per output element gives the same bits whatever width computes that element.
/// (The BCL's own <c>ISimdVector&lt;TSelf, T&gt;</c> is internal in .NET 10, hence this small copy.)
/// </remarks>
/// <typeparam name="TSelf">The implementing struct.</typeparam>
/// <typeparam name="T">Element type: <see cref="float"/> or <see cref="double"/>.</typeparam>
internal interface ISimdLanes<TSelf, T>
    where TSelf : struct, ISimdLanes<TSelf, T>
    where T : unmanaged
{
    /// <summary>Whether this width runs in hardware for <typeparamref name="T"/> (a kernel skips a width that does not).</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>Number of lanes.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TSelf Broadcast(T value);

    /// <summary>Loads <see cref="Count"/> elements from <paramref name="source"/> + <paramref name="offset"/>.</summary>
    static abstract TSelf Load(ref T source, nuint offset);

    /// <summary>Stores the lanes at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    static abstract void Store(TSelf value, ref T destination, nuint offset);

    /// <summary>x * y + addend per lane, rounded once.</summary>
    static abstract TSelf MultiplyAdd(TSelf x, TSelf y, TSelf addend);

    /// <summary>Sum of the lanes.</summary>
    static abstract T Sum(TSelf value);
}

/// <summary>128-bit lanes (SSE / NEON).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Lanes128<T> : ISimdLanes<Lanes128<T>, T>
    where T : unmanaged
{
    private readonly Vector128<T> _v;

    private Lanes128(Vector128<T> v) => _v = v;

    /// <inheritdoc />
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <inheritdoc />
    public static int Count => Vector128<T>.Count;

    /// <inheritdoc />
    public static Lanes128<T> Zero => default;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128<T> Broadcast(T value) => new(Vector128.Create(value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128<T> Load(ref T source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes128<T> value, ref T destination, nuint offset) => value._v.StoreUnsafe(ref destination, offset);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128<T> MultiplyAdd(Lanes128<T> x, Lanes128<T> y, Lanes128<T> addend)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector128.FusedMultiplyAdd(x._v.AsSingle(), y._v.AsSingle(), addend._v.AsSingle()).As<float, T>());
        }
        if (typeof(T) == typeof(double))
        {
            return new(Vector128.FusedMultiplyAdd(x._v.AsDouble(), y._v.AsDouble(), addend._v.AsDouble()).As<double, T>());
        }
        throw Unsupported();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Lanes128<T> value) => Vector128.Sum(value._v);

    internal static NotSupportedException Unsupported() => new($"Element type {typeof(T).Name} is not supported by the kernels; use float or double.");
}

/// <summary>256-bit lanes (AVX2).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Lanes256<T> : ISimdLanes<Lanes256<T>, T>
    where T : unmanaged
{
    private readonly Vector256<T> _v;

    private Lanes256(Vector256<T> v) => _v = v;

    /// <inheritdoc />
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <inheritdoc />
    public static int Count => Vector256<T>.Count;

    /// <inheritdoc />
    public static Lanes256<T> Zero => default;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Broadcast(T value) => new(Vector256.Create(value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Load(ref T source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256<T> value, ref T destination, nuint offset) => value._v.StoreUnsafe(ref destination, offset);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> MultiplyAdd(Lanes256<T> x, Lanes256<T> y, Lanes256<T> addend)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector256.FusedMultiplyAdd(x._v.AsSingle(), y._v.AsSingle(), addend._v.AsSingle()).As<float, T>());
        }
        if (typeof(T) == typeof(double))
        {
            return new(Vector256.FusedMultiplyAdd(x._v.AsDouble(), y._v.AsDouble(), addend._v.AsDouble()).As<double, T>());
        }
        throw Lanes128<T>.Unsupported();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Lanes256<T> value) => Vector256.Sum(value._v);
}

/// <summary>512-bit lanes (AVX-512).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Lanes512<T> : ISimdLanes<Lanes512<T>, T>
    where T : unmanaged
{
    private readonly Vector512<T> _v;

    private Lanes512(Vector512<T> v) => _v = v;

    /// <inheritdoc />
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <inheritdoc />
    public static int Count => Vector512<T>.Count;

    /// <inheritdoc />
    public static Lanes512<T> Zero => default;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Broadcast(T value) => new(Vector512.Create(value));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Load(ref T source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512<T> value, ref T destination, nuint offset) => value._v.StoreUnsafe(ref destination, offset);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> MultiplyAdd(Lanes512<T> x, Lanes512<T> y, Lanes512<T> addend)
    {
        if (typeof(T) == typeof(float))
        {
            return new(Vector512.FusedMultiplyAdd(x._v.AsSingle(), y._v.AsSingle(), addend._v.AsSingle()).As<float, T>());
        }
        if (typeof(T) == typeof(double))
        {
            return new(Vector512.FusedMultiplyAdd(x._v.AsDouble(), y._v.AsDouble(), addend._v.AsDouble()).As<double, T>());
        }
        throw Lanes128<T>.Unsupported();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Lanes512<T> value) => Vector512.Sum(value._v);
}
