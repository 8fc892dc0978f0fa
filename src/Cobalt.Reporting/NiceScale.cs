using System.Globalization;

namespace Cobalt.Reporting;

/// <summary>
/// A linear axis whose ends and ticks are multiples of a 1-2-5 step (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …),
/// with at most <see cref="MaxIntervals"/> intervals, and readable tick labels.
/// </summary>
internal sealed class NiceScale
{
    private const int MaxIntervals = 7;
    private const double Epsilon = 1e-9;
    private static readonly (double Unit, string Suffix)[] Units = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];

    private readonly string _format;
    private readonly double _unit;
    private readonly string _suffix;
    private readonly double _step;

    private NiceScale(long first, long last, int mantissa, int exponent)
    {
        var ticks = new double[last - first + 1];
        for (long k = first; k <= last; k++)
        {
            // Dividing by an exact power of ten keeps 0.3 from becoming 0.30000000000000004.
            ticks[k - first] = exponent >= 0 ? k * mantissa * Math.Pow(10, exponent) : k * mantissa / Math.Pow(10, -exponent);
        }
        Ticks = ticks;
        Min = ticks[0];
        Max = ticks[^1];
        double step = _step = mantissa * Math.Pow(10, exponent);
        double maxAbs = Math.Max(Math.Abs(Min), Math.Abs(Max));

        (_unit, _suffix) = (1, string.Empty);
        if (maxAbs >= 1e5)
        {
            // 200k, 4M, 1,500M: a suffix only when every tick is a whole number of units.
            foreach ((double unit, string suffix) in Units)
            {
                if (step >= unit)
                {
                    (_unit, _suffix) = (unit, suffix);
                    break;
                }
            }
        }
        int decimals = Math.Max(0, -exponent);
        _format = maxAbs / _unit >= 1e15 || decimals > 6 ? "0.############E+0" : "N" + decimals.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The low end of the axis (the first tick).</summary>
    public double Min { get; }

    /// <summary>The high end of the axis (the last tick).</summary>
    public double Max { get; }

    /// <summary>The tick values, ascending, from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public IReadOnlyList<double> Ticks { get; }

    /// <summary>Creates a scale covering [min, max]; an empty or negligible range is widened around its centre.</summary>
    public static NiceScale Create(double min, double max)
    {
        if (!double.IsFinite(max - min))
        {
            throw new ArgumentException($"The values span too wide a range to plot ({min:R} to {max:R}).");
        }
        double magnitude = Math.Max(Math.Abs(min), Math.Abs(max));
        if (max - min <= magnitude * 1e-12 || max - min < 1e-250)
        {
            double centre = (min + max) / 2;
            double pad = Math.Abs(centre) > 1e-250 ? Math.Abs(centre) * 0.1 : 1;
            (min, max) = (centre - pad, centre + pad);
        }
        int exponent = (int)Math.Floor(Math.Log10((max - min) / MaxIntervals));
        while (true)
        {
            foreach (int mantissa in (ReadOnlySpan<int>)[1, 2, 5])
            {
                double step = mantissa * Math.Pow(10, exponent);
                double first = Math.Floor((min / step) + Epsilon);
                double last = Math.Ceiling((max / step) - Epsilon);
                if (last - first <= MaxIntervals)
                {
                    return new NiceScale((long)first, (long)Math.Max(last, first + 1), mantissa, exponent);
                }
            }
            exponent++;
        }
    }

    /// <summary>Maps a value linearly from [<see cref="Min"/>, <see cref="Max"/>] onto [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public double Map(double value, double from, double to) => from + ((value - Min) / (Max - Min) * (to - from));

    /// <summary>Formats a tick value: <c>0</c>, <c>0.05</c>, <c>1,000</c>, <c>200k</c>, <c>4M</c>; scientific for extreme magnitudes.</summary>
    public string Label(double value)
    {
        return Math.Abs(value) < _step * Epsilon
            ? "0"
            : (value / _unit).ToString(_format, CultureInfo.InvariantCulture) + _suffix;
    }
}
