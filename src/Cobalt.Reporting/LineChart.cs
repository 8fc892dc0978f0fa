namespace Cobalt.Reporting;

/// <summary>A line chart, rendered by <see cref="SvgLineChart.Render"/>.</summary>
/// <param name="Title">The title above the plot.</param>
/// <param name="XLabel">The x-axis label.</param>
/// <param name="YLabel">The y-axis label.</param>
/// <param name="Series">The lines, at least one.</param>
public sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Series)
{
    /// <summary>Width of the image in pixels (at least 240); 720 by default.</summary>
    public int Width { get; init; } = 720;

    /// <summary>Height of the image in pixels (at least 180); 440 by default.</summary>
    public int Height { get; init; } = 440;

    /// <summary>Longer series are thinned to this many points (at least 2), keeping the first and last; 500 by default.</summary>
    public int MaxPointsPerSeries { get; init; } = 500;

    /// <summary>A line under the plot saying what it shows, e.g. what the shaded band is; none by default.</summary>
    public string Caption { get; init; } = string.Empty;
}
