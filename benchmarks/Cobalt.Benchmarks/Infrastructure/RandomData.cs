using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Benchmarks.Infrastructure;

/// <summary>Deterministic random inputs for the benchmarks (seeded <see cref="Rng"/>, so every run measures the same data).</summary>
public static class RandomData
{
    /// <summary>The seed every benchmark starts from.</summary>
    public const ulong Seed = 20_240_601;

    /// <summary><paramref name="count"/> draws of N(0, 1) * <paramref name="scale"/>.</summary>
    public static double[] Gaussian(Rng rng, int count, double scale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var values = new double[count];
        rng.FillGaussian(values);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }
        return values;
    }

    /// <summary>
    /// Rows of a feature matrix: <paramref name="rows"/> x <paramref name="dimension"/> entries ~ N(0, 1) / sqrt(d),
    /// so every row has squared norm about 1.
    /// </summary>
    public static double[] FeatureRows(Rng rng, int rows, int dimension) =>
        Gaussian(rng, rows * dimension, 1.0 / Math.Sqrt(dimension));

    /// <summary>
    /// A design matrix A = I + sum of <paramref name="updates"/> random rank-one terms x x^T (x ~ N(0, I/d)),
    /// freshly re-factorised, so A^-1 is a dense, well-conditioned SPD matrix rather than the identity.
    /// </summary>
    public static DesignMatrix Design(Rng rng, int dimension, int updates, int refactorEvery = int.MaxValue)
    {
        var design = new DesignMatrix(dimension, ridge: 1.0, refactorEvery);
        var x = new double[dimension];
        for (var i = 0; i < updates; i++)
        {
            rng.FillGaussian(x);
            for (var j = 0; j < x.Length; j++)
            {
                x[j] /= Math.Sqrt(dimension);
            }
            design.AddOuter(x);
        }
        design.Refactor();
        return design;
    }
}
