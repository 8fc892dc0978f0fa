namespace Cobalt.Reporting;

/// <summary>A grouped bar chart (one group per category, one bar per series), rendered by <see cref="SvgBarChart.Render"/>.</summary>
/// <param name="Title">The title above the plot.</param>
/// <param name="YLabel">The y-axis label.</param>
/// <param name="Categories">The category labels along the x axis, at least one.</param>
/// <param name="Series">The series, at least one.</param>
public sealed record BarChart(string Title, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<BarSeries> Series)
{
    /// <summary>Width of the image in pixels (at least 240); 720 by default.</summary>
    public int Width { get; init; } = 720;

    /// <summary>Height of the image in pixels (at least 180); 440 by default.</summary>
    public int Height { get; init; } = 440;
}
