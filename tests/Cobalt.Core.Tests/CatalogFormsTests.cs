using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

/// <summary>Lazy per-row catalogue forms (float32 and float64) against fresh x^T A^-1 x and x . theta after every kind of update history.</summary>
public class CatalogFormsTests
{
    private static void ShouldMatchFresh<T>(CatalogForms<T> forms, DesignMatrix design, FeatureMatrix features, double[] theta, int[] ids, double relative)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var n = ids.Length == 0 ? features.Rows : ids.Length;
        var dots = new double[n];
        var values = new double[n];
        forms.Score(ids, theta, dots, values);
        for (var r = 0; r < n; r++)
        {
            var x = features.Row(ids.Length == 0 ? r : ids[r]);
            var expected = TestMath.QuadraticForm(design.Inverse, design.Dimension, x);
            values[r].Should().BeApproximately(expected, relative * (1 + expected), $"form of row {r}");
            dots[r].Should().BeApproximately(TestMath.Dot(x, theta), relative * (1 + TestMath.MaxAbs(theta)) * 4, $"dot of row {r}");
        }
    }

    [Theory]
    [InlineData(1000, false)]
    [InlineData(37, false)]
    [InlineData(1000, true)]
    [InlineData(37, true)]
    public void Lazy_rows_equal_fresh_forms_whether_read_every_round_rarely_or_after_refactorisations(int refactorEvery, bool narrow)
    {
        const int d = 17, n = 65;
        var rng = new Rng(7);
        var features = new FeatureMatrix(n, d, TestMath.RandomVector(rng, n * d, 1 / Math.Sqrt(d)));
        var design = new DesignMatrix(d, 1.0, refactorEvery);
        var theta = TestMath.RandomVector(rng, d);
        var tolerance = narrow ? 2e-5 : 1e-10;
        if (narrow)
        {
            Run(new CatalogForms<float>(design, features));
        }
        else
        {
            Run(new CatalogForms<double>(design, features));
        }

        void Run<T>(CatalogForms<T> forms)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            forms.Count.Should().Be(n);
            for (var t = 1; t <= 200; t++)
            {
                var update = design.AddOuter(features.Row(rng.NextInt(n)));
                forms.Apply(update);
                if (t % 3 == 0)
                {
                    ShouldMatchFresh(forms, design, features, theta, [], tolerance); // every row, in order
                }
                else if (t % 29 == 0)
                {
                    ShouldMatchFresh(forms, design, features, theta, [3, 0, 64, 3 + t % 50], tolerance); // a few rows, after up to 28 missed updates
                }
            }
            // An update the cache never saw: it must notice and start over.
            design.AddOuter(features.Row(5));
            ShouldMatchFresh(forms, design, features, theta, [5, 6, 7], tolerance);
            ShouldMatchFresh(forms, design, features, theta, [], tolerance);
        }
    }

    [Fact]
    public void Rows_outside_the_catalogue_and_short_outputs_are_rejected_by_name()
    {
        var rng = new Rng(8);
        var features = new FeatureMatrix(4, 3, TestMath.RandomVector(rng, 12));
        var forms = new CatalogForms<float>(new DesignMatrix(3), features);
        forms.RowBytes.Should().Be(4 * 3 * sizeof(float));
        var outside = () => forms.Score([4], [1, 2, 3], new double[1], new double[1]);
        outside.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Row 4*");
        var shortOutput = () => forms.Score([], [1, 2, 3], new double[4], new double[3]);
        shortOutput.Should().Throw<ArgumentException>().WithMessage("*4 forms*");
    }
}
