using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class QuadraticFormsTests
{
    private static double[] Fresh(DesignMatrix design, ReadOnlySpan<double> rows)
    {
        var d = design.Dimension;
        var result = new double[rows.Length / d];
        var inverse = design.Inverse;
        for (var r = 0; r < result.Length; r++)
        {
            var x = rows.Slice(r * d, d);
            var sum = 0.0;
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    sum += x[i] * inverse[i * d + j] * x[j];
                }
            }
            result[r] = sum;
        }
        return result;
    }

    [Fact]
    public void Evaluate_equals_the_explicit_form()
    {
        var rng = new Rng(1);
        const int d = 7;
        var m = TestMath.RandomSpd(rng, d);
        for (var k = 0; k < 50; k++)
        {
            var x = TestMath.RandomVector(rng, d);
            var expected = TestMath.QuadraticForm(m, d, x);
            QuadraticForms.Evaluate(m, d, x).Should().BeApproximately(expected, 1e-12 * expected);
        }
    }

    [Fact]
    public void Evaluate_of_a_hand_computed_case()
    {
        // [1 2] [[2, 1], [1, 3]] [1 2]^T = 2 + 2*2*1 + 4*3 = 18.
        QuadraticForms.Evaluate([2, 1, 1, 3], 2, [1, 2]).Should().Be(18);
    }

    [Fact]
    public void Evaluate_clamps_negative_rounding_to_zero()
    {
        // An indefinite matrix gives a negative form; widths are squared norms, so the kernel clamps at 0.
        QuadraticForms.Evaluate([-1, 0, 0, -1], 2, [1, 1]).Should().Be(0);
    }

    [Fact]
    public void Batched_forms_equal_per_row_forms()
    {
        var rng = new Rng(2);
        const int d = 9;
        const int n = 123;
        var m = TestMath.RandomSpd(rng, d);
        var rows = TestMath.RandomVector(rng, n * d);
        var result = new double[n];
        QuadraticForms.Compute(m, d, rows, result);
        for (var i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * d, d);
            result[i].Should().Be(QuadraticForms.Evaluate(m, d, row));
            result[i].Should().BeApproximately(TestMath.QuadraticForm(m, d, row), 1e-12 * result[i]);
        }
    }

    [Fact]
    public void Compute_of_no_rows_is_empty()
    {
        var act = () => QuadraticForms.Compute(TestMath.Identity(3), 3, ReadOnlySpan<double>.Empty, Span<double>.Empty);
        act.Should().NotThrow();
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(3, 8, 6, 2)]
    [InlineData(3, 9, 7, 2)]
    [InlineData(3, 9, 6, 3)]
    [InlineData(3, 9, 6, 1)]
    public void Compute_rejects_shapes_that_do_not_agree(int d, int matrixLength, int rowValues, int results)
    {
        var act = () => QuadraticForms.Compute(new double[matrixLength], d, new double[rowValues], new double[results]);
        act.Should().Throw<ArgumentException>().WithMessage("Shapes do not agree*");
    }

    [Theory]
    [InlineData(1, 300)] // every update re-factorises and recomputes all N forms: fewer updates keep this quick
    [InlineData(37, 3000)]
    [InlineData(250, 3000)]
    [InlineData(1000, 3000)]
    [InlineData(int.MaxValue, 3000)]
    public void Cache_stays_equal_to_fresh_forms_over_thousands_of_updates(int refactorEvery, int updates)
    {
        var rng = new Rng((ulong)refactorEvery);
        const int d = 12;
        const int n = 500;
        var rows = TestMath.RandomVector(rng, n * d, 1 / Math.Sqrt(d));
        var design = new DesignMatrix(d, 1.0, refactorEvery);
        var cache = new CachedQuadraticForms(design, rows);
        cache.Count.Should().Be(n);
        cache.Design.Should().BeSameAs(design);
        TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)).Should().BeLessThan(1e-12);

        double[] weights = [0, 0.01, 1, 5, 50];
        var refactors = 0;
        var worst = 0.0;
        for (var t = 1; t <= updates; t++)
        {
            // Half the updates reuse a catalogue row (as a bandit does), the rest are fresh vectors.
            var x = t % 2 == 0
                ? rows.AsSpan(rng.NextInt(n) * d, d).ToArray()
                : TestMath.RandomVector(rng, d, (1 + rng.NextInt(3)) / Math.Sqrt(d));
            var update = design.AddOuter(x, weights[rng.NextInt(weights.Length)]);
            cache.Apply(update);
            if (update.Refactored)
            {
                refactors++;
            }
            if (refactorEvery == 1 || t % 10 == 0 || update.Refactored || t % refactorEvery == 1)
            {
                worst = Math.Max(worst, TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)));
            }
        }
        worst.Should().BeLessThan(1e-9);
        refactors.Should().Be(updates / refactorEvery);
        cache.Values.ToArray().Should().OnlyContain(q => q >= 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(CachedQuadraticForms.MaxPending + 3)]
    public void One_sweep_folds_in_the_recorded_updates_and_gives_every_rows_dot_product(int updates)
    {
        var rng = new Rng(11);
        const int d = 6, n = 40;
        var rows = TestMath.RandomVector(rng, n * d, 1 / Math.Sqrt(d));
        var design = new DesignMatrix(d);
        var cache = new CachedQuadraticForms(design, rows);
        for (var t = 0; t < updates; t++)
        {
            cache.Apply(design.AddOuter(rows.AsSpan(rng.NextInt(n) * d, d)));
        }
        var theta = TestMath.RandomVector(rng, d);
        var dots = new double[n];

        var forms = cache.ValuesWithDots(theta, dots).ToArray();

        TestMath.MaxAbsDiff(forms, Fresh(design, rows)).Should().BeLessThan(1e-12);
        for (var i = 0; i < n; i++)
        {
            dots[i].Should().BeApproximately(System.Numerics.Tensors.TensorPrimitives.Dot(theta, rows.AsSpan(i * d, d)), 1e-15);
        }
        cache.Values.ToArray().Should().Equal(forms, "nothing is folded in twice");
        Action wrong = () => _ = cache.ValuesWithDots(new double[d + 1], dots).Length;
        wrong.Should().Throw<ArgumentException>().WithMessage("The vector needs 6 values and the dots 40*");
    }

    [Fact]
    public void Cache_applies_a_hand_computed_update()
    {
        const int d = 2;
        var rows = new double[] { 1, 0, 0, 1 };
        var design = new DesignMatrix(d, 1.0, refactorEvery: 1000);
        var cache = new CachedQuadraticForms(design, rows);
        cache.Values.ToArray().Should().Equal(1, 1);

        // A += 1 * e0 e0^T: q0 = 1 - 0.5 * 1 = 0.5, q1 unchanged.
        var update = design.AddOuter([1, 0], 1.0);
        update.Coefficient.Should().Be(0.5);
        cache.Apply(update);
        cache.Values.ToArray().Should().Equal(0.5, 1);
    }

    [Fact]
    public void Cache_resyncs_when_an_update_was_skipped()
    {
        var rng = new Rng(3);
        const int d = 8;
        const int n = 500;
        var rows = TestMath.RandomVector(rng, n * d);
        var design = new DesignMatrix(d, 1.0, refactorEvery: 1000);
        var cache = new CachedQuadraticForms(design, rows);
        for (var t = 0; t < 200; t++)
        {
            var first = design.AddOuter(TestMath.RandomVector(rng, d), 1.0);
            if (t % 3 == 0)
            {
                // Skipped: the second update is applied without the first.
                var second = design.AddOuter(TestMath.RandomVector(rng, d), 2.0);
                cache.Apply(second);
            }
            else if (t % 3 == 1)
            {
                // Stale: the first update is applied after a second one happened.
                design.AddOuter(TestMath.RandomVector(rng, d), 0.5);
                cache.Apply(first);
            }
            else
            {
                cache.Apply(first);
            }
            TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)).Should().BeLessThan(1e-9, $"step {t}");
        }
    }

    [Fact]
    public void Values_recompute_when_Apply_was_never_called()
    {
        var rng = new Rng(4);
        const int d = 5;
        var rows = TestMath.RandomVector(rng, 40 * d);
        var design = new DesignMatrix(d);
        var cache = new CachedQuadraticForms(design, rows);
        for (var t = 0; t < 10; t++)
        {
            design.AddOuter(TestMath.RandomVector(rng, d), 3.0);
        }
        TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)).Should().BeLessThan(1e-12);

        // Applying the same update twice must not subtract it twice.
        var update = design.AddOuter(TestMath.RandomVector(rng, d), 3.0);
        cache.Apply(update);
        cache.Apply(update);
        TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)).Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Cache_follows_a_full_matrix_add()
    {
        var rng = new Rng(5);
        const int d = 4;
        var rows = TestMath.RandomVector(rng, 30 * d);
        var design = new DesignMatrix(d);
        var cache = new CachedQuadraticForms(design, rows);
        design.Add(TestMath.RandomSpd(rng, d));
        TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)).Should().BeLessThan(1e-12);
        cache.Apply(design.AddOuter(rows.AsSpan(0, d), 1.0));
        TestMath.MaxAbsDiff(cache.Values, Fresh(design, rows)).Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Rows_must_be_whole_rows_of_the_dimension()
    {
        var design = new DesignMatrix(3);
        var act = () => new CachedQuadraticForms(design, new double[7]);
        act.Should().Throw<ArgumentException>().WithMessage("*7 values*dimension 3*");
        var none = () => new CachedQuadraticForms(null!, new double[3]);
        none.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Cached_forms_rebuild_after_the_design_matrix_is_loaded()
    {
        const int d = 3;
        var rows = new double[] { 1, 0, 0, 0, 1, 1, 2, -1, 0.5 };
        var other = new DesignMatrix(d, 1.0);
        other.AddOuter([3, 1, -2]);
        other.AddOuter([0, 2, 1]);
        var design = new DesignMatrix(d, 1.0);
        design.AddOuter([1, 1, 1]);
        design.AddOuter([-1, 0, 2]);
        var cache = new CachedQuadraticForms(design, rows);

        TestState.Load(design, TestState.Save(other)); // same number of updates, different matrix

        var expected = new double[3];
        QuadraticForms.Compute(other.Inverse, d, rows, expected);
        cache.Values.ToArray().Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12);
    }
}
