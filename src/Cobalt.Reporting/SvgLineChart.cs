namespace Cobalt.Reporting;

/// <summary>Renders a <see cref="LineChart"/> as a standalone SVG document.</summary>
public static class SvgLineChart
{
    /// <summary>
    /// Renders the chart: title, axes with 1-2-5 ticks, grid, a band behind each line that has one, a legend and the caption.
    /// Each colour group (<see cref="LineSeries.ColorGroup"/>) takes the next <see cref="Palette"/> colour; a series named
    /// <c>2-X</c> beside a series named <c>X</c> shares its colour and is dashed, unless the series say otherwise.
    /// Series longer than <see cref="LineChart.MaxPointsPerSeries"/> are thinned, keeping their first and last points.
    /// The same chart always gives the same text.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The chart has no series, a series has no points, lengths of X, Y, Lower and Upper differ, a value is not finite,
    /// a band is half given or its lower edge lies above its upper edge, or the size is too small; the message names the series.
    /// </exception>
    public static string Render(LineChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        Validate(chart);
        IReadOnlyList<LineSeries> series = chart.Series;

        IEnumerable<double> ys = series.SelectMany(s => s.Y.Concat(s.Lower ?? []).Concat(s.Upper ?? []));
        var xScale = NiceScale.Create(series.Min(s => s.X.Min()), series.Max(s => s.X.Max()));
        var yScale = NiceScale.Create(ys.Min(), ys.Max());
        string[] names = [.. series.Select(s => s.Name ?? string.Empty)];
        var frame = new ChartFrame(chart.Width, chart.Height, chart.Title, chart.XLabel, chart.YLabel, yScale, names, xTickSpace: 24, chart.Caption);
        var styles = Styles(series);
        double X(double v) => xScale.Map(v, frame.Left, frame.Right);

        var svg = new SvgBuilder(chart.Width, chart.Height, chart.Title);
        frame.DrawTitle(svg, chart.Title);
        frame.DrawYAxis(svg, chart.YLabel);
        svg.Open("<g class=\"x-axis\">");
        foreach (double tick in xScale.Ticks)
        {
            svg.Line(X(tick), frame.Top, X(tick), frame.Bottom, "class=\"grid\" stroke=\"#e6e6e6\"");
            svg.Text(X(tick), frame.Bottom + 18, xScale.Label(tick), " class=\"tick\" text-anchor=\"middle\" fill=\"#555555\"");
        }
        frame.DrawXLabel(svg, chart.XLabel);
        svg.Close("g");
        frame.DrawAxisLines(svg);

        int[][] keep = [.. series.Select(s => Thinning.Select(s.X, s.Y, chart.MaxPointsPerSeries))];
        svg.Open("<g class=\"bands\">");
        for (int i = 0; i < series.Count; i++)
        {
            LineSeries s = series[i];
            if (s.Lower is { } lower && s.Upper is { } upper)
            {
                var outline = keep[i].Select(k => (X(s.X[k]), frame.MapY(upper[k])))
                    .Concat(keep[i].Reverse().Select(k => (X(s.X[k]), frame.MapY(lower[k]))));
                svg.Add($"<polygon class=\"band\" data-series=\"{Markup.Escape(names[i])}\" fill=\"{styles[i].Color}\" fill-opacity=\"{(styles[i].Dashed ? "0.12" : "0.18")}\" stroke=\"none\" points=\"{SvgBuilder.Points(outline)}\"/>");
            }
        }
        svg.Close("g");

        svg.Open("<g class=\"lines\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\">");
        for (int i = 0; i < series.Count; i++)
        {
            LineSeries s = series[i];
            var points = keep[i].Select(k => (X(s.X[k]), frame.MapY(s.Y[k]))).ToArray();
            svg.Add($"<polyline class=\"line\" data-series=\"{Markup.Escape(names[i])}\" stroke=\"{styles[i].Color}\"{DashAttribute(styles[i].Dash)} points=\"{SvgBuilder.Points(points)}\"/>");
            if (points.Length == 1)
            {
                // A lone point draws no line; mark it.
                svg.Add($"<circle class=\"marker\" cx=\"{SvgBuilder.Num(points[0].Item1)}\" cy=\"{SvgBuilder.Num(points[0].Item2)}\" r=\"3.5\" fill=\"{styles[i].Color}\" stroke=\"none\"/>");
            }
        }
        svg.Close("g");

        frame.DrawLegend(svg, names, (svg, i, x, y) =>
            svg.Line(x, y, x + 20, y, $"stroke=\"{styles[i].Color}\" stroke-width=\"2\"{DashAttribute(styles[i].Dash)}"));
        frame.DrawCaption(svg, chart.Caption);
        return svg.Finish();
    }

    private static string DashAttribute(string dash) =>
        dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : string.Empty;

    /// <summary>Colour and dash pattern of each series: colour groups in order of first appearance, <c>2-X</c> paired with <c>X</c>.</summary>
    internal static (string Color, string Dash, bool Dashed)[] Styles(IReadOnlyList<LineSeries> series)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < series.Count; i++)
        {
            first.TryAdd(series[i].Name ?? string.Empty, i);
        }
        string Key(int i) => series[i].ColorGroup is { } group ? "group:" + group : "series:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var styles = new (string, string, bool)[series.Count];
        for (int i = 0; i < series.Count; i++)
        {
            string name = series[i].Name ?? string.Empty;
            int partner = -1;
            bool twin = name.StartsWith("2-", StringComparison.Ordinal) && first.TryGetValue(name[2..], out partner) && partner != i;
            string key = series[i].ColorGroup is null && twin ? Key(partner) : Key(i);
            if (!groups.TryGetValue(key, out int index))
            {
                index = groups.Count;
                groups.Add(key, index);
            }
            bool dashed = series[i].Dashed ?? twin;
            styles[i] = (Palette.Color(index), Palette.Dash(index, dashed), dashed);
        }
        return styles;
    }

    private static void Validate(LineChart chart)
    {
        ChartChecks.Size(chart.Width, chart.Height);
        if (chart.MaxPointsPerSeries < 2)
        {
            throw new ArgumentException($"MaxPointsPerSeries must be at least 2 but is {chart.MaxPointsPerSeries}.", nameof(chart));
        }
        ChartChecks.NotEmpty(chart.Series, "series");
        for (int i = 0; i < chart.Series.Count; i++)
        {
            LineSeries s = chart.Series[i] ?? throw new ArgumentException($"Series {i} is null.", nameof(chart));
            string who = ChartChecks.Describe(s.Name, i);
            ChartChecks.Values(who, "X", s.X);
            ChartChecks.Values(who, "Y", s.Y);
            if (s.X.Count == 0)
            {
                throw new ArgumentException($"{who} has no points.", nameof(chart));
            }
            ChartChecks.SameLength(who, "X", s.X.Count, "Y", s.Y.Count);
            ChartChecks.Interval(who, "Lower", s.Lower, "Upper", s.Upper, "X", s.X.Count);
        }
    }
}
