using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Cobalt.Reporting;

/// <summary>Input checks shared by the charts; every message names the series at fault.</summary>
[SuppressMessage("Usage", "CA2208", Justification = "The checks run on behalf of the public Render(chart) methods: 'chart' is the argument at fault.")]
internal static class ChartChecks
{
    private const string Param = "chart";

    /// <summary>Rejects images too small to hold a plot.</summary>
    public static void Size(int width, int height)
    {
        if (width < 240 || height < 180)
        {
            throw new ArgumentException($"A chart must be at least 240x180 pixels but is {width}x{height}.", Param);
        }
    }

    /// <summary>Rejects a null or empty list.</summary>
    public static void NotEmpty<T>(IReadOnlyList<T>? list, string what)
    {
        if (list is null || list.Count == 0)
        {
            throw new ArgumentException($"The chart has no {what}.", Param);
        }
    }

    /// <summary>How messages name a series: by name, or by position when it has none.</summary>
    public static string Describe(string? name, int index) =>
        string.IsNullOrEmpty(name) ? string.Create(CultureInfo.InvariantCulture, $"Series {index}") : $"Series '{name}'";

    /// <summary>Rejects a missing list or a non-finite value.</summary>
    public static void Values(string who, string what, IReadOnlyList<double>? values)
    {
        if (values is null)
        {
            throw new ArgumentException($"{who}: {what} is null.", Param);
        }
        for (int k = 0; k < values.Count; k++)
        {
            if (!double.IsFinite(values[k]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{who}: {what}[{k}] is {values[k]}; values must be finite."), Param);
            }
        }
    }

    /// <summary>Rejects lists of different lengths.</summary>
    public static void SameLength(string who, string what, int count, string other, int otherCount)
    {
        if (count != otherCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{who}: {what} has {count} values but {other} has {otherCount}."), Param);
        }
    }

    /// <summary>Checks optional interval ends: both or neither, finite, of the reference length, low not above high.</summary>
    public static void Interval(string who, string lowName, IReadOnlyList<double>? low, string highName, IReadOnlyList<double>? high, string reference, int count)
    {
        if (low is null && high is null)
        {
            return;
        }
        if (low is null || high is null)
        {
            (string given, string missing) = low is null ? (highName, lowName) : (lowName, highName);
            throw new ArgumentException($"{who}: {given} is given without {missing}; give both or neither.", Param);
        }
        Values(who, lowName, low);
        Values(who, highName, high);
        SameLength(who, lowName, low.Count, reference, count);
        SameLength(who, highName, high.Count, reference, count);
        for (int k = 0; k < count; k++)
        {
            if (low[k] > high[k])
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{who}: {lowName}[{k}] = {low[k]} is above {highName}[{k}] = {high[k]}."), Param);
            }
        }
    }
}
