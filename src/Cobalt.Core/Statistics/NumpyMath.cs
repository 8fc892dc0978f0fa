namespace Cobalt.Core.Statistics;

/// <summary>
/// The few numpy/scipy reductions Open Bandit Pipeline's and RecoGym's numbers go through, computed the same way so that parity holds to
/// the last bits: numpy's pairwise sum, <c>mean</c>, <c>var</c>, <c>percentile</c> (linear) and scipy's Student-t quantile.
/// </summary>
/// <remarks>numpy 1.24 <c>umath/loops_utils.h.src</c> <c>pairwise_sum</c>, <c>lib/function_base.py</c> <c>_quantile</c> and <c>_lerp</c>.</remarks>
public static class NumpyMath
{
    /// <summary>
    /// numpy's <c>add.reduce</c> of a contiguous float64 array: below 8 terms a plain loop; up to 128 eight interleaved
    /// accumulators combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)) then the remainder; above, the two halves
    /// (the first a multiple of 8 long) summed recursively.
    /// </summary>
    public static double Sum(ReadOnlySpan<double> a)
    {
        var n = a.Length;
        if (n < 8)
        {
            var res = 0.0;
            for (var i = 0; i < n; i++)
            {
                res += a[i];
            }
            return res;
        }
        if (n <= 128)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i;
            for (i = 8; i < n - (n % 8); i += 8)
            {
                r0 += a[i];
                r1 += a[i + 1];
                r2 += a[i + 2];
                r3 += a[i + 3];
                r4 += a[i + 4];
                r5 += a[i + 5];
                r6 += a[i + 6];
                r7 += a[i + 7];
            }
            var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++)
            {
                res += a[i];
            }
            return res;
        }
        var n2 = n / 2;
        n2 -= n2 % 8;
        return Sum(a[..n2]) + Sum(a[n2..]);
    }

    /// <summary><c>np.mean</c>: the pairwise sum divided by n.</summary>
    public static double Mean(ReadOnlySpan<double> a) => Sum(a) / a.Length;

    /// <summary><c>np.var</c> (ddof 0): mean of (x - mean)^2, both means pairwise.</summary>
    public static double Variance(ReadOnlySpan<double> a)
    {
        var mean = Mean(a);
        var squares = new double[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - mean;
            squares[i] = d * d;
        }
        return Sum(squares) / a.Length;
    }

    /// <summary>
    /// <c>np.percentile(x, q)</c> with the default linear method on an already sorted array: virtual index (n - 1) q / 100,
    /// interpolated as a + (b - a) g below g = 0.5 and b - (b - a)(1 - g) from 0.5 on (numpy's <c>_lerp</c>).
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.Length == 0)
        {
            throw new ArgumentException("The percentile of nothing is undefined.", nameof(sorted));
        }
        var virtualIndex = (sorted.Length - 1) * (q / 100);
        var below = Math.Floor(virtualIndex);
        var low = (int)Math.Clamp(below, 0, sorted.Length - 1);
        var high = Math.Min(low + 1, sorted.Length - 1);
        var g = virtualIndex - below;
        double a = sorted[low], b = sorted[high];
        var diff = b - a;
        return g >= 0.5 ? b - (diff * (1 - g)) : a + (diff * g);
    }

    /// <summary>
    /// The Student-t quantile t_nu(p) (scipy <c>stats.t(nu).ppf(p)</c>) for nu &gt;= 30 by the Cornish-Fisher expansion in
    /// 1/nu around the normal quantile z (Abramowitz and Stegun 26.7.5, terms to nu^-4): t = z + g1/nu + g2/nu^2 + g3/nu^3
    /// + g4/nu^4. Truncation error is O(nu^-5): below 1e-9 at nu = 30 and 1e-20 at nu = 10^4.
    /// </summary>
    public static double StudentTQuantile(double p, double nu)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "p is in (0, 1).");
        }
        if (!(nu >= 30))
        {
            throw new ArgumentOutOfRangeException(nameof(nu), nu, "The expansion is accurate from 30 degrees of freedom (logs of at least 31 rounds).");
        }
        var z = NormalQuantile(p);
        double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
        var g1 = (z3 + z) / 4;
        var g2 = ((5 * z5) + (16 * z3) + (3 * z)) / 96;
        var g3 = ((3 * z7) + (19 * z5) + (17 * z3) - (15 * z)) / 384;
        var g4 = ((79 * z9) + (776 * z7) + (1482 * z5) - (1920 * z3) - (945 * z)) / 92160;
        return z + (g1 / nu) + (g2 / (nu * nu)) + (g3 / (nu * nu * nu)) + (g4 / (nu * nu * nu * nu));
    }

    /// <summary>The standard normal quantile by Wichura's (1988) algorithm AS 241 (PPND16), relative accuracy about 1e-16.</summary>
    public static double NormalQuantile(double p)
    {
        var q = p - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            var r = 0.180625 - (q * q);
            return q * Horner(r, Central) / Horner(r, CentralDenominator);
        }
        var rr = Math.Sqrt(-Math.Log(q < 0 ? p : 1 - p));
        var value = rr <= 5
            ? Horner(rr - 1.6, Intermediate) / Horner(rr - 1.6, IntermediateDenominator)
            : Horner(rr - 5, Tail) / Horner(rr - 5, TailDenominator);
        return q < 0 ? -value : value;
    }

    private static readonly double[] Central = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
        45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];

    private static readonly double[] CentralDenominator = [1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
        21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925];

    private static readonly double[] Intermediate = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
        1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];

    private static readonly double[] IntermediateDenominator = [1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
        0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];

    private static readonly double[] Tail = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
        0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];

    private static readonly double[] TailDenominator = [1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
        7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

    /// <summary>c_0 + c_1 x + ... + c_m x^m.</summary>
    private static double Horner(double x, double[] c)
    {
        var value = c[^1];
        for (var i = c.Length - 2; i >= 0; i--)
        {
            value = (value * x) + c[i];
        }
        return value;
    }
}
