using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.CoFine;

namespace Cobalt.Policies.Tests;

/// <summary>
/// The theoretical exploration weights of CoFineUCB's Lemma 1 (Yue, Hong and Guestrin 2012): with them, the true
/// expected reward lies inside w_t^T x ± (c_t(x) + c~_t(x)) for every action and round with probability 1 - delta.
/// </summary>
public class CoFineConfidenceTests
{
    private const int D = 8, K = 3, Candidates = 15, Rounds = 150, Runs = 40;
    private const double Delta = 0.1;

    /// <summary>
    /// A world that meets the lemma's assumptions: w* in span(U) (U = the first K coordinates, orthonormal), w* and every
    /// action non-negative unit vectors so w*^T x is in [0, 1], Bernoulli(w*^T x) rewards (bounded in [0, 1], r = 1).
    /// Returns how many runs saw the interval miss the truth at least once, and the share of (round, action) pairs missed.
    /// </summary>
    private static (int RunsWithMiss, double MissRate) Coverage(double multiplier, double subspaceBound)
    {
        var basis = new double[D * K];
        for (var i = 0; i < K; i++)
        {
            basis[i * K + i] = 1;
        }
        int runsWithMiss = 0;
        long misses = 0, checks = 0;
        for (var run = 0; run < Runs; run++)
        {
            var rng = Seeds.Stream(77, "coverage", run);
            var w = new double[D];
            UnitNonNegative(rng, w.AsSpan(0, K));
            var settings = new CoFineSettings(Ridge: 1, SubspaceRidge: 1, Alpha: multiplier, AlphaSubspace: multiplier)
            {
                Schedule = ExplorationSchedule.Theoretical,
                Delta = Delta,
                ResidualBound = 0,
                SubspaceBound = subspaceBound,
                RewardRange = 1,
            };
            var model = new CoFineModel(FeatureHierarchy.Create(D, subspace: basis), settings, FeatureMap.Item, 0, D);
            var missed = false;
            var x = new double[Candidates * D];
            for (var t = 0; t < Rounds; t++)
            {
                var best = 0;
                var bestIndex = double.NegativeInfinity;
                for (var a = 0; a < Candidates; a++)
                {
                    var xa = x.AsSpan(a * D, D);
                    UnitNonNegative(rng, xa);
                    var truth = Dot(w, xa);
                    var (mean, width) = model.Score(xa);
                    checks++;
                    if (Math.Abs(mean - truth) > width)
                    {
                        misses++;
                        missed = true;
                    }
                    if (mean + width > bestIndex)
                    {
                        (best, bestIndex) = (a, mean + width);
                    }
                }
                var chosen = x.AsSpan(best * D, D);
                model.Add(chosen, rng.NextDouble() < Dot(w, chosen) ? 1.0 : 0.0);
            }
            runsWithMiss += missed ? 1 : 0;
        }
        return (runsWithMiss, (double)misses / checks);
    }

    [Fact]
    public void Lemma_1_intervals_cover_the_true_reward_in_every_round_at_the_stated_rate()
    {
        var (runsWithMiss, missRate) = Coverage(multiplier: 1.0, subspaceBound: 1.0);

        // The lemma: P(some round misses) <= delta = 0.1, i.e. about 4 of 40 runs at most; the bound is loose, so expect far fewer.
        runsWithMiss.Should().BeLessThanOrEqualTo((int)(Delta * Runs), $"miss rate per (round, action) {missRate:E2}");
    }

    [Fact]
    public void Intervals_a_tenth_as_wide_as_lemma_1s_miss_in_most_runs()
    {
        // The same check with alpha_t and alpha~_t scaled by 0.1: it must fail, or the coverage test above could not.
        var (runsWithMiss, missRate) = Coverage(multiplier: 0.1, subspaceBound: 1.0);

        runsWithMiss.Should().BeGreaterThan(Runs / 2);
        missRate.Should().BeGreaterThan(0.01);
    }

