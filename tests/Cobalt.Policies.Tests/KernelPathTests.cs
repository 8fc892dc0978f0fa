using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>The models' batched and float32 scoring paths (issue 19) against their row-by-row float64 definitions.</summary>
public class KernelPathTests
{
    private static double[] Gaussian(Rng rng, int count, double scale)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = rng.NextGaussian() * scale;
        }
        return values;
    }

    [Fact]
    public void Linear_model_batched_means_and_widths_equal_the_row_by_row_ones()
    {
        const int d = 17, n = 65;
        var rng = new Rng(3);
        var model = new LinearModel(FeatureMap.Item, 0, d, cacheCatalog: false);
        var ids = Enumerable.Range(0, n).ToArray();
        for (var t = 0; t < 40; t++)
        {
            var candidates = CandidateSet.FromFeatures(ids, new FeatureMatrix(n, d, Gaussian(rng, n * d, 1 / Math.Sqrt(d))));
            var context = new DecisionContext(t, candidates);
            var mean = new double[n];
            var width = new double[n];
            model.Estimate(context, mean, width);
            for (var i = 0; i < n; i++)
            {
                var x = candidates.Features(i);
                mean[i].Should().BeApproximately(model.Regression.Predict(x), 1e-12);
                width[i].Should().BeApproximately(model.Regression.Width(x), 1e-12 * (1 + width[i]));
            }
            model.Update([new Feedback(context, t % n, rng.NextGaussian(), null)]);
        }
    }

    private static (ItemCatalog Catalog, double[][] Users) World(int n, int d, ulong seed)
    {
        var rng = new Rng(seed);
        var catalog = new ItemCatalog(new FeatureMatrix(n, d, Gaussian(rng, n * d, 1 / Math.Sqrt(d))));
        var users = Enumerable.Range(0, 8).Select(_ => Gaussian(rng, d, 1 / Math.Sqrt(d))).ToArray();
        return (catalog, users);
    }

    /// <summary>Plays the same rounds through two models (one float64, one float32) and compares their estimates for the whole catalogue and for subsets.</summary>
    private static void Compare(IRewardModel wide, IRewardModel narrow, ItemCatalog catalog, double[][] users, double meanTolerance, double widthTolerance)
    {
        var rng = new Rng(11);
        var n = catalog.Count;
        for (var t = 0; t < 30; t++)
        {
            var z = users[t % users.Length];
            var candidates = t % 2 == 0 ? catalog.All() : CandidateSet.FromCatalog(catalog, [t % n, (t + 20) % n, (t + 40) % n]);
            var context = new DecisionContext(t, t % users.Length, z, candidates);
            var m = candidates.Count;
            double[] mean64 = new double[m], width64 = new double[m], mean32 = new double[m], width32 = new double[m];
            wide.Estimate(context, mean64, width64);
            narrow.Estimate(context, mean32, width32);
            for (var i = 0; i < m; i++)
            {
                mean32[i].Should().BeApproximately(mean64[i], meanTolerance, $"mean of candidate {i} in round {t}");
                width32[i].Should().BeApproximately(width64[i], widthTolerance * (1 + width64[i]), $"width of candidate {i} in round {t}");
            }
            Feedback[] feedback = [new Feedback(context, rng.NextInt(m), rng.NextDouble() < 0.3 ? 1 : 0, null)];
            wide.Update(feedback);
            narrow.Update(feedback);
        }
    }

    [Fact]
    public void Additive_model_in_float32_agrees_with_float64_over_the_catalogue_and_over_subsets()
    {
        var (catalog, users) = World(131, 16, 5);
        Compare(
            new AdditiveModel(16, 16, refactorEvery: 7),
            new AdditiveModel(16, 16, refactorEvery: 7, catalogPrecision: CatalogPrecision.Bits32),
            catalog, users, 1e-6, 1e-5);
    }

    [Fact]
    public void Additive_model_catalogue_widths_equal_the_uncached_ones()
    {
        var (catalog, users) = World(67, 9, 6);
        var uncached = new AdditiveModel(9, 9, cacheCatalog: false);
        Compare(uncached, new AdditiveModel(9, 9), catalog, users, 1e-12, 1e-10);
    }

    [Fact]
    public void Bilinear_model_in_float32_agrees_with_float64()
    {
        var (catalog, users) = World(131, 7, 9);
        Compare(new BilinearModel(7, 7), new BilinearModel(7, 7, catalogPrecision: CatalogPrecision.Bits32), catalog, users, 1e-6, 1e-5);
    }
}
