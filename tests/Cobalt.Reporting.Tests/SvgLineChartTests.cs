using System.Xml.Linq;

namespace Cobalt.Reporting.Tests;

public class SvgLineChartTests
{
    private static LineSeries Series(string name, int n, Func<int, double> y, double band = 0) =>
        new(name,
            [.. Enumerable.Range(0, n).Select(i => (double)i)],
            [.. Enumerable.Range(0, n).Select(y)],
            band > 0 ? [.. Enumerable.Range(0, n).Select(i => y(i) - band)] : null,
            band > 0 ? [.. Enumerable.Range(0, n).Select(i => y(i) + band)] : null);

    private static LineChart Chart(params LineSeries[] series) => new("Cumulative reward", "Round", "Reward", series);

    [Fact]
    public void Renders_well_formed_svg_with_one_line_and_legend_entry_per_series()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(
            Series("ucb", 50, i => i * 2.0),
            Series("thompson", 50, i => i * 1.5),
            Series("random", 50, i => i * 0.5))));

        string[] names = ["ucb", "thompson", "random"];
        doc.WithClass("line").Select(l => (string?)l.Attribute("data-series")).Should().Equal(names);
        doc.WithClass("legend-entry").Select(e => e.Value).Should().Equal(names);
        doc.WithClass("line").Select(l => (string?)l.Attribute("stroke")).Should().OnlyHaveUniqueItems();
        doc.WithClass("title").Single().Value.Should().Be("Cumulative reward");
        doc.WithClass("axis-label").Select(e => e.Value).Should().BeEquivalentTo("Round", "Reward");
        doc.WithClass("grid").Should().NotBeEmpty();
        doc.WithClass("band").Should().BeEmpty();
    }

    [Fact]
    public void Bands_are_drawn_behind_the_lines_for_series_that_have_them()
    {
        string svg = SvgLineChart.Render(Chart(Series("ucb", 20, i => i, band: 1), Series("greedy", 20, i => i / 2.0)));
        XDocument doc = SvgAssert.Parse(svg);

        XElement band = doc.WithClass("band").Should().ContainSingle().Subject;
        band.Attribute("data-series")!.Value.Should().Be("ucb");
        band.Points().Should().HaveCount(40, "the upper edge then the lower edge");
        band.Attribute("fill")!.Value.Should().Be(doc.WithClass("line")[0].Attribute("stroke")!.Value);
        double.Parse(band.Attribute("fill-opacity")!.Value, System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThan(0.5);
        svg.IndexOf("class=\"band\"", StringComparison.Ordinal).Should().BeLessThan(svg.IndexOf("class=\"line\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Long_series_are_thinned_keeping_first_and_last_points()
    {
        LineSeries longSeries = Series("long", 10_000, i => Math.Sin(i / 300.0) * 100, band: 5);
        var ends = new LineSeries("ends", [longSeries.X[0], longSeries.X[^1]], [longSeries.Y[0], longSeries.Y[^1]]);
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(longSeries, ends)));

        (double X, double Y)[] drawn = doc.WithClass("line")[0].Points();
        (double X, double Y)[] expectedEnds = doc.WithClass("line")[1].Points();
        drawn.Should().HaveCount(500);
        drawn[0].Should().Be(expectedEnds[0]);
        drawn[^1].Should().Be(expectedEnds[1]);
        drawn.Select(p => p.X).Should().BeInAscendingOrder();
        doc.WithClass("band").Single().Points().Should().HaveCount(1000);
    }

    [Fact]
    public void Thinning_respects_the_configured_cap_and_keeps_a_spike()
    {
        LineSeries spiky = Series("spiky", 5_000, i => i == 2_345 ? 100 : 0);
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(spiky) with { MaxPointsPerSeries = 50 }));

        (double X, double Y)[] drawn = doc.WithClass("line").Single().Points();
        drawn.Should().HaveCount(50);
        double top = YPixelOf(doc, 100);
        drawn.Min(p => p.Y).Should().BeApproximately(top, 0.011, "the one high point must survive thinning");
    }

    [Fact]
    public void Short_series_are_drawn_point_for_point()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(Series("short", 500, i => i))));
        doc.WithClass("line").Single().Points().Should().HaveCount(500);
    }

    [Theory]
    [InlineData(0, 1234)]
    [InlineData(0, 1)]
    [InlineData(0, 0.05)]
    [InlineData(-3.7, 12.2)]
    [InlineData(0, 10_000)]
    [InlineData(0.00012, 0.00049)]
    [InlineData(-250_000, 1_800_000)]
    [InlineData(1e9, 7.5e9)]
    [InlineData(999.5, 1000.5)]
    public void Ticks_are_nice_and_cover_the_data(double min, double max)
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(new LineSeries("s", [min, max], [min, max]))));
        doc.Ticks("x-axis").ShouldBeNice(min, max);
        doc.Ticks("y-axis").ShouldBeNice(min, max);
    }

    [Theory]
    [InlineData(-2, 4800)]
    [InlineData(0, 1234)]
    [InlineData(0.9, 2.1)]
    [InlineData(-1e-3, 1e-3)]
    public void Axes_hold_the_data_with_little_waste(double min, double max)
    {
        LineSeries series = new("s", [min, max, (min + max) / 2], [max, min, min], [min, min, min], [max, max, max]);
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(series)));
        (double left, double top, double right, double bottom) = doc.PlotArea();

        (double X, double Y)[] drawn = [.. doc.WithClass("line").Single().Points(), .. doc.WithClass("band").Single().Points()];
        drawn.Should().OnlyContain(p => p.X >= left - 0.01 && p.X <= right + 0.01 && p.Y >= top - 0.01 && p.Y <= bottom + 0.01);
        (drawn.Max(p => p.Y) - drawn.Min(p => p.Y)).Should().BeGreaterThan(0.85 * (bottom - top), "the data should fill most of the height");
        (drawn.Max(p => p.X) - drawn.Min(p => p.X)).Should().BeGreaterThan(0.85 * (right - left), "the data should fill most of the width");
    }

    [Fact]
    public void An_axis_starting_at_zero_starts_exactly_at_its_zero_tick()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(new LineSeries("s", [0, 10], [0, 1234]))));
        YPixelOf(doc, 0).Should().BeApproximately(doc.PlotArea().Bottom, 0.011);
    }

    [Fact]
    public void Ticks_for_0_to_1234_step_by_200_250_or_500_with_readable_labels()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(new LineSeries("s", [0, 10_000], [0, 1234]))));
        double step = doc.Ticks("y-axis").ShouldBeNice(0, 1234);
        new[] { 200.0, 250.0, 500.0 }.Should().Contain(step);

        string[] xLabels = [.. doc.WithClass("x-axis").Single().Elements(SvgAssert.Ns + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => t.Value)];
        xLabels.Should().Equal("0", "2,000", "4,000", "6,000", "8,000", "10,000");
    }

    [Fact]
    public void Large_and_small_tick_labels_stay_short()
    {
        XDocument big = SvgAssert.Parse(SvgLineChart.Render(Chart(new LineSeries("s", [0, 1], [0, 3_000_000]))));
        TickLabels(big, "y-axis").Should().Equal("0", "0.5M", "1M", "1.5M", "2M", "2.5M", "3M");

        XDocument small = SvgAssert.Parse(SvgLineChart.Render(Chart(new LineSeries("s", [0, 1], [0, 0.05]))));
        TickLabels(small, "y-axis").Should().Contain(["0", "0.01", "0.05"]);
    }

    [Fact]
    public void Constant_series_renders_as_a_flat_line_inside_the_plot()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(Series("flat", 100, _ => 5))));
        (double X, double Y)[] drawn = doc.WithClass("line").Single().Points();
        drawn.Select(p => p.Y).Distinct().Should().ContainSingle();
        doc.Ticks("y-axis").ShouldBeNice(5, 5);

        XDocument zeros = SvgAssert.Parse(SvgLineChart.Render(Chart(Series("zeros", 10, _ => 0))));
        zeros.Ticks("y-axis").ShouldBeNice(0, 0);
    }

    [Fact]
    public void A_single_point_renders_with_a_marker()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(new LineSeries("one", [3], [7]))));
        doc.WithClass("line").Single().Points().Should().ContainSingle();
        doc.WithClass("marker").Should().ContainSingle();
        doc.WithClass("legend-entry").Should().ContainSingle();
    }

    [Fact]
    public void Text_is_escaped()
    {
        const string Title = "Reward <ucb> & \"ts\" 'eps'";
        const string Name = "a<b & c>\"d\"";
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(new LineChart(Title, "x & y", "<y>", [new LineSeries(Name, [0, 1], [0, 1])])));
        doc.Root!.Element(SvgAssert.Ns + "title")!.Value.Should().Be(Title);
        doc.WithClass("title").Single().Value.Should().Be(Title);
        doc.WithClass("legend-entry").Single().Value.Should().Be(Name);
        doc.WithClass("line").Single().Attribute("data-series")!.Value.Should().Be(Name);
        doc.WithClass("axis-label").Select(e => e.Value).Should().BeEquivalentTo("x & y", "<y>");
    }

    [Fact]
    public void Many_series_cycle_colours_and_vary_dashes()
    {
        LineSeries[] series = [.. Enumerable.Range(0, 10).Select(i => Series($"s{i}", 5, j => i + j))];
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(Chart(series)));

        XElement[] lines = doc.WithClass("line");
        lines.Should().HaveCount(10);
        doc.WithClass("legend-entry").Should().HaveCount(10);
        lines[8].Attribute("stroke")!.Value.Should().Be(lines[0].Attribute("stroke")!.Value);
        lines[0].Attribute("stroke-dasharray").Should().BeNull();
        lines[8].Attribute("stroke-dasharray").Should().NotBeNull();
        lines.Select(l => (l.Attribute("stroke")!.Value, (string?)l.Attribute("stroke-dasharray"))).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Output_is_deterministic_and_culture_independent()
    {
        LineChart chart = Chart(Series("ucb", 2_000, i => Math.Log(i + 1) * 1234.5, band: 12.25), Series("ts", 30, i => -i * 0.001));
        string first = SvgLineChart.Render(chart);
        SvgLineChart.Render(chart).Should().Be(first);
        using (CommaCulture.Use())
        {
            SvgLineChart.Render(chart).Should().Be(first);
        }
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_naming_the_series()
    {
        Render(Chart(new LineSeries("ucb", [1, 2, 3], [1, 2])))
            .WithMessage("Series 'ucb': X has 3 values but Y has 2.*").And.ParamName.Should().Be("chart");
        Render(Chart(new LineSeries("ok", [1], [1]), new LineSeries("ts", [1, 2], [1, 2], [0, 1], [2])))
            .WithMessage("Series 'ts': Upper has 1 values but X has 2.*");
    }

    [Fact]
    public void Non_finite_values_are_rejected_naming_the_series()
    {
        Render(Chart(new LineSeries("ts", [1, 2], [1, double.NaN]))).WithMessage("Series 'ts': Y[1] is NaN*finite*");
        Render(Chart(new LineSeries("ucb", [double.PositiveInfinity], [1]))).WithMessage("Series 'ucb': X[0] is*finite*");
        Render(Chart(new LineSeries("band", [0], [1], [double.NaN], [2]))).WithMessage("Series 'band': Lower[0] is NaN*");
    }

    [Fact]
    public void Other_bad_input_is_rejected_with_a_clear_message()
    {
        Render(Chart()).WithMessage("The chart has no series.*");
        Render(Chart(new LineSeries("empty", [], []))).WithMessage("Series 'empty' has no points.*");
        Render(Chart(new LineSeries("half", [0, 1], [0, 1], Lower: [0, 1]))).WithMessage("Series 'half': Lower is given without Upper*");
        Render(Chart(new LineSeries("flipped", [0, 1], [0, 1], [0, 2], [1, 1]))).WithMessage("Series 'flipped': Lower[1] = 2 is above Upper[1] = 1.*");
        Render(Chart(new LineSeries("", [0], [0], [0], null))).WithMessage("Series 0: Lower is given without Upper*");
        Render(Chart(new LineSeries("s", [0], [0])) with { Width = 10 }).WithMessage("*at least 240x180*");
        Render(Chart(new LineSeries("s", [0], [0])) with { MaxPointsPerSeries = 1 }).WithMessage("MaxPointsPerSeries*");
    }

    private static FluentAssertions.Specialized.ExceptionAssertions<ArgumentException> Render(LineChart chart)
    {
        Action render = () => SvgLineChart.Render(chart);
        return render.Should().Throw<ArgumentException>();
    }

    private static string[] TickLabels(XDocument doc, string axis) =>
        [.. doc.WithClass(axis).Single().Elements(SvgAssert.Ns + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => t.Value)];

    private static double YPixelOf(XDocument doc, double value) =>
        doc.WithClass("y-axis").Single().Elements(SvgAssert.Ns + "text")
            .Where(t => (string?)t.Attribute("class") == "tick" && SvgAssert.Label(t.Value) == value)
            .Select(t => t.Attr("y") - 4)
            .Single();
}
