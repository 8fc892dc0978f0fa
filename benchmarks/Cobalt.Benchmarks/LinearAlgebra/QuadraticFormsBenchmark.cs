using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Benchmarks.LinearAlgebra;

/// <summary>
/// The squared UCB widths q_i = x_i^T A^-1 x_i of N = 100,000 candidate rows with d = 64:
/// recomputed from scratch (<see cref="QuadraticForms.Compute"/>, O(N d^2)) versus one rank-one
/// update folded into cached forms (<see cref="CachedQuadraticForms.Apply"/>, O(N d)).
/// </summary>
/// <remarks>
/// A is I plus <see cref="SetupUpdates"/> random rank-one terms, so A^-1 is a dense SPD matrix. The GB/s
/// column divides the bytes of the candidate matrix (N d 8 = 51.2 MB) by the mean time: both methods read
/// all of it once per call (A^-1 itself is 32 KB and stays in cache).
/// </remarks>
[MemoryDiagnoser]
public class QuadraticFormsBenchmark
{
    /// <summary>Candidate rows N.</summary>
    public const int Rows = 100_000;

    /// <summary>Dimension d.</summary>
    public const int Dimension = 64;

    /// <summary>Bytes of the candidate matrix (N x d doubles).</summary>
    public const long CandidateBytes = (long)Rows * Dimension * sizeof(double);

    /// <summary>Random rank-one updates that make A^-1 non-trivial.</summary>
    public const int SetupUpdates = 300;

    private const int UpdatePool = 1024;

    private double[] _rows = [];
    private double[] _result = [];
    private double[] _updates = [];
    private DesignMatrix _design = null!;
    private CachedQuadraticForms _cached = null!;
    private int _next;

    /// <summary>Draws the rows, the design matrix, the cache and a pool of update vectors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(RandomData.Seed);
        _rows = RandomData.FeatureRows(rng, Rows, Dimension);
        _result = new double[Rows];
        // Never re-factorise inside the measured loop: Apply must take its O(N d) path every time.
        _design = RandomData.Design(rng, Dimension, SetupUpdates, refactorEvery: int.MaxValue);
        _cached = new CachedQuadraticForms(_design, _rows);
        _updates = RandomData.FeatureRows(rng, UpdatePool, Dimension);
        _next = 0;
        CheckPrototype();
    }

    /// <summary>q_i = x_i^T A^-1 x_i for all 100,000 rows from scratch.</summary>
    [Benchmark(Baseline = true, Description = "QuadraticForms.Compute (100k x 64)")]
    [BytesRead(CandidateBytes)]
    public double Compute()
    {
        QuadraticForms.Compute(_design.Inverse, Dimension, _rows, _result);
        return _result[^1];
    }

    /// <summary>
    /// The same forms with <see cref="RegisterBlockedQuadraticForms"/>, a benchmark-only prototype of a faster
    /// kernel (y = A^-1 x in vector registers, then x . y), to show what <see cref="QuadraticForms.Compute"/> could reach.
    /// </summary>
    [Benchmark(Description = "Prototype register-blocked kernel (100k x 64)")]
    [BytesRead(CandidateBytes)]
    public double ComputeRegisterBlocked()
    {
        RegisterBlockedQuadraticForms.Compute(_design.Inverse, Dimension, _rows, _result);
        return _result[^1];
    }

    /// <summary>
    /// One rank-one update A += x x^T (Sherman-Morrison, O(d^2), about 2 us at d = 64, under 0.1% of the call: see
    /// <see cref="DesignMatrixBenchmark"/>) folded into the 100,000 cached forms (O(N d)).
    /// </summary>
    [Benchmark(Description = "AddOuter + CachedQuadraticForms.Apply (100k x 64)")]
    [BytesRead(CandidateBytes)]
    public double CachedApply()
    {
        var x = _updates.AsSpan((_next++ & (UpdatePool - 1)) * Dimension, Dimension);
        _cached.Apply(_design.AddOuter(x));
        return _cached.Values[^1];
    }

    private void CheckPrototype()
    {
        var expected = new double[Rows];
        QuadraticForms.Compute(_design.Inverse, Dimension, _rows, expected);
        RegisterBlockedQuadraticForms.Compute(_design.Inverse, Dimension, _rows, _result);
        for (var i = 0; i < Rows; i++)
        {
            if (Math.Abs(expected[i] - _result[i]) > 1e-12 * Math.Max(1.0, Math.Abs(expected[i])))
            {
                throw new InvalidOperationException($"The prototype kernel disagrees at row {i}: {_result[i]} vs {expected[i]}.");
            }
        }
    }
}
