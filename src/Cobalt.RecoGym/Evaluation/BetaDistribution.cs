namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// The Beta distribution's regularised incomplete beta function I_x(a, b) and its inverse (the quantile),
/// accurate for shapes from below 1 up to millions (A/B tests count hundreds of thousands of recommendations).
/// </summary>
/// <remarks>
/// I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * 1 / (1 + d_1 / (1 + d_2 / (1 + ...))) by the continued fraction of
/// DLMF 8.17.22, evaluated with the modified Lentz method, for x &lt; (a + 1) / (a + b + 2), and through the symmetry
/// I_x(a, b) = 1 - I_{1-x}(b, a) otherwise (Press et al., Numerical Recipes, 6.4). ln Gamma comes from the Stirling
/// series after shifting the argument above 15 (error below 1e-15 relative). The quantile solves I_x(a, b) = p by Newton
/// steps on the density, kept inside a bisection bracket, to 1e-14 in x.
/// </remarks>
public static class BetaDistribution
{
    private const int MaxIterations = 1_000_000;
    private const double Epsilon = 1e-16;
    private const double Tiny = 1e-300;

    /// <summary>ln Gamma(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0) || double.IsInfinity(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "ln Gamma is defined here for finite x > 0.");
        }
        var shift = 0.0;
        while (x < 15)
        {
            shift += Math.Log(x);
            x += 1;
        }
        var inverse = 1.0 / x;
        var inverse2 = inverse * inverse;
        // Stirling: (x - 1/2) ln x - x + ln(2 pi)/2 + 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7) + 1/(1188x^9)
        var series = inverse * ((1.0 / 12) - (inverse2 * ((1.0 / 360) - (inverse2 * ((1.0 / 1260) - (inverse2 * ((1.0 / 1680) - (inverse2 / 1188))))))));
        return ((x - 0.5) * Math.Log(x)) - x + (0.5 * Math.Log(2 * Math.PI)) + series - shift;
    }

    /// <summary>ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>The density x^(a-1) (1-x)^(b-1) / B(a, b).</summary>
    public static double Density(double x, double a, double b)
    {
        CheckShapes(a, b);
        if (x <= 0 || x >= 1)
        {
            return (x == 0 && a < 1) || (x == 1 && b < 1) ? double.PositiveInfinity : (x == 0 && a == 1) ? b : (x == 1 && b == 1) ? a : 0.0;
        }
        return Math.Exp(((a - 1) * Math.Log(x)) + ((b - 1) * Log1P(-x)) - LogBeta(a, b));
    }

    /// <summary>The regularised incomplete beta function I_x(a, b) = P(X &lt;= x) for X ~ Beta(a, b).</summary>
    public static double Cdf(double x, double a, double b)
    {
        CheckShapes(a, b);
        if (double.IsNaN(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "x must be a number.");
        }
        if (x <= 0)
        {
            return 0.0;
        }
        if (x >= 1)
        {
            return 1.0;
        }
        var logFront = (a * Math.Log(x)) + (b * Log1P(-x)) - LogBeta(a, b);
        return x < (a + 1) / (a + b + 2)
            ? Math.Exp(logFront) * ContinuedFraction(x, a, b) / a
            : 1.0 - (Math.Exp(logFront) * ContinuedFraction(1 - x, b, a) / b);
    }

    /// <summary>The p-quantile: the x with I_x(a, b) = p.</summary>
    public static double Quantile(double p, double a, double b)
    {
        CheckShapes(a, b);
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A probability must be between 0 and 1.");
        }
        if (p == 0)
        {
            return 0.0;
        }
        if (p == 1)
        {
            return 1.0;
        }
        double low = 0, high = 1;
        // Start at the mean, or the normal approximation's guess when it lies inside (0, 1).
        var mean = a / (a + b);
        var sd = Math.Sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
        var x = mean + (sd * NormalQuantile(p));
        if (!(x > 0 && x < 1))
        {
            x = mean;
        }
        for (var iteration = 0; iteration < 500; iteration++)
        {
            var f = Cdf(x, a, b) - p;
            if (f == 0)
            {
                return x;
            }
            if (f < 0)
            {
                low = x;
            }
            else
            {
                high = x;
            }
            var density = Density(x, a, b);
            var next = x - (f / density);
            if (!(next > low && next < high) || !double.IsFinite(next))
            {
                next = 0.5 * (low + high);
            }
            if (Math.Abs(next - x) <= 1e-14 * Math.Max(x, 1e-300) || high - low <= 1e-15 * high)
            {
                return next;
            }
            x = next;
        }
        return x;
    }

    /// <summary>The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9; only a starting point here).</summary>
    internal static double NormalQuantile(double p)
    {
        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        if (p < 0.02425)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return Horner(c, q) / ((Horner(d, q) * q) + 1);
        }
        if (p > 1 - 0.02425)
        {
            return -NormalQuantile(1 - p);
        }
        var r = p - 0.5;
        var s = r * r;
        return Horner(a, s) * r / ((Horner(b, s) * s) + 1);
    }

    /// <summary>ln(1 + x) accurate for small x (Goldberg's trick: ln(u) x / (u - 1) with u = 1 + x).</summary>
    internal static double Log1P(double x)
    {
        var u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>c[0] x^(n-1) + ... + c[n-1].</summary>
    private static double Horner(ReadOnlySpan<double> coefficients, double x)
    {
        var sum = 0.0;
        foreach (var c in coefficients)
        {
            sum = (sum * x) + c;
        }
        return sum;
    }

    /// <summary>The continued fraction of I_x(a, b) by the modified Lentz method (Numerical Recipes' betacf).</summary>
    private static double ContinuedFraction(double x, double a, double b)
    {
        var qab = a + b;
        var qap = a + 1;
        var qam = a - 1;
        var c = 1.0;
        var d = 1.0 - (qab * x / qap);
        if (Math.Abs(d) < Tiny)
        {
            d = Tiny;
        }
        d = 1.0 / d;
        var h = d;
        for (var m = 1; m <= MaxIterations; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1.0 + (aa * d);
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }
            c = 1.0 + (aa / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }
            d = 1.0 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1.0 + (aa * d);
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }
            c = 1.0 + (aa / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }
            d = 1.0 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1.0) < Epsilon)
            {
                return h;
            }
        }
        throw new InvalidOperationException($"The continued fraction of I_x(a, b) did not converge for x = {x}, a = {a}, b = {b}.");
    }

    private static void CheckShapes(double a, double b)
    {
        if (!(a > 0) || !double.IsFinite(a))
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, "The Beta shape a must be a finite number greater than 0.");
        }
        if (!(b > 0) || !double.IsFinite(b))
        {
            throw new ArgumentOutOfRangeException(nameof(b), b, "The Beta shape b must be a finite number greater than 0.");
        }
    }
}
