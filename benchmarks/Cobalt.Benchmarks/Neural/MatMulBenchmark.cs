using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Tensors;

namespace Cobalt.Benchmarks.Neural;

/// <summary>
/// The float32 FLOP rate of Cobalt.Neural's matrix kernel (<see cref="MatrixKernels.Gemm{T}"/>) against the machine's measured
/// peak: C = A B at 256 x 256 x 256 on one and two threads, at the shape of NRMS's query/key/value projections of 256 titles
/// ([5,120 x 300] x [300 x 64]) and of their weight gradient (Xᵀ dY, [300 x 5,120] x [5,120 x 64]), a straightforward
/// row-by-row <see cref="TensorPrimitives.MultiplyAdd{T}(ReadOnlySpan{T}, T, ReadOnlySpan{T}, Span{T})"/> product for comparison,
/// and a loop of independent fused multiply-adds that only the core's FMA throughput limits (the peak).
/// </summary>
[Config(typeof(NeuralConfig))]
public class MatMulBenchmark
{
    private const int N = 256;
    private const int ProjectionRows = 5_120;
    private const int ProjectionInputs = 300;
    private const int ProjectionOutputs = 64;
    private const int PeakIterations = 1_000_000;
    private const int PeakChains = 12;

    private static readonly Parallelism TwoThreads = new(2);

    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private float[] _x = [];
    private float[] _w = [];
    private float[] _y = [];
    private float[] _dw = [];

    /// <summary>Random inputs (seeded).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(Infrastructure.RandomData.Seed);
        float[] Random(int length) => Enumerable.Range(0, length).Select(_ => (float)rng.NextGaussian()).ToArray();
        _a = Random(N * N);
        _b = Random(N * N);
        _c = new float[N * N];
        _x = Random(ProjectionRows * ProjectionInputs);
        _w = Random(ProjectionInputs * ProjectionOutputs);
        _y = new float[ProjectionRows * ProjectionOutputs];
        _dw = new float[ProjectionInputs * ProjectionOutputs];
    }

    /// <summary>256³ on one thread.</summary>
    [Benchmark(Baseline = true, Description = "Gemm 256x256x256, 1 thread")]
    [Flops(2L * N * N * N)]
    public float Gemm256() => Gemm(_a, _b, _c, N, N, N, Parallelism.Sequential);

    /// <summary>256³ split over two threads.</summary>
    [Benchmark(Description = "Gemm 256x256x256, 2 threads")]
    [Flops(2L * N * N * N)]
    public float Gemm256TwoThreads() => Gemm(_a, _b, _c, N, N, N, TwoThreads);

    /// <summary>The NRMS projection shape, one thread.</summary>
    [Benchmark(Description = "Gemm [5120x300]x[300x64] (projection), 1 thread")]
    [Flops(2L * ProjectionRows * ProjectionInputs * ProjectionOutputs)]
    public float Projection() => Gemm(_x, _w, _y, ProjectionRows, ProjectionInputs, ProjectionOutputs, Parallelism.Sequential);

    /// <summary>The projection's weight gradient Xᵀ dY through a transposed view (no copy), one thread.</summary>
    [Benchmark(Description = "Gemm Xt*dY [300x5120]x[5120x64] (weight gradient), 1 thread")]
    [Flops(2L * ProjectionRows * ProjectionInputs * ProjectionOutputs)]
    public float WeightGradient()
    {
        MatrixKernels.Gemm(
            MatrixRef.RowMajor(_x, 0, ProjectionRows, ProjectionInputs).Transposed(),
            MatrixRef.RowMajor(_y, 0, ProjectionRows, ProjectionOutputs),
            MatrixRef.RowMajor(_dw, 0, ProjectionInputs, ProjectionOutputs),
            accumulate: false,
            Parallelism.Sequential);
        return _dw[0];
    }

    /// <summary>256³ as rows of TensorPrimitives.MultiplyAdd (C[i, :] += A[i, k] B[k, :]), one thread.</summary>
    [Benchmark(Description = "TensorPrimitives row axpy 256x256x256, 1 thread")]
    [Flops(2L * N * N * N)]
    public float TensorPrimitivesAxpy()
    {
        Array.Clear(_c);
        for (var i = 0; i < N; i++)
        {
            var row = _c.AsSpan(i * N, N);
            for (var k = 0; k < N; k++)
            {
                TensorPrimitives.MultiplyAdd(_b.AsSpan(k * N, N), _a[i * N + k], row, row);
            }
        }
        return _c[0];
    }

    /// <summary>
    /// The measured peak: 12 independent chains of fused multiply-adds on the widest accelerated vectors (512-bit where available),
    /// enough to cover the FMA latency, with no memory traffic.
    /// </summary>
    [Benchmark(Description = "Peak: independent FMA chains, 1 thread")]
    [Flops(2L * PeakChains * PeakIterations * 16)]
    public float PeakFma() => Vector512.IsHardwareAccelerated ? Peak512() : Peak256() * 2;

    private static float Gemm(float[] a, float[] b, float[] c, int m, int k, int n, Parallelism parallelism)
    {
        MatrixKernels.Gemm(MatrixRef.RowMajor(a, 0, m, k), MatrixRef.RowMajor(b, 0, k, n), MatrixRef.RowMajor(c, 0, m, n), accumulate: false, parallelism);
        return c[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak512()
    {
        var x = Vector512.Create(1e-3f);
        var m = Vector512.Create(0.999f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < PeakIterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, x);
            a1 = Vector512.FusedMultiplyAdd(a1, m, x);
            a2 = Vector512.FusedMultiplyAdd(a2, m, x);
            a3 = Vector512.FusedMultiplyAdd(a3, m, x);
            a4 = Vector512.FusedMultiplyAdd(a4, m, x);
            a5 = Vector512.FusedMultiplyAdd(a5, m, x);
            a6 = Vector512.FusedMultiplyAdd(a6, m, x);
            a7 = Vector512.FusedMultiplyAdd(a7, m, x);
            a8 = Vector512.FusedMultiplyAdd(a8, m, x);
            a9 = Vector512.FusedMultiplyAdd(a9, m, x);
            a10 = Vector512.FusedMultiplyAdd(a10, m, x);
            a11 = Vector512.FusedMultiplyAdd(a11, m, x);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak256()
    {
        // Without AVX-512 the same work (2 x 256-bit per 512-bit step) on 256-bit vectors.
        var x = Vector256.Create(1e-3f);
        var m = Vector256.Create(0.999f);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < 2 * PeakIterations; i++)
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
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11) / 2;
    }
}
