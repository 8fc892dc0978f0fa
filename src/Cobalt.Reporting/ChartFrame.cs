namespace Cobalt.Reporting;

/// <summary>
/// The parts line and bar charts share: layout of the plot area, title, y axis with grid, axis lines and legend
/// (a column to the right of the plot).
/// </summary>
internal sealed class ChartFrame
{
    private const double CharWidth = 7; // a rough average glyph width at 12px
    private const int LegendMaxChars = 28;
    private const double LegendRowHeight = 20;
    private const double CaptionHeight = 22;

    private readonly int _width;
    private readonly int _height;
    private readonly int _legendChars;

    /// <summary>Lays out the plot; <paramref name="xTickSpace"/> is the height reserved under the plot for x tick labels.</summary>
    public ChartFrame(int width, int height, string title, string xLabel, string yLabel, NiceScale y, IReadOnlyList<string> legendNames, double xTickSpace, string caption = "")
    {
        _height = height;
        (_width, YScale) = (width, y);
        double tickWidth = y.Ticks.Max(t => y.Label(t).Length) * CharWidth;
        double legendWidth = Math.Min(48 + (Math.Min(LegendMaxChars, legendNames.Max(n => n.Length)) * CharWidth), width * 0.35);
        _legendChars = (int)((legendWidth - 48) / CharWidth);

        Top = string.IsNullOrEmpty(title) ? 16 : 44;
        Left = (string.IsNullOrEmpty(yLabel) ? 10 : 30) + tickWidth + 8;
        Right = width - 12 - legendWidth;
        Bottom = height - xTickSpace - (string.IsNullOrEmpty(xLabel) ? 8 : 28) - (string.IsNullOrEmpty(caption) ? 0 : CaptionHeight);
        XLabelBaseline = Bottom + xTickSpace + 18;
    }

    /// <summary>The y axis.</summary>
    public NiceScale YScale { get; }

    /// <summary>Left edge of the plot area.</summary>
    public double Left { get; }

    /// <summary>Top edge of the plot area.</summary>
    public double Top { get; }

    /// <summary>Right edge of the plot area.</summary>
    public double Right { get; }

    /// <summary>Bottom edge of the plot area.</summary>
    public double Bottom { get; }

    /// <summary>Where the x-axis label's baseline goes.</summary>
    public double XLabelBaseline { get; }

    /// <summary>The pixel row of a y value.</summary>
    public double MapY(double value) => YScale.Map(value, Bottom, Top);

    /// <summary>Draws the title, centred above the plot.</summary>
    public void DrawTitle(SvgBuilder svg, string title)
    {
        if (!string.IsNullOrEmpty(title))
        {
            svg.Text(_width / 2.0, 28, title, " class=\"title\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"");
        }
    }

    /// <summary>Draws horizontal grid lines, y tick labels and the rotated y-axis label.</summary>
    public void DrawYAxis(SvgBuilder svg, string label)
    {
        svg.Open("<g class=\"y-axis\">");
        foreach (double tick in YScale.Ticks)
        {
            double y = MapY(tick);
            svg.Line(Left, y, Right, y, "class=\"grid\" stroke=\"#e6e6e6\"");
            svg.Text(Left - 8, y + 4, YScale.Label(tick), " class=\"tick\" text-anchor=\"end\" fill=\"#555555\"");
        }
        if (!string.IsNullOrEmpty(label))
        {
            double middle = (Top + Bottom) / 2;
            svg.Text(16, middle, label, $" class=\"axis-label\" text-anchor=\"middle\" transform=\"rotate(-90 16 {SvgBuilder.Num(middle)})\"");
        }
        svg.Close("g");
    }

    /// <summary>Draws the x-axis label, centred under the plot.</summary>
    public void DrawXLabel(SvgBuilder svg, string label)
    {
        if (!string.IsNullOrEmpty(label))
        {
            svg.Text((Left + Right) / 2, XLabelBaseline, label, " class=\"axis-label\" text-anchor=\"middle\"");
        }
    }

    /// <summary>Draws the caption (what the chart shows, e.g. what its band is) along the bottom edge, left-aligned.</summary>
    public void DrawCaption(SvgBuilder svg, string caption)
    {
        if (!string.IsNullOrEmpty(caption))
        {
            svg.Text(10, _height - 10, caption, " class=\"caption\" font-size=\"12\" fill=\"#444444\"");
        }
    }

    /// <summary>Draws the left and bottom axis lines.</summary>
    public void DrawAxisLines(SvgBuilder svg)
    {
        svg.Open("<g class=\"axis-lines\" stroke=\"#888888\">");
        svg.Line(Left, Top, Left, Bottom, string.Empty);
        svg.Line(Left, Bottom, Right, Bottom, string.Empty);
        svg.Close("g");
    }

    /// <summary>Draws one legend entry per name; <paramref name="swatch"/> draws series i's sample at (x, y), 20px wide, centred on y.</summary>
    public void DrawLegend(SvgBuilder svg, IReadOnlyList<string> names, Action<SvgBuilder, int, double, double> swatch)
    {
        svg.Open("<g class=\"legend\">");
        for (int i = 0; i < names.Count; i++)
        {
            double x = Right + 16, y = Top + 8 + (i * LegendRowHeight);
            string name = names[i];
            bool truncated = name.Length > _legendChars;
            svg.Open($"<g class=\"legend-entry\" data-series=\"{Markup.Escape(name)}\">");
            if (truncated)
            {
                svg.Add($"<title>{Markup.Escape(name)}</title>");
            }
            swatch(svg, i, x, y);
            svg.Text(x + 26, y + 4, truncated ? string.Concat(name.AsSpan(0, Math.Max(0, _legendChars - 1)), "…") : name);
            svg.Close("g");
        }
        svg.Close("g");
    }
}
