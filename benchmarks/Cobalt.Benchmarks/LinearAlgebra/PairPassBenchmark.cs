using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Randomness;

namespace Cobalt.Benchmarks.LinearAlgebra;

/// <summary>
/// The floor of the bilinear model's pass over its inverse design matrix (issue 19, GBLM): the lower block triangle of
/// W^-1 at d1 = d2 = 64 is 2,080 blocks of 64 x 64 (8.5 M entries: 34 MB in float32, 67 MB in float64). "stream" only
/// reads it (<c>TensorPrimitives.Sum</c>, the memory floor of one thread); "pass" runs <see cref="BlockProducts"/> over every
/// block as the model's pass does (y = B z, and w = Bᵀ z for the off-diagonal blocks).
/// </summary>
[RoundsPerSecond]
public class PairPassBenchmark
{
    private const int D = 64;
    private const int Blocks = D * (D + 1) / 2;
    private const int Entries = Blocks * D * D;

    private float[] _single = [];
    private double[] _double = [];
    private double[] _z = [], _y = [], _w = [];
    private float[] _z32 = [], _y32 = [], _w32 = [];

    /// <summary>Seeded blocks and user vector.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(RandomData.Seed);
        _double = new double[Entries];
        rng.FillGaussian(_double);
        _single = _double.Select(v => (float)v).ToArray();
        _z = new double[D];
        rng.FillGaussian(_z);
        _y = new double[D];
        _w = new double[D];
        _z32 = _z.Select(v => (float)v).ToArray();
        _y32 = new float[D];
        _w32 = new float[D];
    }

    /// <summary>Reads the 34 MB float32 triangle once.</summary>
    [Benchmark(Baseline = true, Description = "stream float32 (34 MB)")]
    [BytesRead(Entries * 4L)]
    public float StreamSingle() => TensorPrimitives.Sum<float>(_single);

    /// <summary>Reads the 67 MB float64 triangle once.</summary>
    [Benchmark(Description = "stream float64 (67 MB)")]
    [BytesRead(Entries * 8L)]
    public double StreamDouble() => TensorPrimitives.Sum<double>(_double);

    /// <summary>The pass's products over the float32 triangle.</summary>
    [Benchmark(Description = "pass float32 (BlockProducts)")]
    [BytesRead(Entries * 4L)]
    public double PassSingle() => Pass<float>(_single, _z32, _y32, _w32);

    /// <summary>The pass's products over the float64 triangle.</summary>
    [Benchmark(Description = "pass float64 (BlockProducts)")]
    [BytesRead(Entries * 8L)]
    public double PassDouble() => Pass<double>(_double, _z, _y, _w);

    private static double Pass<T>(T[] blocks, T[] z, T[] y, T[] w)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var sum = 0.0;
        for (int i = 0, b = 0; i < D; i++)
        {
            for (var i2 = 0; i2 <= i; i2++, b++)
            {
                BlockProducts.Compute<T>(blocks.AsSpan(b * D * D, D * D), D, z, y, w, transposed: i != i2);
                sum += double.CreateTruncating(y[0] + w[0]);
            }
        }
        return sum;
    }
}
