using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;

namespace Cobalt.Reporting.Tests;

/// <summary>Colours readable on white, one-stage/two-stage pairs, captions and the JSON form of tables (issue 18, item 3).</summary>
public class ChartStyleTests
{
    private static LineSeries Series(string name, double slope, int n = 30) =>
        new(name,
            [.. Enumerable.Range(0, n).Select(i => (double)i)],
            [.. Enumerable.Range(0, n).Select(i => slope * i)],
            [.. Enumerable.Range(0, n).Select(i => (slope * i) - 1)],
            [.. Enumerable.Range(0, n).Select(i => (slope * i) + 1)]);

    /// <summary>WCAG 2.1 relative luminance of #RRGGBB, written out here independently of <see cref="Palette"/>.</summary>
    private static double Luminance(string hex)
    {
        double[] c = [.. new[] { 1, 3, 5 }.Select(i => int.Parse(hex.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0)
            .Select(v => v <= 0.03928 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4))];
        return (0.2126 * c[0]) + (0.7152 * c[1]) + (0.0722 * c[2]);
    }

    private static double ContrastOnWhite(string hex) => (1.0 + 0.05) / (Luminance(hex) + 0.05);

    [Fact]
    public void Every_palette_colour_has_a_contrast_of_at_least_3_against_white()
    {
        Palette.Colors.Should().HaveCountGreaterThanOrEqualTo(6).And.OnlyHaveUniqueItems();
        foreach (var color in Palette.Colors)
        {
            ContrastOnWhite(color).Should().BeGreaterThanOrEqualTo(3.0, "{0} must be readable on white (WCAG 1.4.11)", color);
            Palette.ContrastRatio(color, "#FFFFFF").Should().BeApproximately(ContrastOnWhite(color), 1e-12);
        }
        Palette.ContrastRatio("#000000", "#ffffff").Should().BeApproximately(21, 1e-12);
        ContrastOnWhite("#F0E442").Should().BeLessThan(3, "the old faint yellow fails the same check");
    }

