using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Neural;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Randomness;

namespace Cobalt.Benchmarks.LinearAlgebra;

/// <summary>
/// The kernel layer of Cobalt.Core (issue 19) against the measured FMA peak: <see cref="Gemm"/> in float32 and float64
/// at 256³ and at the changing-feature LinUCB shape [1,000 x 64] x [64 x 64], the fused scores-and-widths pass
/// (<see cref="RowForms.Compute{T}"/>) over 1,000 x 64 rows, and 12 independent 512-bit (or 2 x 256-bit) FMA chains per
/// element type, the peak a register-blocked kernel can approach.
/// </summary>
[Config(typeof(NeuralConfig))]
public class KernelBenchmark
{
    private const int N = 256;
    private const int Rows = 1_000;
    private const int D = 64;
    private const int PeakIterations = 1_000_000;

    private float[] _a32 = [], _b32 = [], _c32 = [];
    private double[] _a64 = [], _b64 = [], _c64 = [];
    private double[] _x = [], _m = [], _theta = [], _w = [], _dots = [], _forms = [];

    /// <summary>Seeded inputs; M is symmetric positive definite.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(Infrastructure.RandomData.Seed);
        double[] Random(int length) => Enumerable.Range(0, length).Select(_ => rng.NextGaussian()).ToArray();
        _a64 = Random(N * N);
        _b64 = Random(N * N);
        _c64 = new double[N * N];
        _a32 = _a64.Select(v => (float)v).ToArray();
        _b32 = _b64.Select(v => (float)v).ToArray();
        _c32 = new float[N * N];
        _x = Random(Rows * D);
        _m = Infrastructure.RandomData.Design(rng, D, 2 * D).Inverse.ToArray();
        _theta = Random(D);
        _w = new double[Rows * D];
        _dots = new double[Rows];
        _forms = new double[Rows];
    }

    /// <summary>float32 C = A B, 256³.</summary>
    [Benchmark(Baseline = true, Description = "Core Gemm float32 256x256x256")]
    [Flops(2L * N * N * N)]
    public float Gemm32()
    {
        Gemm.Multiply<float>(N, N, N, _a32, N, 1, _b32, N, _c32, N, false);
        return _c32[0];
    }

    /// <summary>float64 C = A B, 256³.</summary>
    [Benchmark(Description = "Core Gemm float64 256x256x256")]
    [Flops(2L * N * N * N)]
    public double Gemm64()
    {
        Gemm.Multiply<double>(N, N, N, _a64, N, 1, _b64, N, _c64, N, false);
        return _c64[0];
    }

    /// <summary>float64 W = X A^-1 at the LinUCB shape.</summary>
    [Benchmark(Description = "Core Gemm float64 [1000x64]x[64x64]")]
    [Flops(2L * Rows * D * D)]
    public double GemmLinUcb()
    {
        Gemm.Multiply<double>(Rows, D, D, _x, D, 1, _m, D, _w, D, false);
        return _w[0];
    }

    /// <summary>float64 x . theta and x^T M x of 1,000 rows in one fused pass.</summary>
    [Benchmark(Description = "RowForms float64 1000 x 64 (x.theta + x^T M x)")]
    [Flops(2L * Rows * D * (D + 2))]
    public double Forms()
    {
        RowForms.Compute<double>(_x, D, _m, _theta, _dots, _forms);
        return _forms[0];
    }

    /// <summary>float32 peak: 12 chains of 16-lane FMAs.</summary>
    [Benchmark(Description = "Peak float32: independent FMA chains")]
    [Flops(2L * 12 * PeakIterations * 16)]
    public float Peak32() => Peak<float>();

    /// <summary>float64 peak: 12 chains of 8-lane FMAs.</summary>
    [Benchmark(Description = "Peak float64: independent FMA chains")]
    [Flops(2L * 12 * PeakIterations * 8)]
    public double Peak64() => Peak<double>();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Peak<T>()
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return T.CreateTruncating(Peak256<T>());
        }
        var x = Vector512.Create(T.CreateTruncating(1e-3));
        var m = Vector512.Create(T.CreateTruncating(0.999));
        Vector512<T> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < PeakIterations; i++)
        {
            a0 = Fma(a0, m, x);
            a1 = Fma(a1, m, x);
            a2 = Fma(a2, m, x);
            a3 = Fma(a3, m, x);
            a4 = Fma(a4, m, x);
            a5 = Fma(a5, m, x);
            a6 = Fma(a6, m, x);
            a7 = Fma(a7, m, x);
            a8 = Fma(a8, m, x);
            a9 = Fma(a9, m, x);
            a10 = Fma(a10, m, x);
            a11 = Fma(a11, m, x);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Peak256<T>()
    {
        // Without AVX-512: the same number of lane operations on 256-bit vectors (24 chains).
        var x = Vector256.Create(1e-3);
        var m = Vector256.Create(0.999);
        var lanes = typeof(T) == typeof(float) ? 2 : 1; // float32 does twice the lanes per instruction
        Vector256<double> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < PeakIterations * 2 / lanes; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, x);
            a1 = Vector256.FusedMultiplyAdd(a1, m, x);
            a2 = Vector256.FusedMultiplyAdd(a2, m, x);
            a3 = Vector256.FusedMultiplyAdd(a3, m, x);
            a4 = Vector256.FusedMultiplyAdd(a4, m, x);
            a5 = Vector256.FusedMultiplyAdd(a5, m, x);
            a6 = Vector256.FusedMultiplyAdd(a6, m, x);
            a7 = Vector256.FusedMultiplyAdd(a7, m, x);
            a8 = Vector256.FusedMultiplyAdd(a8, m, x);
            a9 = Vector256.FusedMultiplyAdd(a9, m, x);
            a10 = Vector256.FusedMultiplyAdd(a10, m, x);
            a11 = Vector256.FusedMultiplyAdd(a11, m, x);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
