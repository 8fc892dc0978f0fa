using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Models;
using Cobalt.Policies.Stages;
using Cobalt.Policies.Exploration;

namespace Cobalt.Policies.Tests;

/// <summary>
/// The bilinear model's deferred W^-1 (lower block triangle, Sherman-Morrison updates folded in every
/// <see cref="PairInverse.FlushAt"/> updates, issue 19) against the eager full W^-1 updated at every update.
/// </summary>
public class DeferredBilinearTests
{
    private static ItemCatalog Catalogue(int n, int d, ulong seed)
    {
        var values = new double[n * d];
        new Rng(seed).FillGaussian(values);
        return new ItemCatalog(new FeatureMatrix(n, d, values));
    }

    private static double[] Gaussian(Rng rng, int d)
    {
        var z = new double[d];
        rng.FillGaussian(z);
        return z;
    }

    private static BilinearModel Eager(int d1, int d2, double learningRate) =>
        new(d1, d2, learningRate, int.MaxValue, CatalogPrecision.Bits64, eagerInverse: true);

    [Theory]
    [InlineData(5, 3)]
    [InlineData(4, 6)]
    public void Deferred_and_eager_inverses_give_the_same_estimates_across_flushes_and_a_full_pending_list(int d1, int d2)
    {
        var catalog = Catalogue(50, d1, 3);
        var rng = new Rng(4);
        var deferred = new BilinearModel(d1, d2, learningRate: 0.3);
        var eager = Eager(d1, d2, 0.3);
        double[] m1 = new double[50], w1 = new double[50], m2 = new double[50], w2 = new double[50];
        for (var t = 0; t < 90; t++)
        {
            var z = Gaussian(rng, d2);
            var context = new DecisionContext(t, t, z, catalog.All());
            deferred.Estimate(context, m1, w1);
            eager.Estimate(context, m2, w2);
            for (var i = 0; i < 50; i++)
            {
                m1[i].Should().BeApproximately(m2[i], 1e-12, $"mean {i}, round {t}");
                w1[i].Should().BeApproximately(w2[i], 1e-12 * Math.Max(1, w2[i]), $"width {i}, round {t}");
            }
            // Updates by this user (the projection of the pass is reused), and in round 40 a run of 70 updates by other
            // users with no estimate between (a pass per user, and more pending updates than the list holds).
            var users = t == 40 ? 70 : 1 + t % 4;
            for (var s = 0; s < users; s++)
            {
                var other = t == 40 ? new DecisionContext(t, 1000 + s, Gaussian(rng, d2), catalog.All()) : context;
                var shown = rng.NextInt(50);
                var feedback = new Feedback(other, shown, rng.NextDouble() < 0.3 ? 1 : 0, null);
                deferred.Update([feedback]);
                eager.Update([feedback]);
            }
        }
    }

    [Fact]
    public void A_deferred_model_writes_the_eager_state_layout_and_reads_it_back()
    {
        const int d1 = 4, d2 = 3;
        var catalog = Catalogue(20, d1, 5);
        var rng = new Rng(6);
        var deferred = new BilinearModel(d1, d2, learningRate: 0.3);
        var eager = Eager(d1, d2, 0.3);
        var scratchMean = new double[20];
        var scratchWidth = new double[20];
        for (var t = 0; t < 45; t++) // 45 updates with estimates between: 32 folded in, 13 pending when written
        {
            var context = new DecisionContext(t, t, Gaussian(rng, d2), catalog.All());
            deferred.Estimate(context, scratchMean, scratchWidth);
            var feedback = new Feedback(context, rng.NextInt(20), t % 2, null);
            deferred.Update([feedback]);
            eager.Update([feedback]);
        }
        var fromDeferred = new BilinearModel(d1, d2, learningRate: 0.3);
        var fromDeferredEager = Eager(d1, d2, 0.3);
        var bytes = Save(deferred);
        Load(fromDeferred, bytes);
        Load(fromDeferredEager, bytes);
        var probe = new DecisionContext(99, 99, Gaussian(rng, d2), catalog.All());
        var expected = Estimates(eager, probe);
        foreach (var model in new[] { fromDeferred, fromDeferredEager, deferred })
        {
            var (mean, width) = Estimates(model, probe);
            for (var i = 0; i < 20; i++)
            {
                mean[i].Should().BeApproximately(expected.Mean[i], 1e-12);
                width[i].Should().BeApproximately(expected.Width[i], 1e-12);
            }
        }
        // Saving the deferred model again (nothing pending now) gives the same bytes.
        Save(fromDeferred).Should().Equal(bytes);
    }

    private static (double[] Mean, double[] Width) Estimates(BilinearModel model, DecisionContext context)
    {
        var mean = new double[context.Candidates.Count];
        var width = new double[context.Candidates.Count];
        model.Estimate(context, mean, width);
        return (mean, width);
    }

    private static byte[] Save(BilinearModel model)
    {
        using var stream = new MemoryStream();
        using (var writer = new StateWriter(stream))
        {
            model.WriteState(writer);
        }
        return stream.ToArray();
    }

    private static void Load(BilinearModel model, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        using var reader = new StateReader(stream);
        model.ReadState(reader);
    }

