using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;

namespace Cobalt.Core.Tests;

/// <summary>The shared guards against poisoned updates: the design matrix refuses overflowing rank-one terms, and a state writer counts non-finite values.</summary>
public class NumericGuardTests
{
    [Theory]
    [InlineData(1e160)]
    [InlineData(1e200)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_rank_one_update_that_would_overflow_is_refused_and_changes_nothing(double huge)
    {
        var matrix = new DesignMatrix(3, ridge: 1);
        matrix.AddOuter([1, 2, 0]);
        var before = (matrix.Matrix.ToArray(), matrix.Inverse.ToArray(), matrix.Version);

        FluentActions.Invoking(() => matrix.AddOuter([huge, 0, 1])).Should().Throw<ArithmeticException>().WithMessage("*refused*");

        matrix.Matrix.ToArray().Should().Equal(before.Item1);
        matrix.Inverse.ToArray().Should().Equal(before.Item2);
        matrix.Version.Should().Be(before.Version);
        matrix.AddOuter([1e6, 0, 1]); // large but representable: accepted
        matrix.Inverse.ToArray().Should().OnlyContain(v => double.IsFinite(v));
    }

    [Fact]
    public void A_state_writer_counts_the_non_finite_values_it_writes()
    {
        using var stream = new MemoryStream();
        using var writer = new StateWriter(stream);
        writer.Write(1.0);
        writer.Write([2.0, double.NaN, double.NegativeInfinity]);
        writer.Write(double.PositiveInfinity);
        writer.NonFiniteValues.Should().Be(3);
    }
}
