using Cobalt.RecoGym.Evaluation;

namespace Cobalt.RecoGym.Tests;

/// <summary>The Beta quantiles behind the A/B intervals, against values computed with mpmath (40 digits) and closed forms.</summary>
public class BetaTests
{
    [Theory]
    [InlineData(2, 3, 0.5, 0.38572756813238954828)]
    [InlineData(0.5, 0.5, 0.1, 0.024471741852423216636)]
    [InlineData(10, 990, 0.025, 0.0048103311952902242272)]
    [InlineData(10, 990, 0.5, 0.0096751544255963219742)]
    [InlineData(10, 990, 0.975, 0.017032746770250961027)]
    [InlineData(1001, 99001, 0.025, 0.00940215657655902109)]
    [InlineData(1001, 99001, 0.975, 0.0106360052034778947)]
    [InlineData(20001, 830001, 0.025, 0.0232093534232575891)]
    [InlineData(20001, 830001, 0.5, 0.0235301591695247106)]
    [InlineData(20001, 830001, 0.975, 0.0238538360185516384)]
    public void Quantiles_match_reference_values(double a, double b, double p, double expected) =>
        BetaDistribution.Quantile(p, a, b).Should().BeApproximately(expected, 1e-9 * expected);

    [Theory]
    [InlineData(3, 4, 0.3, 0.25569)]
    [InlineData(0.5, 2.5, 0.2, 0.68562736235298312052)]
    [InlineData(200, 300, 0.41, 0.67762816477217894864)]
    public void Cdf_matches_reference_values(double a, double b, double x, double expected) =>
        BetaDistribution.Cdf(x, a, b).Should().BeApproximately(expected, 1e-12);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(1, 4)]
    [InlineData(7.5, 1)]
    public void Quantiles_match_closed_forms(double a, double b)
    {
        foreach (var p in new[] { 0.001, 0.025, 0.3, 0.5, 0.975, 0.999 })
        {
            // Beta(a, 1): F(x) = x^a; Beta(1, b): F(x) = 1 - (1 - x)^b.
            var expected = b == 1 ? Math.Pow(p, 1 / a) : 1 - Math.Pow(1 - p, 1 / b);
            BetaDistribution.Quantile(p, a, b).Should().BeApproximately(expected, 1e-12, $"p = {p}");
        }
    }

    [Fact]
    public void Cdf_of_integer_shapes_is_a_binomial_tail()
    {
        // I_x(a, b) = P(Bin(a + b - 1, x) >= a).
        const int A = 4, B = 9, N = A + B - 1;
        foreach (var x in new[] { 0.05, 0.2, 0.5, 0.77 })
        {
            var tail = 0.0;
            for (var j = A; j <= N; j++)
            {
                tail += Choose(N, j) * Math.Pow(x, j) * Math.Pow(1 - x, N - j);
            }
            BetaDistribution.Cdf(x, A, B).Should().BeApproximately(tail, 1e-13);
        }
    }

    [Fact]
    public void Quantile_inverts_the_cdf()
    {
        foreach (var (a, b) in new[] { (0.3, 0.3), (2.0, 50.0), (500.0, 20.0), (12_345.0, 987_654.0) })
        {
            foreach (var p in new[] { 0.01, 0.025, 0.5, 0.975 })
            {
                var q = BetaDistribution.Quantile(p, a, b);
                BetaDistribution.Cdf(q, a, b).Should().BeApproximately(p, 1e-10, $"a = {a}, b = {b}, p = {p}");
            }
        }
    }

    [Fact]
    public void Log_gamma_matches_factorials()
    {
        BetaDistribution.LogGamma(1).Should().BeApproximately(0, 1e-15);
        BetaDistribution.LogGamma(0.5).Should().BeApproximately(0.5 * Math.Log(Math.PI), 1e-14);
        BetaDistribution.LogGamma(21).Should().BeApproximately(Math.Log(2432902008176640000.0), 1e-13);
    }

    [Fact]
    public void Ctr_estimate_uses_the_beta_of_clicks_plus_one()
    {
        var none = CtrEstimate.From(0, 0);
        none.Median.Should().BeApproximately(0.5, 1e-14);
        none.Low.Should().BeApproximately(0.025, 1e-14);
        none.High.Should().BeApproximately(0.975, 1e-14);

        var ctr = CtrEstimate.From(850_000, 20_000);
        ctr.Median.Should().BeApproximately(0.0235301591695247106, 1e-11);
        ctr.Low.Should().BeApproximately(0.0232093534232575891, 1e-11);
        ctr.High.Should().BeApproximately(0.0238538360185516384, 1e-11);
        ctr.Rate.Should().BeApproximately(20_000.0 / 850_000, 1e-15);

        var act = () => CtrEstimate.From(10, 11);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        var act = () => BetaDistribution.Quantile(0.5, 0, 1);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("a");
        var probability = () => BetaDistribution.Quantile(1.5, 1, 1);
        probability.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("p");
    }

    private static double Choose(int n, int k)
    {
        var result = 1.0;
        for (var i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
        }
        return result;
    }
}