    [Fact]
    public void S_N_GBLM_UCB_chooses_the_same_slates_with_the_same_propensities_over_100_rounds()
    {
        const int n = 400, d = 6;
        var catalog = Catalogue(n, d, 7);
        var rng = new Rng(8);
        var users = Enumerable.Range(0, 16).Select(_ => Gaussian(rng, d)).ToArray();
        var deferred = new ComposedPolicy("s-n-gblm-ucb", "", new AllCandidates(), new BilinearModel(d, d, learningRate: 0.05), new UpperConfidenceBound(0.5), 11);
        var eager = new ComposedPolicy("s-n-gblm-ucb", "", new AllCandidates(), Eager(d, d, 0.05), new UpperConfidenceBound(0.5), 11);
        for (var t = 0; t < 100; t++)
        {
            var context = new DecisionContext(t, t % 16, users[t % 16], catalog.All());
            var a = deferred.Select(context, 5);
            var b = eager.Select(context, 5);
            a.Slots.Select(s => s.ActionId).Should().Equal(b.Slots.Select(s => s.ActionId), $"round {t}");
            for (var s = 0; s < a.Slots.Count; s++)
            {
                a.Slots[s].Propensity.Should().BeApproximately(b.Slots[s].Propensity, 1e-12, $"round {t}, slot {s}");
            }
            var clicked = rng.NextDouble() < 0.4 ? 1 : 0;
            deferred.Update([new Feedback(context, a.Top.CandidateIndex, clicked, a.Top.Propensity)]);
            eager.Update([new Feedback(context, b.Top.CandidateIndex, clicked, b.Top.Propensity)]);
        }
    }

    [Fact]
    public void Float32_storage_keeps_estimates_within_float32_rounding_of_the_eager_float64_model()
    {
        const int n = 300, d = 8;
        var catalog = Catalogue(n, d, 9);
        var rng = new Rng(10);
        var mirrored = new BilinearModel(d, d, learningRate: 0.1, catalogPrecision: CatalogPrecision.Bits32);
        var eager = Eager(d, d, 0.1);
        double[] m1 = new double[n], w1 = new double[n], m2 = new double[n], w2 = new double[n];
        var largest = 0.0;
        for (var t = 0; t < 100; t++)
        {
            var z = Gaussian(rng, d);
            var context = new DecisionContext(t, t, z, catalog.All());
            mirrored.Estimate(context, m1, w1);
            eager.Estimate(context, m2, w2);
            for (var i = 0; i < n; i++)
            {
                m1[i].Should().BeApproximately(m2[i], 1e-5, $"mean {i}, round {t}");
                largest = Math.Max(largest, Math.Abs(w1[i] - w2[i]) / w2[i]);
            }
            for (var s = 0; s < 1 + t % 3; s++)
            {
                var feedback = new Feedback(context, rng.NextInt(n), rng.NextDouble() < 0.3 ? 1 : 0, null);
                mirrored.Update([feedback]);
                eager.Update([feedback]);
            }
        }
        largest.Should().BeLessThan(1e-4, "the widths agree to float32 rounding after 200 updates");
    }

    [Fact]
    public void The_eigenvalue_bound_is_above_every_Rayleigh_quotient_and_within_a_few_percent_of_the_largest()
    {
        const int d = 12;
        var rng = new Rng(12);
        var a = Gaussian(rng, d * d);
        var m = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                for (var k = 0; k < d; k++)
                {
                    m[i * d + j] += a[i * d + k] * a[j * d + k];
                }
            }
        }
        var t = BilinearModel.EigenvalueBound(m, d, new double[d * (d + 2)]);
        var largest = 0.0;
        for (var trial = 0; trial < 2000; trial++)
        {
            var x = Gaussian(rng, d);
            var mx = Enumerable.Range(0, d).Select(i => Enumerable.Range(0, d).Sum(j => m[i * d + j] * x[j])).ToArray();
            largest = Math.Max(largest, x.Zip(mx, (p, q) => p * q).Sum() / x.Sum(v => v * v));
        }
        // The largest eigenvalue by 2,000 power steps (its Rayleigh quotient, a lower bound, converged).
        var v = Enumerable.Repeat(1.0, d).ToArray();
        var rayleigh = 0.0;
        for (var step = 0; step < 2000; step++)
        {
            var mv = Enumerable.Range(0, d).Select(i => Enumerable.Range(0, d).Sum(j => m[i * d + j] * v[j])).ToArray();
            rayleigh = v.Zip(mv, (p, q) => p * q).Sum() / v.Sum(e => e * e);
            var norm = Math.Sqrt(mv.Sum(e => e * e));
            v = mv.Select(e => e / norm).ToArray();
        }
        largest = Math.Max(largest, rayleigh);
        t.Should().BeGreaterThanOrEqualTo(largest);
        t.Should().BeLessThan(1.2 * largest, "a power-iteration estimate raised by 1 %, not the crude ||z||^2 / lambda");
        BilinearModel.EigenvalueBound(new double[d * d], d, new double[d * (d + 2)]).Should().Be(0);
    }

    [Fact]
    public void Float32_storage_keeps_no_float64_copy_of_the_inverse()
    {
        var single = new PairInverse(64, 64, 1.0, single32: true);
        var wide = new PairInverse(64, 64, 1.0);
        single.Single32.Should().BeTrue();
        wide.StoredBytes.Should().Be(2080L * 64 * 64 * 8, "the lower block triangle of 4,096 x 4,096 in float64: 68 MB");
        single.StoredBytes.Should().Be(wide.StoredBytes / 2, "float32 only: 34 MB, no float64 blocks beneath");
        // The float32 blocks read back through the state layout: I / lambda exactly, and a fold rounds to float32.
        var rng = new Rng(30);
        for (var t = 0; t < PairInverse.FlushAt + 1; t++)
        {
            var z = Gaussian(rng, 64);
            single.Prepare(z, new double[64 * 64]);
            single.AddOuter(Gaussian(rng, 64), z);
        }
        var full = single.ToFull();
        full.Should().OnlyContain(v => (double)(float)v == v, "every stored entry is a float32 value");
        for (var i = 0; i < 4096; i += 97)
        {
            full[(long)i * 4096 + i].Should().BeInRange(0, 1.0, "a diagonal entry of W^-1 with W ≽ I");
        }
    }
}
