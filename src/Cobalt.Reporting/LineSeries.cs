namespace Cobalt.Reporting;

/// <summary>One line of a <see cref="LineChart"/>, with an optional band (e.g. mean ± 1 std) drawn behind it.</summary>
/// <param name="Name">The name shown in the legend.</param>
/// <param name="X">The x values, in drawing order.</param>
/// <param name="Y">The y values, one per x value.</param>
/// <param name="Lower">The band's lower edge, one per x value; given together with <paramref name="Upper"/>.</param>
/// <param name="Upper">The band's upper edge, one per x value; given together with <paramref name="Lower"/>.</param>
public sealed record LineSeries(
    string Name,
    IReadOnlyList<double> X,
    IReadOnlyList<double> Y,
    IReadOnlyList<double>? Lower = null,
    IReadOnlyList<double>? Upper = null);
