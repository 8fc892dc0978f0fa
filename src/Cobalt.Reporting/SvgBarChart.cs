using System.Globalization;

namespace Cobalt.Reporting;

/// <summary>Renders a <see cref="BarChart"/> as a standalone SVG document.</summary>
public static class SvgBarChart
{
    private const double CharWidth = 7;
    private const int MaxRotatedChars = 30;

    /// <summary>
    /// Renders the chart: title, y axis with 1-2-5 ticks and grid, one group of bars per category drawn from a zero baseline,
    /// error bars where given, and a legend. Category labels that do not fit are slanted. The same chart always gives the same text.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The chart has no categories or series, a series' value count differs from the category count, a value is not finite,
    /// error bars are half given or their low end lies above the high end, or the size is too small; the message names the series.
    /// </exception>
    public static string Render(BarChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        Validate(chart);
        IReadOnlyList<BarSeries> series = chart.Series;
        string[] categories = [.. chart.Categories.Select(c => c ?? string.Empty)];
        string[] names = [.. series.Select(s => s.Name ?? string.Empty)];

        double[] all = [0, .. series.SelectMany(s => s.Values.Concat(s.ErrorLow ?? []).Concat(s.ErrorHigh ?? []))];
        double min = all.Min(), max = all.Max();
        var yScale = NiceScale.Create(min, min == max ? 1 : max);

        var frame = new ChartFrame(chart.Width, chart.Height, chart.Title, string.Empty, chart.YLabel, yScale, names, xTickSpace: 24);
        double slot = (frame.Right - frame.Left) / categories.Length;
        int longest = categories.Max(c => c.Length);
        bool slant = longest * CharWidth > slot * 0.95;
        if (slant)
        {
            double labelHeight = Math.Min(Math.Min(longest, MaxRotatedChars) * CharWidth * 0.6, chart.Height * 0.3);
            frame = new ChartFrame(chart.Width, chart.Height, chart.Title, string.Empty, chart.YLabel, yScale, names, xTickSpace: 16 + labelHeight);
        }

        var svg = new SvgBuilder(chart.Width, chart.Height, chart.Title);
        frame.DrawTitle(svg, chart.Title);
        frame.DrawYAxis(svg, chart.YLabel);
        svg.Open("<g class=\"x-axis\">");
        for (int c = 0; c < categories.Length; c++)
        {
            double x = frame.Left + ((c + 0.5) * slot), y = frame.Bottom + (slant ? 14 : 18);
            string label = categories[c];
            if (!slant)
            {
                svg.Text(x, y, label, " class=\"tick\" text-anchor=\"middle\" fill=\"#555555\"");
                continue;
            }
            if (label.Length > MaxRotatedChars)
            {
                label = string.Concat(label.AsSpan(0, MaxRotatedChars - 1), "…");
            }
            svg.Text(x, y, label, $" class=\"tick\" text-anchor=\"end\" fill=\"#555555\" transform=\"rotate(-35 {SvgBuilder.Num(x)} {SvgBuilder.Num(y)})\"");
        }
        svg.Close("g");
        frame.DrawAxisLines(svg);

        double barWidth = slot * 0.8 / series.Count, zero = frame.MapY(0);
        double BarLeft(int c, int s) => frame.Left + (c * slot) + (slot * 0.1) + (s * barWidth);
        svg.Open("<g class=\"bars\">");
        for (int s = 0; s < series.Count; s++)
        {
            BarSeries bars = series[s];
            svg.Open($"<g class=\"bar-series\" data-series=\"{Markup.Escape(names[s])}\" fill=\"{Palette.Color(s)}\">");
            for (int c = 0; c < categories.Length; c++)
            {
                double top = frame.MapY(bars.Values[c]);
                svg.Open($"<rect class=\"bar\" x=\"{SvgBuilder.Num(BarLeft(c, s) + (barWidth * 0.05))}\" y=\"{SvgBuilder.Num(Math.Min(top, zero))}\" width=\"{SvgBuilder.Num(barWidth * 0.9)}\" height=\"{SvgBuilder.Num(Math.Abs(zero - top))}\">");
                svg.Add($"<title>{Markup.Escape(Tooltip(bars, names[s], categories[c], c))}</title>");
                svg.Close("rect");
            }
            svg.Close("g");
        }
        svg.Close("g");
        svg.Line(frame.Left, zero, frame.Right, zero, "class=\"baseline\" stroke=\"#666666\"");

        svg.Open("<g class=\"error-bars\" stroke=\"#222222\" stroke-width=\"1.2\">");
        double cap = Math.Min(barWidth * 0.25, 6);
        for (int s = 0; s < series.Count; s++)
        {
            if (series[s] is { ErrorLow: { } low, ErrorHigh: { } high })
            {
                for (int c = 0; c < categories.Length; c++)
                {
                    double x = BarLeft(c, s) + (barWidth / 2), yLow = frame.MapY(low[c]), yHigh = frame.MapY(high[c]);
                    svg.Line(x, yLow, x, yHigh, string.Empty);
                    svg.Line(x - cap, yLow, x + cap, yLow, string.Empty);
                    svg.Line(x - cap, yHigh, x + cap, yHigh, string.Empty);
                }
            }
        }
        svg.Close("g");

        frame.DrawLegend(svg, names, static (svg, i, x, y) =>
            svg.Add($"<rect x=\"{SvgBuilder.Num(x + 3)}\" y=\"{SvgBuilder.Num(y - 7)}\" width=\"14\" height=\"14\" fill=\"{Palette.Color(i)}\"/>"));
        return svg.Finish();
    }

    private static string Tooltip(BarSeries bars, string name, string category, int c)
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{name} · {category}: {bars.Values[c]:G6}");
        return bars is { ErrorLow: { } low, ErrorHigh: { } high }
            ? text + string.Create(CultureInfo.InvariantCulture, $" [{low[c]:G6}, {high[c]:G6}]")
            : text;
    }

    private static void Validate(BarChart chart)
    {
        ChartChecks.Size(chart.Width, chart.Height);
        ChartChecks.NotEmpty(chart.Categories, "categories");
        ChartChecks.NotEmpty(chart.Series, "series");
        int count = chart.Categories.Count;
        for (int i = 0; i < chart.Series.Count; i++)
        {
            BarSeries s = chart.Series[i] ?? throw new ArgumentException($"Series {i} is null.", nameof(chart));
            string who = ChartChecks.Describe(s.Name, i);
            ChartChecks.Values(who, "Values", s.Values);
            ChartChecks.SameLength(who, "Values", s.Values.Count, "Categories", count);
            ChartChecks.Interval(who, "ErrorLow", s.ErrorLow, "ErrorHigh", s.ErrorHigh, "Categories", count);
        }
    }
}
