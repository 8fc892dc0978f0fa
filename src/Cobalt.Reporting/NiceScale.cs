using System.Globalization;

namespace Cobalt.Reporting;

/// <summary>
/// A linear axis with ticks at multiples of a 1-2-5 step (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …), at most eight of them,
/// and readable labels (0, 0.5, 1,000, 250k, 1.5M). Each end of the axis snaps to the next tick when that wastes
/// little room (so axes from 0 start at 0), and otherwise sits a small margin beyond the data.
/// </summary>
internal sealed class NiceScale
{
    private const int MaxIntervals = 7;
    private const double SnapFraction = 0.1; // an end snaps to a tick at most this fraction of the data span away
    private const double Margin = 0.03;      // otherwise it sits this fraction of the span beyond the data
    private const double Epsilon = 1e-9;
    private static readonly (int Exponent, string Suffix)[] Units = [(12, "T"), (9, "B"), (6, "M"), (3, "k")];

    private readonly double _step;
    private readonly double _unit;
    private readonly string _suffix;
    private readonly string _format;

    private NiceScale(double min, double max, int mantissa, int exponent)
    {
        double scale = Math.Pow(10, Math.Abs(exponent));
        _step = exponent >= 0 ? mantissa * scale : mantissa / scale;
        double span = max - min;
        long first = (long)Math.Floor((min / _step) + Epsilon), last = (long)Math.Ceiling((max / _step) - Epsilon);
        // Dividing by an exact power of ten keeps 0.3 from becoming 0.30000000000000004.
        double Tick(long k) => exponent >= 0 ? k * mantissa * scale : k * mantissa / scale;
        Min = min - Tick(first) <= span * SnapFraction ? Math.Min(min, Tick(first)) : min - (span * Margin);
        Max = Tick(last) - max <= span * SnapFraction ? Math.Max(max, Tick(last)) : max + (span * Margin);

        var ticks = new List<double>();
        for (long k = first; k <= last; k++)
        {
            double tick = Tick(k);
            if (tick >= Min - (_step * Epsilon) && tick <= Max + (_step * Epsilon))
            {
                ticks.Add(tick);
            }
        }
        Ticks = ticks;

        // Plain numbers below 100,000; above, a suffix (0.5M, 1M, 1.5M) unless the ticks would need many decimals in it.
        double maxAbs = Math.Max(Math.Abs(Min), Math.Abs(Max));
        (_unit, _suffix) = (1, string.Empty);
        int decimals = Math.Max(0, -exponent);
        foreach ((int unitExponent, string suffix) in Units)
        {
            if (maxAbs >= Math.Max(1e5, Math.Pow(10, unitExponent)) && unitExponent - exponent <= 2)
            {
                (_unit, _suffix, decimals) = (Math.Pow(10, unitExponent), suffix, Math.Max(0, unitExponent - exponent));
                break;
            }
        }
        _format = maxAbs / _unit >= 1e15 || decimals > 6 ? "0.############E+0" : "#,0." + new string('#', decimals);
    }

    /// <summary>The low end of the axis, at or below the data.</summary>
    public double Min { get; }

    /// <summary>The high end of the axis, at or above the data.</summary>
    public double Max { get; }

    /// <summary>The tick values, ascending, all within [<see cref="Min"/>, <see cref="Max"/>].</summary>
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
                if (Math.Ceiling((max / step) - Epsilon) - Math.Floor((min / step) + Epsilon) <= MaxIntervals)
                {
                    return new NiceScale(min, max, mantissa, exponent);
                }
            }
            exponent++;
        }
    }

    /// <summary>Maps a value linearly from [<see cref="Min"/>, <see cref="Max"/>] onto [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public double Map(double value, double from, double to) => from + ((value - Min) / (Max - Min) * (to - from));

    /// <summary>Formats a tick value: <c>0</c>, <c>0.05</c>, <c>1,000</c>, <c>250k</c>, <c>1.5M</c>; scientific for extreme magnitudes.</summary>
    public string Label(double value) =>
        Math.Abs(value) < _step * Epsilon ? "0" : (value / _unit).ToString(_format, CultureInfo.InvariantCulture) + _suffix;
}
