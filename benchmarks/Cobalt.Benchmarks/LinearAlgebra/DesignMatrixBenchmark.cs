using BenchmarkDotNet.Attributes;
using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Benchmarks.LinearAlgebra;

/// <summary>
/// <see cref="DesignMatrix.AddOuter"/> (A += x x^T with the Sherman-Morrison update of A^-1, O(d^2))
/// versus <see cref="DesignMatrix.Refactor"/> (Cholesky of A and the inverse from it, O(d^3)).
/// </summary>
/// <remarks>
/// The matrix is built with re-factorisation switched off (refactorEvery = int.MaxValue), so every measured
/// AddOuter is a pure rank-one update; in a model with the default refactorEvery = 1000, one AddOuter in
/// 1,000 also pays for a Refactor. Update vectors cycle through a fixed pool of 1,024 random x ~ N(0, I/d).
/// </remarks>
[MemoryDiagnoser]
public class DesignMatrixBenchmark
{
    private const int UpdatePool = 1024;

    private DesignMatrix _design = null!;
    private double[] _updates = [];
    private int _next;

    /// <summary>Dimension d.</summary>
    [Params(16, 64, 256)]
    public int Dimension { get; set; }

    /// <summary>A = I + 2d random rank-one terms, re-factorised; a pool of update vectors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(RandomData.Seed);
        _design = RandomData.Design(rng, Dimension, updates: 2 * Dimension, refactorEvery: int.MaxValue);
        _updates = RandomData.FeatureRows(rng, UpdatePool, Dimension);
        _next = 0;
    }

    /// <summary>One Sherman-Morrison rank-one update.</summary>
    [Benchmark(Baseline = true, Description = "AddOuter (Sherman-Morrison)")]
    public double AddOuter() =>
        _design.AddOuter(_updates.AsSpan((_next++ & (UpdatePool - 1)) * Dimension, Dimension)).Coefficient;

    /// <summary>One Cholesky re-factorisation and inversion of A.</summary>
    [Benchmark(Description = "Refactor (Cholesky + inverse)")]
    public double Refactor()
    {
        _design.Refactor();
        return _design.Inverse[0];
    }
}
