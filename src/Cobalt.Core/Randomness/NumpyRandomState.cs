namespace Cobalt.Core.Randomness;

/// <summary>
/// numpy's legacy <c>numpy.random.RandomState</c> (MT19937), draw for draw, so that a RecoGym world and its users
/// come out exactly as upstream draws them for the same integer seed.
/// </summary>
/// <remarks>
/// Ported behaviour (numpy <c>random/_mt19937.pyx</c> <c>_legacy_seeding</c>, <c>src/mt19937/mt19937.c</c>,
/// <c>src/legacy/legacy-distributions.c</c>, <c>mtrand.pyx</c> <c>choice</c>, <c>shuffle</c> and <c>_bounded_integers.pyx</c>):
/// <list type="bullet">
/// <item>an integer seed s in [0, 2^32) fills the 624 words with Knuth's recurrence
/// x_0 = s, x_i = 1812433253 (x_{i-1} xor (x_{i-1} &gt;&gt; 30)) + i (mod 2^32) (<c>mt19937_seed</c>);</item>
/// <item><c>random_sample</c>: ((a &gt;&gt; 5) 2^26 + (b &gt;&gt; 6)) / 2^53 from two 32-bit words;</item>
/// <item><c>gauss</c> (legacy <c>normal</c>, <c>randn</c>): Marsaglia's polar method, x1, x2 = 2 u - 1 until
/// 0 &lt; r^2 = x1^2 + x2^2 &lt; 1, f = sqrt(-2 ln r^2 / r^2); returns f x2 and keeps f x1 for the next call
/// (the cache survives other draws);</item>
/// <item><c>normal(loc, scale)</c> = loc + scale gauss;</item>
/// <item><c>randint(low, high)</c> / <c>choice(n)</c>: 32-bit words masked to the smallest 2^k - 1 &gt;= high - low - 1,
/// rejected above it;</item>
/// <item><c>choice(n, p)</c>: cdf = cumsum(p) (left to right), cdf /= cdf[-1], one <c>random_sample</c> u,
/// the index searchsorted(cdf, u, side='right').</item>
/// </list>
/// Parity with numpy itself is pinned by <c>NumpyRandomStateTests</c>, whose constants come from numpy.
/// </remarks>
public sealed class NumpyRandomState
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;
    private bool _hasGauss;
    private double _gauss;

    /// <summary>The state of <c>numpy.random.RandomState(seed)</c>.</summary>
    public NumpyRandomState(uint seed) => Seed(seed);

    /// <summary>Re-seeds as <c>RandomState.seed(seed)</c> (also clears the cached Gaussian).</summary>
    public void Seed(uint seed)
    {
        _mt[0] = seed;
        for (var i = 1; i < N; i++)
        {
            var prev = _mt[i - 1];
            _mt[i] = unchecked((1812433253u * (prev ^ (prev >> 30))) + (uint)i);
        }
        _index = N;
        _hasGauss = false;
        _gauss = 0;
    }

    /// <summary>The next 32-bit output of MT19937 (numpy <c>mt19937_next32</c>).</summary>
    public uint NextUInt32()
    {
        if (_index >= N)
        {
            Generate();
        }
        var y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary><c>random_sample()</c>: a double in [0, 1) with 53 random bits.</summary>
    public double RandomSample()
    {
        var a = NextUInt32() >> 5;
        var b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary><c>standard_normal()</c> of the legacy generator (polar method with the cached second value).</summary>
    public double Gauss()
    {
        if (_hasGauss)
        {
            _hasGauss = false;
            return _gauss;
        }
        double x1, x2, r2;
        do
        {
            x1 = (2.0 * RandomSample()) - 1.0;
            x2 = (2.0 * RandomSample()) - 1.0;
            r2 = (x1 * x1) + (x2 * x2);
        }
        while (r2 >= 1.0 || r2 == 0.0);
        var f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }

    /// <summary><c>normal(loc, scale)</c> = loc + scale * gauss.</summary>
    public double Normal(double loc, double scale) => loc + (scale * Gauss());

    /// <summary><c>randint(low, high)</c> for high - low &lt; 2^32: a uniform integer in [low, high).</summary>
    public long RandInt(long low, long high)
    {
        if (high <= low)
        {
            throw new ArgumentOutOfRangeException(nameof(high), high, $"high must exceed low = {low}.");
        }
        var range = (ulong)(high - low - 1);
        if (range > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(high), high, "Ranges wider than 2^32 are not supported.");
        }
        if (range == 0)
        {
            return low;
        }
        var r = (uint)range;
        if (r == uint.MaxValue)
        {
            return low + NextUInt32();
        }
        var mask = r;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > r)
        {
        }
        return low + value;
    }

    /// <summary>
    /// <c>shuffle(x)</c> of a one-dimensional array, legacy: Fisher-Yates from the end, for i = n - 1 .. 1 swap x[i]
    /// with x[j], j = <c>randint(0, i + 1)</c> (numpy <c>mtrand.pyx</c> <c>_shuffle_raw</c> with <c>random_interval</c>).
    /// This is the permutation scikit-learn's <c>KFold(shuffle=True, random_state=s)</c> applies.
    /// </summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (var i = values.Length - 1; i >= 1; i--)
        {
            var j = (int)RandInt(0, i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary><c>standard_exponential()</c>, legacy: -ln(1 - u) (numpy <c>legacy-distributions.c</c> <c>legacy_standard_exponential</c>).</summary>
    public double StandardExponential() => -Math.Log(1.0 - RandomSample());

    /// <summary>
    /// <c>standard_gamma(shape)</c>, legacy (numpy <c>legacy-distributions.c</c> <c>legacy_standard_gamma</c>): shape 1 is an
    /// exponential; shape below 1 uses Ahrens and Dieter's (1974) GS rejection with a uniform and an exponential; above 1,
    /// Marsaglia and Tsang (2000) with b = shape - 1/3, c = 1 / sqrt(9 b), x ~ N(0, 1) (the cached polar Gaussian),
    /// v = (1 + c x)^3 accepted when u &lt; 1 - 0.0331 x^4 or ln u &lt; x^2 / 2 + b (1 - v + ln v).
    /// </summary>
    public double StandardGamma(double shape)
    {
        if (shape == 1.0)
        {
            return StandardExponential();
        }
        if (shape == 0.0)
        {
            return 0.0;
        }
        if (shape < 1.0)
        {
            while (true)
            {
                var u = RandomSample();
                var v = StandardExponential();
                if (u <= 1.0 - shape)
                {
                    var x = Math.Pow(u, 1.0 / shape);
                    if (x <= v)
                    {
                        return x;
                    }
                }
                else
                {
                    var y = -Math.Log((1 - u) / shape);
                    var x = Math.Pow(1.0 - shape + (shape * y), 1.0 / shape);
                    if (x <= v + y)
                    {
                        return x;
                    }
                }
            }
        }
        var b = shape - (1.0 / 3.0);
        var c = 1.0 / Math.Sqrt(9 * b);
        while (true)
        {
            double x, cube;
            do
            {
                x = Gauss();
                cube = 1.0 + (c * x);
            }
            while (cube <= 0.0);
            cube = cube * cube * cube;
            var u = RandomSample();
            if (u < 1.0 - (0.0331 * (x * x) * (x * x)))
            {
                return b * cube;
            }
            if (Math.Log(u) < (0.5 * x * x) + (b * (1.0 - cube + Math.Log(cube))))
            {
                return b * cube;
            }
        }
    }

    /// <summary>
    /// <c>beta(a, b)</c>, legacy (numpy <c>legacy-distributions.c</c> <c>legacy_beta</c>): Johnk's algorithm when both
    /// parameters are at most 1 (x = u^(1/a), y = v^(1/b) until x + y &lt;= 1, then x / (x + y), in logs when both underflow);
    /// otherwise G_a / (G_a + G_b) from two <see cref="StandardGamma"/> draws, a's first.
    /// </summary>
    public double Beta(double a, double b)
    {
        if (a <= 1.0 && b <= 1.0)
        {
            while (true)
            {
                var u = RandomSample();
                var v = RandomSample();
                var x = Math.Pow(u, 1.0 / a);
                var y = Math.Pow(v, 1.0 / b);
                if (x + y <= 1.0)
                {
                    if (x + y > 0)
                    {
                        return x / (x + y);
                    }
                    var logX = Math.Log(u) / a;
                    var logY = Math.Log(v) / b;
                    var logM = Math.Max(logX, logY);
                    logX -= logM;
                    logY -= logM;
                    return Math.Exp(logX - Math.Log(Math.Exp(logX) + Math.Exp(logY)));
                }
            }
        }
        var ga = StandardGamma(a);
        var gb = StandardGamma(b);
        return ga / (ga + gb);
    }

    /// <summary><c>choice(n)</c>: uniform over 0 .. n - 1 (legacy: <c>randint(0, n)</c>).</summary>
    public int Choice(int n) => (int)RandInt(0, n);

    /// <summary>
    /// <c>choice(len(p), p=p)</c>: one uniform u and the first index whose normalised cumulative sum exceeds u.
    /// <paramref name="cdf"/> is caller-owned scratch of the same length.
    /// </summary>
    public int Choice(ReadOnlySpan<double> p, Span<double> cdf)
    {
        Cumulate(p, cdf);
        return SearchSortedRight(cdf, RandomSample());
    }

    /// <summary><c>choice([True, False], p=[p, 1 - p])</c>: true with probability <paramref name="probability"/>, as numpy computes it.</summary>
    public bool ChooseTrue(double probability)
    {
        var q = 1.0 - probability;
        var total = probability + q;
        return RandomSample() < probability / total;
    }

    /// <summary><c>choice([0, 1], p=[1 - c, c])</c> == 1 (RecoGym's click draw), as numpy computes it.</summary>
    public bool Bernoulli(double probability)
    {
        var q = 1.0 - probability;
        var total = q + probability;
        return RandomSample() >= q / total;
    }

    /// <summary>numpy's <c>cdf = p.cumsum(); cdf /= cdf[-1]</c>.</summary>
    public static void Cumulate(ReadOnlySpan<double> p, Span<double> cdf)
    {
        if (cdf.Length < p.Length || p.Length == 0)
        {
            throw new ArgumentException($"Expected a non-empty p and a cdf buffer of at least {p.Length} entries.", nameof(cdf));
        }
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            sum += p[i];
            cdf[i] = sum;
        }
        var last = cdf[p.Length - 1];
        for (var i = 0; i < p.Length; i++)
        {
            cdf[i] /= last;
        }
    }

    /// <summary><c>searchsorted(cdf, u, side='right')</c>: the number of entries &lt;= u.</summary>
    public static int SearchSortedRight(ReadOnlySpan<double> cdf, double u)
    {
        int lo = 0, hi = cdf.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cdf[mid] <= u)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private void Generate()
    {
        const uint upper = 0x80000000u, lower = 0x7fffffffu, matrix = 0x9908b0dfu;
        int k;
        uint y;
        for (k = 0; k < N - M; k++)
        {
            y = (_mt[k] & upper) | (_mt[k + 1] & lower);
            _mt[k] = _mt[k + M] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : matrix);
        }
        for (; k < N - 1; k++)
        {
            y = (_mt[k] & upper) | (_mt[k + 1] & lower);
            _mt[k] = _mt[k + (M - N)] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : matrix);
        }
        y = (_mt[N - 1] & upper) | (_mt[0] & lower);
        _mt[N - 1] = _mt[M - 1] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : matrix);
        _index = 0;
    }
}
