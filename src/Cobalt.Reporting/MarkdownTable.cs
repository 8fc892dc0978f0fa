using System.Text;

namespace Cobalt.Reporting;

/// <summary>
/// A table of text cells rendered as a GitHub-flavoured Markdown table with padded, aligned columns,
/// or as an HTML <c>&lt;table&gt;</c>. Output uses <c>\n</c> line endings and is deterministic.
/// </summary>
public sealed class MarkdownTable
{
    private readonly TableColumn[] _columns;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table with the given columns.</summary>
    /// <exception cref="ArgumentException">No columns are given, or one is null.</exception>
    public MarkdownTable(params TableColumn[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0)
        {
            throw new ArgumentException("A table needs at least one column.", nameof(columns));
        }
        if (Array.IndexOf(columns, null) is int i and >= 0)
        {
            throw new ArgumentException($"Column {i} is null.", nameof(columns));
        }
        _columns = (TableColumn[])columns.Clone();
    }

    /// <summary>Creates a table of left-aligned columns with the given headers.</summary>
    /// <exception cref="ArgumentException">No headers are given.</exception>
    public MarkdownTable(params string[] headers)
        : this(Array.ConvertAll(headers ?? throw new ArgumentNullException(nameof(headers)), h => new TableColumn(h ?? string.Empty)))
    {
    }

    /// <summary>The table's columns.</summary>
    public IReadOnlyList<TableColumn> Columns => _columns;

    /// <summary>The rows added so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    /// <summary>Appends a row; it must have one cell per column. A null cell is shown empty.</summary>
    /// <returns>This table, for chaining.</returns>
    /// <exception cref="ArgumentException">The cell count differs from the column count.</exception>
    public MarkdownTable AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _columns.Length)
        {
            throw new ArgumentException($"Expected {_columns.Length} cells (one per column) but got {cells.Length}.", nameof(cells));
        }
        _rows.Add(Array.ConvertAll(cells, c => c ?? string.Empty));
        return this;
    }

    /// <summary>
    /// Renders the table as Markdown: columns padded to a common width, alignment markers
    /// (<c>:---</c>, <c>---:</c>, <c>:---:</c>) in the separator row, <c>|</c> escaped and line breaks as <c>&lt;br&gt;</c>.
    /// </summary>
    public string ToMarkdown()
    {
        string[] headers = Array.ConvertAll(_columns, c => EscapeMarkdown(c.Header));
        List<string[]> rows = _rows.ConvertAll(r => Array.ConvertAll(r, EscapeMarkdown));
        int[] widths = new int[_columns.Length];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = Math.Max(3, headers[c].Length);
            foreach (string[] row in rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        var sb = new StringBuilder();
        AppendMarkdownRow(sb, headers, widths);
        AppendMarkdownRow(sb, Array.ConvertAll(_columns, c => string.Empty), widths, separator: true);
        foreach (string[] row in rows)
        {
            AppendMarkdownRow(sb, row, widths);
        }
        return sb.ToString();
    }

    /// <summary>Renders the table as an HTML <c>&lt;table&gt;</c> with escaped text and per-column <c>text-align</c>.</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder("<table>\n  <thead>\n");
        AppendHtmlRow(sb, Array.ConvertAll(_columns, c => c.Header), "th");
        sb.Append("  </thead>\n  <tbody>\n");
        foreach (string[] row in _rows)
        {
            AppendHtmlRow(sb, row, "td");
        }
        return sb.Append("  </tbody>\n</table>\n").ToString();
    }

    private void AppendMarkdownRow(StringBuilder sb, string[] cells, int[] widths, bool separator = false)
    {
        sb.Append('|');
        for (int c = 0; c < cells.Length; c++)
        {
            int w = widths[c];
            string cell = (separator, _columns[c].Alignment) switch
            {
                (true, ColumnAlignment.Right) => new string('-', w - 1) + ":",
                (true, ColumnAlignment.Center) => ":" + new string('-', w - 2) + ":",
                (true, _) => ":" + new string('-', w - 1),
                (false, ColumnAlignment.Right) => cells[c].PadLeft(w),
                (false, ColumnAlignment.Center) => cells[c].PadLeft((w + cells[c].Length) / 2).PadRight(w),
                (false, _) => cells[c].PadRight(w),
            };
            sb.Append(' ').Append(cell).Append(" |");
        }
        sb.Append('\n');
    }

    private void AppendHtmlRow(StringBuilder sb, string[] cells, string tag)
    {
        sb.Append("    <tr>");
        for (int c = 0; c < cells.Length; c++)
        {
            string align = _columns[c].Alignment switch
            {
                ColumnAlignment.Right => "right",
                ColumnAlignment.Center => "center",
                _ => "left",
            };
            sb.Append('<').Append(tag).Append(" style=\"text-align: ").Append(align).Append("\">")
                .Append(Markup.EscapeCell(cells[c]))
                .Append("</").Append(tag).Append('>');
        }
        sb.Append("</tr>\n");
    }

    private static string EscapeMarkdown(string text) =>
        text.Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r\n", "<br>", StringComparison.Ordinal)
            .Replace("\n", "<br>", StringComparison.Ordinal)
            .Replace("\r", "<br>", StringComparison.Ordinal);
}