    [Fact]
    public void Theoretical_alpha_grows_with_log_det_as_lemma_1_states_and_survives_save_and_load()
    {
        var settings = new CoFineSettings(Ridge: 2, SubspaceRidge: 0.5, Alpha: 1, AlphaSubspace: 1)
        {
            Schedule = ExplorationSchedule.Theoretical,
            Delta = 0.05,
            ResidualBound = 0.3,
            SubspaceBound = 0.8,
            RewardRange = 1,
        };
        double[] u = [1, 0, 0, 1, 0, 0];
        var model = new CoFineModel(FeatureHierarchy.Create(3, subspace: u), settings, FeatureMap.Item, 0, 3);
        // Before any data: det(M) = det(lambda I), so alpha_0 = sqrt(log(1 / delta)) + sqrt(lambda) S_perp.
        model.FullSpaceAlpha.Should().BeApproximately(Math.Sqrt(Math.Log(20)) + Math.Sqrt(2) * 0.3, 1e-12);
        model.SubspaceAlpha.Should().BeApproximately(Math.Sqrt(Math.Log(20)) + Math.Sqrt(0.5) * 0.8, 1e-12);
        double[][] xs = [[1, 0, 0], [0, 1, 1], [0.5, 0.5, 0]];
        foreach (var x in xs)
        {
            model.Add(x, 1);
        }
        // M = 2 I + sum x x^T; M~ = 0.5 I + sum (U^T x)(U^T x)^T with U^T x = first two coordinates.
        var full = LogDet([[2 + 1 + 0.25, 0.25, 0], [0.25, 2 + 1 + 0.25, 1], [0, 1, 2 + 1]]) - 3 * Math.Log(2);
        var sub = LogDet([[0.5 + 1 + 0.25, 0.25], [0.25, 0.5 + 1 + 0.25]]) - 2 * Math.Log(0.5);
        model.FullSpaceAlpha.Should().BeApproximately(Math.Sqrt(0.5 * full + Math.Log(20)) + Math.Sqrt(2) * 0.3, 1e-10);
        model.SubspaceAlpha.Should().BeApproximately(Math.Sqrt(0.5 * sub + Math.Log(20)) + Math.Sqrt(0.5) * 0.8, 1e-10);

        using var buffer = new MemoryStream();
        using (var writer = new StateWriter(buffer))
        {
            model.WriteState(writer);
        }
        var restored = new CoFineModel(FeatureHierarchy.Create(3, subspace: u), settings, FeatureMap.Item, 0, 3);
        buffer.Position = 0;
        using (var reader = new StateReader(buffer))
        {
            restored.ReadState(reader);
        }
        restored.FullSpaceAlpha.Should().BeApproximately(model.FullSpaceAlpha, 1e-10);
        restored.SubspaceAlpha.Should().BeApproximately(model.SubspaceAlpha, 1e-10);
    }

    [Fact]
    public void Theoretical_options_are_validated_with_the_field_named()
    {
        var delta = () => new CoFineUcbOptions { Delta = 1 }.Validate();
        delta.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "delta");
        var range = () => new CoFineUcbOptions { RewardRange = 0 }.Validate();
        range.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "reward-range");
        var bound = () => new SubspaceUcbOptions { ResidualBound = -1 }.Validate();
        bound.Should().Throw<Core.Configuration.OptionsException>().Where(e => e.Field == "residual-bound");
    }

    private static double LogDet(double[][] m)
    {
        // Determinant by cofactor expansion (2 x 2 or 3 x 3).
        var det = m.Length == 2
            ? m[0][0] * m[1][1] - m[0][1] * m[1][0]
            : m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        return Math.Log(det);
    }

    private static void UnitNonNegative(Rng rng, Span<double> v)
    {
        double norm;
        do
        {
            norm = 0;
            for (var i = 0; i < v.Length; i++)
            {
                v[i] = Math.Abs(rng.NextGaussian());
                norm += v[i] * v[i];
            }
        }
        while (norm == 0);
        norm = Math.Sqrt(norm);
        for (var i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }
}
