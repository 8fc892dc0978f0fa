namespace Cobalt.Reporting;

/// <summary>One series of a <see cref="BarChart"/>: a value per category, with optional error bars.</summary>
/// <param name="Name">The name shown in the legend.</param>
/// <param name="Values">One value per category; negative values hang below the zero baseline.</param>
/// <param name="ErrorLow">Absolute lower ends of the error bars (e.g. of a 95% interval), one per category; given together with <paramref name="ErrorHigh"/>.</param>
/// <param name="ErrorHigh">Absolute upper ends of the error bars, one per category; given together with <paramref name="ErrorLow"/>.</param>
public sealed record BarSeries(
    string Name,
    IReadOnlyList<double> Values,
    IReadOnlyList<double>? ErrorLow = null,
    IReadOnlyList<double>? ErrorHigh = null);
