using System.Globalization;
using System.Text;

namespace Cobalt.Reporting;

/// <summary>Accumulates an indented SVG document; numbers are written in the invariant culture with two decimals at most.</summary>
internal sealed class SvgBuilder
{
    private readonly StringBuilder _sb = new();
    private int _depth;

    /// <summary>Opens the root element, with a document title and a white background.</summary>
    public SvgBuilder(int width, int height, string title)
    {
        Open(FormattableString.Invariant(
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"));
        Add($"<title>{Markup.Escape(title)}</title>");
        Add(FormattableString.Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"));
    }

    /// <summary>Appends one element on its own line.</summary>
    public void Add(string element) => _sb.Append(' ', 2 * _depth).Append(element).Append('\n');

    /// <summary>Appends an opening tag and indents what follows.</summary>
    public void Open(string tag)
    {
        Add(tag);
        _depth++;
    }

    /// <summary>Closes the innermost open element.</summary>
    public void Close(string name)
    {
        _depth--;
        Add($"</{name}>");
    }

    /// <summary>Appends a <c>&lt;text&gt;</c> element with escaped content.</summary>
    public void Text(double x, double y, string text, string attributes = "") =>
        Add($"<text x=\"{Num(x)}\" y=\"{Num(y)}\"{attributes}>{Markup.Escape(text)}</text>");

    /// <summary>Appends a <c>&lt;line&gt;</c> element.</summary>
    public void Line(double x1, double y1, double x2, double y2, string attributes) =>
        Add($"<line x1=\"{Num(x1)}\" y1=\"{Num(y1)}\" x2=\"{Num(x2)}\" y2=\"{Num(y2)}\"{(attributes.Length > 0 ? " " : "")}{attributes}/>");

    /// <summary>Closes the root element and returns the document.</summary>
    public string Finish()
    {
        Close("svg");
        return _sb.ToString();
    }

    /// <summary>Formats a coordinate: invariant, at most two decimals, never <c>-0</c>.</summary>
    public static string Num(double value)
    {
        string text = value.ToString("0.##", CultureInfo.InvariantCulture);
        return text == "-0" ? "0" : text;
    }

    /// <summary>Formats a point list for <c>points="…"</c>.</summary>
    public static string Points(IEnumerable<(double X, double Y)> points) =>
        string.Join(' ', points.Select(p => Num(p.X) + "," + Num(p.Y)));
}
