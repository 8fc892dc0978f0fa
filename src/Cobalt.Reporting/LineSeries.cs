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
    IReadOnlyList<double>? Upper = null)
{
    /// <summary>
    /// Series with the same group share a colour; null (the default) puts a series in its own group, except that a
    /// series named <c>2-X</c> joins the group of a series named <c>X</c> when the chart has one (a two-stage policy
    /// beside its one-stage twin).
    /// </summary>
    public string? ColorGroup { get; init; }

    /// <summary>
    /// Draw the line dashed; null (the default) dashes a series named <c>2-X</c> when the chart has a series named <c>X</c>.
    /// </summary>
    public bool? Dashed { get; init; }
}