    [Fact]
    public void Every_line_in_a_rendered_chart_uses_a_colour_readable_on_white()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(new LineChart("t", "round", "reward",
            [.. Enumerable.Range(0, 10).Select(i => Series("p" + i.ToString(CultureInfo.InvariantCulture), i))])));

        doc.WithClass("line").Select(l => (string)l.Attribute("stroke")!).Should().OnlyContain(c => ContrastOnWhite(c) >= 3);
    }

    [Fact]
    public void A_two_stage_policy_shares_the_colour_of_its_one_stage_twin_and_is_dashed()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(new LineChart("t", "round", "reward",
            [Series("2-LinUCB", 2), Series("Random", 0.5), Series("LinUCB", 1), Series("2-Greedy", 3)])));

        var lines = doc.WithClass("line").ToDictionary(l => (string)l.Attribute("data-series")!);
        string Stroke(string name) => (string)lines[name].Attribute("stroke")!;
        string? Dash(string name) => (string?)lines[name].Attribute("stroke-dasharray");
        Stroke("2-LinUCB").Should().Be(Stroke("LinUCB"));
        Dash("2-LinUCB").Should().NotBeNullOrEmpty();
        Dash("LinUCB").Should().BeNull("the one-stage policy is solid");
        Stroke("Random").Should().NotBe(Stroke("LinUCB"));
        Stroke("2-Greedy").Should().NotBe(Stroke("LinUCB")).And.NotBe(Stroke("Random"), "a 2-X without an X has its own colour");
        Dash("2-Greedy").Should().BeNull("without a one-stage twin there is nothing to tell it from");
        new[] { "2-LinUCB", "Random", "LinUCB", "2-Greedy" }.Select(Stroke).Distinct().Should().HaveCount(3);

        // The legend shows the same pairing.
        var swatches = doc.WithClass("legend-entry").ToDictionary(e => (string)e.Attribute("data-series")!, e => e.Element(SvgAssert.Ns + "line")!);
        ((string)swatches["2-LinUCB"].Attribute("stroke")!).Should().Be(Stroke("LinUCB"));
        ((string?)swatches["2-LinUCB"].Attribute("stroke-dasharray")).Should().Be(Dash("2-LinUCB"));
        // Both bands take the pair's colour.
        doc.WithClass("band").Where(b => ((string)b.Attribute("data-series")!).EndsWith("LinUCB", StringComparison.Ordinal))
            .Select(b => (string)b.Attribute("fill")!).Should().AllBe(Stroke("LinUCB"));
    }

    [Fact]
    public void Explicit_groups_and_dashes_override_the_naming_rule()
    {
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(new LineChart("t", "round", "reward",
            [Series("a", 1) with { ColorGroup = "g" }, Series("b", 2) with { ColorGroup = "g", Dashed = true }, Series("X", 3), Series("2-X", 4) with { Dashed = false }])));

        var lines = doc.WithClass("line").ToDictionary(l => (string)l.Attribute("data-series")!);
        ((string)lines["a"].Attribute("stroke")!).Should().Be((string)lines["b"].Attribute("stroke")!);
        lines["b"].Attribute("stroke-dasharray").Should().NotBeNull();
        ((string)lines["2-X"].Attribute("stroke")!).Should().Be((string)lines["X"].Attribute("stroke")!);
        lines["2-X"].Attribute("stroke-dasharray").Should().BeNull();
    }

    [Fact]
    public void The_caption_is_drawn_under_the_axis_title_inside_the_image()
    {
        const string caption = "Shaded: ±1 standard deviation over 7 trials.";
        XDocument doc = SvgAssert.Parse(SvgLineChart.Render(new LineChart("t", "round", "reward", [Series("a", 1)]) { Caption = caption }));

        var text = doc.WithClass("caption").Should().ContainSingle().Subject;
        text.Value.Should().Be(caption);
        var xTitle = doc.WithClass("axis-label").Single(e => e.Value == "round");
        text.Attr("y").Should().BeGreaterThan(xTitle.Attr("y") + 8).And.BeLessThanOrEqualTo(440);
        xTitle.Attr("y").Should().BeGreaterThan(doc.PlotArea().Bottom + 12, "the x ticks still fit between the plot and the axis title");
        doc.WithClass("axis-label").Select(e => e.Value).Should().BeEquivalentTo("round", "reward");
    }

    [Fact]
    public void Markdown_tables_become_json_with_numbers_for_numeric_columns()
    {
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Reward", ColumnAlignment.Right), new TableColumn("Share", ColumnAlignment.Right), new TableColumn("Note"))
            .AddRow("2", Format.MeanStd(1253.4, 12.1, 1), "12.5 %", "ok")
            .AddRow("b | c", Format.MeanStd(double.NaN, 1, 1), Format.MeanStd(-0.25, double.NaN, 2), "1.5");

        using var doc = JsonDocument.Parse(table.ToJson());

        doc.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).Should().Equal("Policy", "Reward", "Share", "Note");
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        rows[0].GetProperty("Policy").GetString().Should().Be("2", "label columns stay text");
        rows[0].GetProperty("Reward").GetProperty("mean").GetDouble().Should().Be(1253.4);
        rows[0].GetProperty("Reward").GetProperty("std").GetDouble().Should().Be(12.1);
        rows[0].GetProperty("Share").GetDouble().Should().Be(12.5);
        rows[1].GetProperty("Policy").GetString().Should().Be("b | c");
        rows[1].GetProperty("Reward").ValueKind.Should().Be(JsonValueKind.Null, "n/a is null");
        rows[1].GetProperty("Share").GetProperty("mean").GetDouble().Should().Be(-0.25);
        rows[1].GetProperty("Share").GetProperty("std").ValueKind.Should().Be(JsonValueKind.Null);
        rows[1].GetProperty("Note").GetString().Should().Be("1.5");
    }
}
