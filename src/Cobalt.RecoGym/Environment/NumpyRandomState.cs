namespace Cobalt.RecoGym.Environment;

/// <summary>
/// numpy's legacy <c>numpy.random.RandomState</c> (MT19937), draw for draw, so that a RecoGym world and its users
/// come out exactly as upstream draws them for the same integer seed.
/// </summary>
/// <remarks>
/// Ported behaviour (numpy <c>random/_mt19937.pyx</c> <c>_legacy_seeding</c>, <c>src/mt19937/mt19937.c</c>,
/// <c>src/legacy/legacy-distributions.c</c>, <c>mtrand.pyx</c> <c>choice</c> and <c>_bounded_integers.pyx</c>):
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
