using System.Text;

namespace Cobalt.Reporting;

/// <summary>Escaping shared by the HTML table and the SVG charts.</summary>
internal static class Markup
{
    /// <summary>
    /// Escapes text for XML or HTML content and quoted attributes. Characters XML cannot carry
    /// (control characters, unpaired surrogates) become U+FFFD so the document stays well formed.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                case '\t' or '\n' or '\r': sb.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF': sb.Append('\uFFFD'); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else
                    {
                        sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
                    }
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Escapes text and turns line breaks into <c>&lt;br&gt;</c>, for table cells.</summary>
    public static string EscapeCell(string? text) =>
        Escape(text).Replace("\r\n", "<br>", StringComparison.Ordinal)
            .Replace("\n", "<br>", StringComparison.Ordinal)
            .Replace("\r", "<br>", StringComparison.Ordinal);
}
