using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>Shared LinUCB's factor widths (float64 and float32) against the inverse widths on a changing-feature problem (issue 19).</summary>
public class FactorWidthTests
{
    private const int D = 24;
    private const int Arms = 200;

    private static LinUcbOptions Options(WidthMethod widths, CatalogPrecision precision = CatalogPrecision.Bits64) =>
        new() { Alpha = 1.0, CacheCatalog = false, Widths = widths, Precision = precision, RefactorEvery = 150 };

    private static IPolicy Build(LinUcbOptions options) =>
        PolicyCatalog.Build(new PolicySpec("linucb-shared", options), new PolicyBuildContext(0, D, 7));

    private static double[] Gaussian(Rng rng, int count, double scale)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = rng.NextGaussian() * scale;
        }
        return values;
    }

    /// <summary>
    /// Plays <paramref name="rounds"/> seeded rounds of fresh features through the inverse policy and <paramref name="other"/>,
    /// both learning the inverse policy's arm; returns the worst relative width difference and the rounds whose arms differ,
    /// with the inverse policy's score gap between the two arms in those rounds.
    /// </summary>
    private static (double WorstWidth, List<double> Gaps) Play(IPolicy other, int rounds)
    {
        var reference = Build(Options(WidthMethod.Inverse));
        var rng = new Rng(2026);
        var star = Gaussian(rng, D, 1 / Math.Sqrt(D));
        var ids = Enumerable.Range(0, Arms).ToArray();
        double[] mean = new double[Arms], width = new double[Arms], otherMean = new double[Arms], otherWidth = new double[Arms];
        var worst = 0.0;
        var gaps = new List<double>();
        for (var t = 0; t < rounds; t++)
        {
            var features = new FeatureMatrix(Arms, D, Gaussian(rng, Arms * D, 1 / Math.Sqrt(D)));
            var context = new DecisionContext(t, CandidateSet.FromFeatures(ids, features));
            var chosen = reference.Select(context).Top.CandidateIndex;
            var otherChosen = other.Select(context).Top.CandidateIndex;
            ((ComposedPolicy)reference).Model.Estimate(context, mean, width);
            ((ComposedPolicy)other).Model.Estimate(context, otherMean, otherWidth);
            for (var i = 0; i < Arms; i++)
            {
                otherMean[i].Should().Be(mean[i], "the means are the same float64 dot products in every mode");
                worst = Math.Max(worst, Math.Abs(otherWidth[i] - width[i]) / width[i]);
            }
            if (chosen != otherChosen)
            {
                gaps.Add(mean[chosen] + width[chosen] - (mean[otherChosen] + width[otherChosen]));
            }
            var reward = TestDot(features.Row(chosen), star) + 0.1 * rng.NextGaussian();
            Feedback[] feedback = [new Feedback(context, chosen, reward, null)];
            reference.Update(feedback);
            other.Update(feedback);
        }
        return (worst, gaps);
    }

    private static double TestDot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    [Fact]
    public void Float64_factor_widths_choose_the_same_arms_as_the_inverse_over_500_rounds()
    {
        var (worst, gaps) = Play(Build(Options(WidthMethod.Factor)), 500);
        gaps.Should().BeEmpty("the factor's widths equal the inverse's to rounding");
        worst.Should().BeLessThan(1e-9).And.BeGreaterThan(0, "the two computations round differently");
    }

    [Fact]
    public void Float32_factor_widths_agree_to_single_precision_and_differ_only_at_near_ties()
    {
        var (worst, gaps) = Play(Build(Options(WidthMethod.Factor, CatalogPrecision.Bits32)), 500);
        worst.Should().BeLessThan(1e-5).And.BeGreaterThan(1e-9, "float32 rounding shows");
        gaps.Count.Should().BeLessThan(25, "arms differ only where two scores nearly tie");
        foreach (var gap in gaps)
        {
            gap.Should().BeInRange(0, 1e-5, "the float64 score of the float32 path's arm is within rounding of the best");
        }
    }

    [Fact]
    public void Saved_and_loaded_factor_policy_rebuilds_its_factor_and_keeps_choosing_the_same_arms()
    {
        var policy = Build(Options(WidthMethod.Factor));
        Play(policy, 60);
        var state = new MemoryStream();
        using (var writer = new StateWriter(state))
        {
            policy.WriteState(writer);
        }
        var loaded = Build(Options(WidthMethod.Factor));
        state.Position = 0;
        using (var reader = new StateReader(state))
        {
            loaded.ReadState(reader);
        }
        var rng = new Rng(5);
        var context = new DecisionContext(0, CandidateSet.FromFeatures(Enumerable.Range(0, Arms).ToArray(), new FeatureMatrix(Arms, D, Gaussian(rng, Arms * D, 0.2))));
        double[] mean = new double[Arms], width = new double[Arms], loadedMean = new double[Arms], loadedWidth = new double[Arms];
        ((ComposedPolicy)policy).Model.Estimate(context, mean, width);
        ((ComposedPolicy)loaded).Model.Estimate(context, loadedMean, loadedWidth);
        for (var i = 0; i < Arms; i++)
        {
            loadedMean[i].Should().Be(mean[i]);
            loadedWidth[i].Should().BeApproximately(width[i], 1e-12 * width[i]);
        }
        ((LinearModel)((ComposedPolicy)loaded).Model).Widths.Should().Be(WidthMethod.Factor);
    }

    [Fact]
    public void Float32_without_the_factor_is_refused_naming_the_field()
    {
        var act = () => Options(WidthMethod.Inverse, CatalogPrecision.Bits32).Validate();
        act.Should().Throw<OptionsException>().Which.Field.Should().Be("Precision");
        Options(WidthMethod.Factor, CatalogPrecision.Bits32).Invoking(o => o.Validate()).Should().NotThrow();
    }
}
