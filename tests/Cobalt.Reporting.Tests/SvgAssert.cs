using System.Globalization;
using System.Xml.Linq;

namespace Cobalt.Reporting.Tests;

/// <summary>Reads back the parts of a rendered chart that tests look at.</summary>
internal static class SvgAssert
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    /// <summary>Parses the document, failing the test if it is not well-formed XML in the SVG namespace.</summary>
    public static XDocument Parse(string svg)
    {
        svg.Should().NotContain("NaN").And.NotContain("Infinity");
        XDocument doc = XDocument.Parse(svg);
        doc.Root!.Name.Should().Be(Ns + "svg");
        return doc;
    }

    public static XElement[] WithClass(this XDocument doc, string cssClass) =>
        [.. doc.Descendants().Where(e => (string?)e.Attribute("class") == cssClass)];

    public static (double X, double Y)[] Points(this XElement element) =>
        [.. ((string)element.Attribute("points")!).Split(' ').Select(p =>
        {
            string[] xy = p.Split(',');
            return (Num(xy[0]), Num(xy[1]));
        })];

    /// <summary>The plot area (left, top, right, bottom), read from the axis lines.</summary>
    public static (double Left, double Top, double Right, double Bottom) PlotArea(this XDocument doc)
    {
        XElement[] lines = [.. doc.WithClass("axis-lines").Single().Elements(Ns + "line")];
        return (lines[0].Attr("x1"), lines[0].Attr("y1"), lines[1].Attr("x2"), lines[1].Attr("y2"));
    }

    public static double Attr(this XElement element, string name) => Num((string)element.Attribute(name)!);

    /// <summary>The tick labels of "x-axis" or "y-axis", parsed back to numbers (1,000 and 200k included).</summary>
    public static double[] Ticks(this XDocument doc, string axis) =>
        [.. doc.WithClass(axis).Single().Elements(Ns + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => Label(t.Value))];

    public static double Label(string label)
    {
        double unit = label[^1] switch { 'k' => 1e3, 'M' => 1e6, 'B' => 1e9, 'T' => 1e12, _ => 1 };
        string number = unit == 1 ? label : label[..^1];
        return double.Parse(number, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture) * unit;
    }

    public static double Num(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Asserts the ticks are evenly spaced multiples of a 1-2-5 step that span [min, max] to within a step.</summary>
    public static double ShouldBeNice(this double[] ticks, double min, double max)
    {
        ticks.Length.Should().BeInRange(2, 8);
        double step = ticks[1] - ticks[0];
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
        new[] { 1.0, 2.0, 5.0 }.Should().Contain(m => Math.Abs((step / magnitude) - m) < 1e-6, "step {0} should be 1, 2 or 5 times a power of ten", step);
        for (int i = 0; i < ticks.Length; i++)
        {
            (ticks[i] / step).Should().BeApproximately(Math.Round(ticks[i] / step), 1e-6, "tick {0} should be a multiple of {1}", ticks[i], step);
            if (i > 0)
            {
                (ticks[i] - ticks[i - 1]).Should().BeApproximately(step, step * 1e-6);
            }
        }
        (ticks[0] - step).Should().BeLessThan(min, "no tick may be missing below the first");
        (ticks[^1] + step).Should().BeGreaterThan(max, "no tick may be missing above the last");
        return step;
    }
}
