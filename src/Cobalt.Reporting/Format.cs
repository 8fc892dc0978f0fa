using System.Globalization;

namespace Cobalt.Reporting;

/// <summary>
/// Number formatting for tables read by people: invariant culture, a fixed number of decimals and
/// comma thousands separators (<c>1,253.4</c>). Non-finite values render as <see cref="NotAvailable"/>.
/// For machine-readable output use <see cref="CsvWriter.FormatDouble"/> instead.
/// </summary>
public static class Format
{
    /// <summary>The text shown for NaN and infinite values.</summary>
    public const string NotAvailable = "n/a";

    /// <summary>Formats <paramref name="value"/> with <paramref name="decimals"/> decimals (0 to 15) and thousands separators, e.g. <c>1,253.40</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decimals"/> is outside 0 to 15.</exception>
    public static string Number(double value, int decimals)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, 15);
        if (!double.IsFinite(value))
        {
            return NotAvailable;
        }
        string text = value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        // A small negative value rounds to "-0.0"; a table should say "0.0".
        return text.StartsWith('-') && text.AsSpan(1).IndexOfAnyExcept("0.,") < 0 ? text[1..] : text;
    }

    /// <summary>
    /// Formats a mean and its standard deviation as <c>1,253.4 ± 12.1</c>. A non-finite mean gives
    /// <see cref="NotAvailable"/>; a non-finite deviation (e.g. from one sample) gives <c>1,253.4 ± n/a</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decimals"/> is outside 0 to 15.</exception>
    public static string MeanStd(double mean, double std, int decimals)
    {
        string m = Number(mean, decimals);
        string s = Number(std, decimals);
        return double.IsFinite(mean) ? $"{m} ± {s}" : NotAvailable;
    }
}
