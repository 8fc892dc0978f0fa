using System.Xml.Linq;

namespace Cobalt.Reporting.Tests;

public class SvgBarChartTests
{
    private static readonly string[] Categories = ["small", "medium", "large"];

    private static BarChart Chart(params BarSeries[] series) => new("Final reward", "Reward", Categories, series);

    [Fact]
    public void Renders_one_bar_per_category_and_series_and_a_legend()
    {
        XDocument doc = SvgAssert.Parse(SvgBarChart.Render(Chart(
            new BarSeries("ucb", [1, 2, 3]),
            new BarSeries("ts", [1.5, 2.5, 3.5]))));

        doc.WithClass("bar").Should().HaveCount(6);
        doc.WithClass("bar-series").Select(g => (string?)g.Attribute("data-series")).Should().Equal("ucb", "ts");
        doc.WithClass("legend-entry").Select(e => e.Value).Should().Equal("ucb", "ts");
        doc.WithClass("bar-series").Select(g => (string?)g.Attribute("fill")).Should().OnlyHaveUniqueItems();
        doc.WithClass("x-axis").Single().Elements(SvgAssert.Ns + "text").Select(t => t.Value).Should().Equal(Categories);
        doc.WithClass("error-bars").Single().Elements().Should().BeEmpty();
    }

    [Fact]
    public void Bars_grow_from_the_zero_baseline_in_both_directions()
    {
        XDocument doc = SvgAssert.Parse(SvgBarChart.Render(Chart(new BarSeries("delta", [3, -2, 0]))));
        double zero = doc.WithClass("baseline").Single().Attr("y1");
        XElement[] bars = doc.WithClass("bar");

        (bars[0].Attr("y") + bars[0].Attr("height")).Should().BeApproximately(zero, 0.011, "a positive bar ends at the baseline");
        bars[1].Attr("y").Should().BeApproximately(zero, 0.011, "a negative bar starts at the baseline");
        bars[1].Attr("height").Should().BeGreaterThan(0);
        bars[2].Attr("height").Should().Be(0);
        doc.Ticks("y-axis").ShouldBeNice(-2, 3).Should().Be(1);
    }

    [Fact]
    public void Error_bars_are_drawn_where_given_and_included_in_the_axis()
    {
        XDocument doc = SvgAssert.Parse(SvgBarChart.Render(Chart(
            new BarSeries("ucb", [1, 2, 3], [0.5, 1.5, 2.5], [1.5, 2.5, 9.5]),
            new BarSeries("plain", [1, 1, 1]))));

        doc.WithClass("error-bars").Single().Elements(SvgAssert.Ns + "line").Should().HaveCount(3 * 3, "a stem and two caps per bar");
        doc.Ticks("y-axis")[^1].Should().BeGreaterThanOrEqualTo(9.5);
        doc.WithClass("bar")[2].Element(SvgAssert.Ns + "title")!.Value.Should().Be("ucb · large: 3 [2.5, 9.5]");
    }

    [Fact]
    public void All_zero_values_and_long_labels_render()
    {
        var chart = new BarChart("", "", ["a fairly long category label", "another quite long category label"], [new BarSeries("zero", [0, 0])]) { Width = 240, Height = 180 };
        XDocument doc = SvgAssert.Parse(SvgBarChart.Render(chart));
        doc.Ticks("y-axis").ShouldBeNice(0, 1);
        doc.WithClass("x-axis").Single().Elements(SvgAssert.Ns + "text").Should().OnlyContain(t => t.Attribute("transform") != null, "labels that do not fit are slanted");
        doc.WithClass("title").Should().BeEmpty();
    }

    [Fact]
    public void Output_is_deterministic_and_escaped()
    {
        var chart = new BarChart("A & B", "<y>", ["x<1", "x>1"], [new BarSeries("\"q\"", [0.1, -0.2], [0, -0.3], [0.2, -0.1])]);
        string svg = SvgBarChart.Render(chart);
        using (CommaCulture.Use())
        {
            SvgBarChart.Render(chart).Should().Be(svg);
        }
        XDocument doc = SvgAssert.Parse(svg);
        doc.WithClass("title").Single().Value.Should().Be("A & B");
        doc.WithClass("legend-entry").Single().Value.Should().Be("\"q\"");
        doc.WithClass("x-axis").Single().Elements(SvgAssert.Ns + "text").Select(t => t.Value).Should().Equal("x<1", "x>1");
    }

    [Fact]
    public void Bad_input_is_rejected_naming_the_series()
    {
        Render(Chart(new BarSeries("ucb", [1, 2]))).WithMessage("Series 'ucb': Values has 2 values but Categories has 3.*");
        Render(Chart(new BarSeries("ok", [1, 2, 3]), new BarSeries("ts", [1, double.NaN, 3]))).WithMessage("Series 'ts': Values[1] is NaN*");
        Render(Chart(new BarSeries("ci", [1, 2, 3], ErrorHigh: [2, 3, 4]))).WithMessage("Series 'ci': ErrorHigh is given without ErrorLow*");
        Render(Chart(new BarSeries("ci", [1, 2, 3], [0, 3, 2], [2, 2, 4]))).WithMessage("Series 'ci': ErrorLow[1] = 3 is above ErrorHigh[1] = 2.*");
        Render(Chart(new BarSeries("ci", [1, 2, 3], [0, 1], [2, 3]))).WithMessage("Series 'ci': ErrorLow has 2 values but Categories has 3.*");
        Render(Chart()).WithMessage("The chart has no series.*");
        Render(new BarChart("t", "y", [], [new BarSeries("s", [])])).WithMessage("The chart has no categories.*");
    }

    private static FluentAssertions.Specialized.ExceptionAssertions<ArgumentException> Render(BarChart chart)
    {
        Action render = () => SvgBarChart.Render(chart);
        return render.Should().Throw<ArgumentException>();
    }
}
