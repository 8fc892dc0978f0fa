using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>The shared additive and bilinear models of the two-stage paper against their formulas.</summary>
public class SharedModelTests
{
    private static DecisionContext Context(double[] user, int items, int d, ulong seed, ItemCatalog? catalog = null)
    {
        if (catalog is null)
        {
            var values = new double[items * d];
            new Rng(seed).FillGaussian(values);
            catalog = new ItemCatalog(new FeatureMatrix(items, d, values));
        }
        return new DecisionContext(0, 1, user, catalog.All());
    }

    [Fact]
    public void The_bilinear_width_is_the_norm_of_vec_x_z_under_the_inverse_of_W()
    {
        const int d1 = 3, d2 = 2;
        var model = new BilinearModel(d1, d2, learningRate: 0.05);
        var rng = new Rng(1);
        var w = new double[d1 * d2 * d1 * d2];
        for (var i = 0; i < d1 * d2; i++)
        {
            w[i * d1 * d2 + i] = 1;
        }
        for (var t = 0; t < 20; t++)
        {
            var user = new double[d2];
            rng.FillGaussian(user);
            var context = Context(user, 4, d1, (ulong)t);
            var feedback = new Feedback(context, t % 4, t % 3 == 0 ? 1 : 0);
            model.Update([feedback]);
            var v = Vec(feedback.Features, user);
            for (var a = 0; a < v.Length; a++)
            {
                for (var b = 0; b < v.Length; b++)
                {
                    w[a * v.Length + b] += v[a] * v[b];
                }
            }
        }
        var z = new double[] { 0.7, -1.2 };
        var probe = Context(z, 5, d1, 99);
        var mean = new double[5];
        var width = new double[5];
        model.Estimate(probe, mean, width);

        var factor = (double[])w.Clone();
        Cholesky.TryFactor(factor, d1 * d2).Should().BeTrue();
        for (var c = 0; c < 5; c++)
        {
            var v = Vec(probe.Candidates.Features(c), z);
            var solved = new double[v.Length];
            Cholesky.Solve(factor, v.Length, v, solved);
            var expected = Math.Sqrt(v.Zip(solved, (p, q) => p * q).Sum());
            width[c].Should().BeApproximately(expected, 1e-9);
            mean[c].Should().BeInRange(0, 1);
        }
    }

    [Fact]
    public void The_bilinear_model_learns_a_planted_bilinear_preference()
    {
        const int d1 = 3, d2 = 2;
        var model = new BilinearModel(d1, d2, learningRate: 0.2);
        var theta = new double[] { 2, -1, 0, 1, -2, 0.5 }; // Theta[i, j], row-major
        var rng = new Rng(2);
        for (var t = 0; t < 3000; t++)
        {
            var user = new double[d2];
            rng.FillGaussian(user);
            var context = Context(user, 1, d1, (ulong)(t + 10));
            var v = Vec(context.Candidates.Features(0), user);
            var p = OnlineLogisticRegression.Sigmoid(v.Zip(theta, (a, b) => a * b).Sum());
            model.Update([new Feedback(context, 0, rng.NextDouble() < p ? 1 : 0)]);
        }
        var z = new double[] { 1, 0.5 };
        var probe = Context(z, 50, d1, 7);
        var mean = new double[50];
        model.Estimate(probe, mean, new double[50]);
        var truth = Enumerable.Range(0, 50).Select(c => OnlineLogisticRegression.Sigmoid(Vec(probe.Candidates.Features(c), z).Zip(theta, (a, b) => a * b).Sum())).ToArray();

        Cobalt.Core.Statistics.BinaryMetrics.Auc(mean, truth.Select(p => p > 0.5).ToArray()).Should().BeGreaterThan(0.9);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_additive_model_follows_its_formula_with_or_without_the_catalogue_width_cache(bool cacheCatalog)
    {
        const int d1 = 4, d2 = 3;
        double gamma = 0.3, beta = 1;
        var cached = new AdditiveModel(d1, d2, gamma, learningRate: 0.1, cacheCatalog: cacheCatalog);
        var rng = new Rng(3);
        var values = new double[20 * d1];
        rng.FillGaussian(values);
        var catalog = new ItemCatalog(new FeatureMatrix(20, d1, values));
        var ax = new DesignMatrix(d1);
        var az = new DesignMatrix(d2);
        var thetaX = new double[d1];
        var thetaZ = new double[d2];
        for (var t = 0; t < 40; t++)
        {
            var user = new double[d2];
            rng.FillGaussian(user);
            var context = Context(user, 20, d1, 0, catalog);
            var shown = new[] { new Feedback(context, t % 20, t % 4 == 0 ? 1 : 0), new Feedback(context, (t + 7) % 20, 0) };
            cached.Update(shown);
            // The same update by hand: a gradient step when the batch holds a click, then A_x and A_z grow.
            if (shown.Any(f => f.Reward > 0))
            {
                foreach (var f in shown)
                {
                    var x = f.Features.ToArray();
                    var p = OnlineLogisticRegression.Sigmoid(gamma * x.Zip(thetaX, (a, b) => a * b).Sum() + (1 - gamma) * user.Zip(thetaZ, (a, b) => a * b).Sum());
                    for (var i = 0; i < d1; i++)
                    {
                        thetaX[i] += 0.1 * (f.Reward - p) * gamma * x[i];
                    }
                    for (var j = 0; j < d2; j++)
                    {
                        thetaZ[j] += 0.1 * (f.Reward - p) * (1 - gamma) * user[j];
                    }
                }
            }
            foreach (var f in shown)
            {
                ax.AddOuter(f.Features);
                az.AddOuter(user);
            }
        }
        var z = new double[] { 0.4, -0.1, 1.3 };
        var probe = Context(z, 20, d1, 0, catalog);
        var mean = new double[20];
        var width = new double[20];
        cached.Estimate(probe, mean, width);
        for (var c = 0; c < 20; c++)
        {
            var x = probe.Candidates.Features(c).ToArray();
            var expectedMean = OnlineLogisticRegression.Sigmoid(gamma * x.Zip(thetaX, (a, b) => a * b).Sum() + (1 - gamma) * z.Zip(thetaZ, (a, b) => a * b).Sum());
            var expectedWidth = beta * (gamma * Math.Sqrt(ax.QuadraticForm(x)) + (1 - gamma) * Math.Sqrt(az.QuadraticForm(z)));
            mean[c].Should().BeApproximately(expectedMean, 1e-12);
            width[c].Should().BeApproximately(expectedWidth, 1e-9);
        }
    }

    private static double[] Vec(ReadOnlySpan<double> x, double[] z)
    {
        var v = new double[x.Length * z.Length];
        for (var i = 0; i < x.Length; i++)
        {
            for (var j = 0; j < z.Length; j++)
            {
                v[i * z.Length + j] = x[i] * z[j];
            }
        }
        return v;
    }

    [Fact]
    public void A_bilinear_model_too_large_for_memory_is_refused_with_its_size()
    {
        var act = () => new BilinearModel(170, 170);
        act.Should().Throw<ArgumentException>().WithMessage("The bilinear model (S-N-GBLM-UCB) keeps a (d1 d2) x (d1 d2) matrix: d1 = 170 item and d2 = 170 user features need 6.7 GB*");
    }
}
