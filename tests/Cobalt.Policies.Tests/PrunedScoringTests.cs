using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>
/// Pruned top-m scoring (issue 19): bounds never below the exact scores, exact estimates of a few candidates equal to the
/// full ones bit for bit, and pruned decisions equal to full-scoring decisions, while fewer candidates are scored.
/// </summary>
public class PrunedScoringTests
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

    /// <summary>A catalogue whose norms spread (scale 0.3 to 1.7 by row), with zero rows (exact ties whatever the state) and repeated rows.</summary>
    private static ItemCatalog Catalogue(int n, int d, ulong seed)
    {
        var rng = new Rng(seed);
        var values = Gaussian(rng, n * d, 1 / Math.Sqrt(d));
        for (var i = 0; i < n; i++)
        {
            var scale = 0.3 + 1.4 * rng.NextDouble();
            for (var j = 0; j < d; j++)
            {
                values[i * d + j] *= i % 37 == 5 ? 0 : scale;
            }
        }
        for (var i = 0; i < n / 50; i++)
        {
            Array.Copy(values, (n - 1 - i) * d, values, (n / 2 + i) * d, d);
        }
        return new ItemCatalog(new FeatureMatrix(n, d, values));
    }

    private static IPolicy Build(string kind, PolicyOptions options, int d1, int d2, bool prune)
    {
        var policy = PolicyCatalog.Build(new PolicySpec(kind, options), new PolicyBuildContext(d2, d1, 17));
        ((ComposedPolicy)policy).PruneScoring = prune;
        return policy;
    }

    public static TheoryData<string, double, int, int, ulong, bool> Cases() => new()
    {
        { "s-n-galm-ucb", 0.1, 1, 9, 1, false },
        { "s-n-galm-ucb", 0.1, 5, 9, 2, false },
        { "s-n-galm-ucb", 0.0, 3, 7, 3, false },
        { "s-n-galm-ucb", 25.0, 4, 11, 4, false },
        { "s-n-galm-ucb", 0.1, 5, 9, 5, true },
        { "s-n-galm-ucb", 2.0, 1, 7, 6, true },
        { "s-n-gblm-ucb", 0.1, 5, 7, 7, false },
        { "s-n-gblm-ucb", 0.0, 1, 5, 8, false },
        { "s-n-gblm-ucb", 30.0, 3, 9, 9, false },
        { "s-n-gblm-ucb", 0.1, 5, 7, 10, true },
    };

    private static PolicyOptions Options(string kind, double beta, bool narrow) => kind == "s-n-galm-ucb"
        ? new AdditiveOptions { Beta = beta, LearningRate = 0.2, RefactorEvery = 40, CatalogPrecision = narrow ? CatalogPrecision.Bits32 : CatalogPrecision.Bits64 }
        : new BilinearOptions { Beta = beta, LearningRate = 0.3, CatalogPrecision = narrow ? CatalogPrecision.Bits32 : CatalogPrecision.Bits64 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pruned_decisions_equal_full_scoring_decisions(string kind, double beta, int m, int d, ulong seed, bool narrow)
    {
        const int n = 700, users = 6;
        var catalog = Catalogue(n, d, seed);
        var rng = new Rng(seed + 100);
        var userFeatures = Enumerable.Range(0, users).Select(_ => Gaussian(rng, d, 1 / Math.Sqrt(d))).ToArray();
        var hidden = Gaussian(rng, d, 1.0);
        var pruned = Build(kind, Options(kind, beta, narrow), d, d, prune: true);
        var full = Build(kind, Options(kind, beta, narrow), d, d, prune: false);
        for (var t = 0; t < 80; t++)
        {
            var z = userFeatures[t % users];
            var context = new DecisionContext(t, t % users, z, catalog.All());
            var a = pruned.Select(context, m);
            var b = full.Select(context, m);
            a.Slots.Select(s => (s.ActionId, s.Propensity)).Should().Equal(b.Slots.Select(s => (s.ActionId, s.Propensity)), $"round {t}");
            ((TiedArgmax)a.FirstSlotProbabilities!).Ties.Should().Equal(((TiedArgmax)b.FirstSlotProbabilities!).Ties, $"first-slot ties in round {t}");
            var x = catalog.Features.Row(a.Top.ActionId);
            var click = System.Numerics.Tensors.TensorPrimitives.Dot(x, hidden) + 0.5 * rng.NextGaussian() > 0.3 ? 1.0 : 0.0;
            Feedback[] feedback = [new Feedback(context, a.Top.CandidateIndex, click, a.Top.Propensity)];
            pruned.Update(feedback);
            full.Update(feedback);
        }
        var p = (ComposedPolicy)pruned;
        p.OfferedCandidates.Should().Be(80L * n);
        ((ComposedPolicy)full).ScoredCandidates.Should().Be(80L * n);
        p.ScoredCandidates.Should().BeLessThan(p.OfferedCandidates, "the bounds must rule some candidates out");
    }

    [Fact]
    public void Pruning_skips_most_widths_once_the_catalogue_is_scored_and_means_spread()
    {
        const int n = 4000, d = 9;
        var catalog = Catalogue(n, d, 21);
        var rng = new Rng(22);
        var z = Gaussian(rng, d, 1 / Math.Sqrt(d));
        var policy = (ComposedPolicy)Build("s-n-galm-ucb", new AdditiveOptions { Beta = 0.1, LearningRate = 0.05 }, d, d, prune: true);
        for (var t = 0; t < 60; t++)
        {
            var context = new DecisionContext(t, 0, z, catalog.All());
            var decision = policy.Select(context, 5);
            policy.Update([new Feedback(context, decision.Top.CandidateIndex, t % 3 == 0 ? 1 : 0, decision.Top.Propensity)]);
        }
        // The first round scores everything (nothing is known yet); afterwards only the candidates near the top.
        (policy.ScoredCandidates - n).Should().BeLessThan(59L * n / 10, "after the first round at most a tenth of the widths are computed");
    }

    [Theory]
    [InlineData(false, false, 7)]
    [InlineData(true, false, 7)]
    [InlineData(false, true, 7)]
    [InlineData(true, true, 7)]
    [InlineData(true, false, 12)]
    [InlineData(true, true, 12)]
    public void Bounds_are_never_below_the_exact_scores_and_partial_estimates_equal_the_full_ones(bool bilinear, bool narrow, int d)
    {
        const int n = 300;
        var catalog = Catalogue(n, d, 31);
        var rng = new Rng(32);
        IBoundedRewardModel model = bilinear
            ? new BilinearModel(d, d, learningRate: 0.5, catalogPrecision: narrow ? CatalogPrecision.Bits32 : CatalogPrecision.Bits64)
            : new AdditiveModel(d, d, learningRate: 0.5, refactorEvery: 13, catalogPrecision: narrow ? CatalogPrecision.Bits32 : CatalogPrecision.Bits64);
        var ucb = new UpperConfidenceBound(0.7);
        var mean = new double[n];
        var width = new double[n];
        var scores = new double[n];
        var upper = new double[n];
        var checkedRounds = 0;
        for (var t = 0; t < 120; t++)
        {
            var z = Gaussian(rng, d, 1 / Math.Sqrt(d));
            var subset = Enumerable.Range(0, n).Where(_ => rng.NextDouble() < 0.2).ToArray();
            var candidates = t % 3 == 0 ? catalog.All() : CandidateSet.FromCatalog(catalog, subset);
            var context = new DecisionContext(t, t, z, candidates);
            var k = candidates.Count;
            if (model.TryUpperBounds(context, ucb.Beta, upper.AsSpan(0, k)))
            {
                // A few exact estimates first (rows brought up to date), then all of them: the same bits where both exist.
                var positions = Enumerable.Range(0, k).Where(_ => rng.NextDouble() < 0.1).ToArray();
                var someMean = new double[positions.Length];
                var someWidth = new double[positions.Length];
                model.EstimateAt(context, positions, someMean, someWidth);
                model.Estimate(context, mean.AsSpan(0, k), width.AsSpan(0, k));
                ucb.Apply(new RewardEstimates(mean.AsSpan(0, k), width.AsSpan(0, k), []), scores.AsSpan(0, k));
                for (var i = 0; i < k; i++)
                {
                    upper[i].Should().BeGreaterThanOrEqualTo(scores[i], $"bound of candidate {i} in round {t}");
                }
                // Refined bounds (exact means, widths still bounded) hold too.
                var all = Enumerable.Range(0, k).ToArray();
                model.RefineUpperBounds(context, ucb.Beta, all, upper.AsSpan(0, k));
                for (var i = 0; i < k; i++)
                {
                    upper[i].Should().BeGreaterThanOrEqualTo(scores[i], $"refined bound of candidate {i} in round {t}");
                }
                for (var r = 0; r < positions.Length; r++)
                {
                    someMean[r].Should().Be(mean[positions[r]], $"mean of position {positions[r]} in round {t}");
                    someWidth[r].Should().Be(width[positions[r]], $"width of position {positions[r]} in round {t}");
                }
                checkedRounds++;
            }
            // Learn from a few shown items (several updates between reads, so rows fall behind and are recomputed).
            for (var s = 0; s < 1 + t % 3; s++)
            {
                var shown = rng.NextInt(k);
                model.Update([new Feedback(context, shown, rng.NextDouble() < 0.4 ? 1 : 0, null)]);
            }
        }
        checkedRounds.Should().Be(120);
    }

    [Fact]
    public void Bounded_selection_draws_and_breaks_ties_exactly_as_full_selection()
    {
        var rng = new Rng(41);
        for (var trial = 0; trial < 300; trial++)
        {
            var n = 1 + rng.NextInt(300);
            var scores = new double[n];
            var upper = new double[n];
            var levels = 1 + rng.NextInt(6); // few distinct levels: many exact ties
            for (var i = 0; i < n; i++)
            {
                scores[i] = rng.NextDouble() < 0.5 ? rng.NextInt(levels) : rng.NextGaussian();
                upper[i] = rng.NextInt(4) switch
                {
                    0 => scores[i],
                    1 => double.PositiveInfinity,
                    2 => double.NaN,
                    _ => scores[i] + rng.NextDouble() * 0.5,
                };
            }
            var m = 1 + rng.NextInt(Math.Min(n, 7));
            var seed = rng.NextUInt64();
            var expected = new List<(int, double?)>();
            var reference = new Rng(seed);
            SlateSelection.TopScores(scores, m, reference, withPropensities: true, expected);
            var actual = new List<(int, double?)>();
            var bounded = new Rng(seed);
            var ties = new List<int>();
            // Half the trials refine bounds first: to the exact score, or halfway there.
            BoundRefiner? refine = trial % 2 == 0 ? null : (positions, bounds) =>
            {
                for (var r = 0; r < positions.Length; r++)
                {
                    var i = positions[r];
                    bounds[r] = i % 3 == 0 ? scores[i] : double.IsFinite(bounds[r]) ? (bounds[r] + scores[i]) / 2 : bounds[r];
                }
            };
            var evaluated = BoundedSelection.TopScores(upper, n, m, bounded, withPropensities: true, actual, (positions, output) =>
            {
                for (var r = 0; r < positions.Length; r++)
                {
                    output[r] = scores[positions[r]];
                }
            }, ties, refine);
            actual.Should().Equal(expected, $"trial {trial}");
            bounded.NextUInt64().Should().Be(reference.NextUInt64(), $"the random stream after trial {trial}");
            var best = scores.Max();
            ties.Order().Should().Equal(Enumerable.Range(0, n).Where(i => scores[i] == best), $"first-slot ties in trial {trial}");
            evaluated.Should().BeLessThanOrEqualTo(n);
        }
    }
}
