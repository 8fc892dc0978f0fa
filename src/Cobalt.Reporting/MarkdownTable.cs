using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cobalt.Reporting;

/// <summary>
/// A table of text cells rendered as a GitHub-flavoured Markdown table with padded, aligned columns,
/// as an HTML <c>&lt;table&gt;</c>, or as JSON for scripts. Output uses <c>\n</c> line endings and is deterministic.
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

    /// <summary>
    /// Renders the table as a JSON object <c>{"columns": [headers], "rows": [{header: value}]}</c>. Cells of right-aligned
    /// (numeric) columns become numbers where they read as one: <c>1,253.4</c> gives 1253.4, <c>12.5 %</c> gives 12.5,
    /// <c>1.2 ± 0.3</c> gives <c>{"mean": 1.2, "std": 0.3}</c> and <c>n/a</c> gives null; other cells stay strings.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n");
    }

    /// <summary>Writes the object <see cref="ToJson"/> renders to <paramref name="writer"/>.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("columns");
        foreach (var column in _columns)
        {
            writer.WriteStringValue(column.Header);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("rows");
        foreach (var row in _rows)
        {
            writer.WriteStartObject();
            for (int c = 0; c < _columns.Length; c++)
            {
                writer.WritePropertyName(_columns[c].Header);
                if (_columns[c].Alignment == ColumnAlignment.Right)
                {
                    WriteCell(writer, row[c]);
                }
                else
                {
                    writer.WriteStringValue(row[c]);
                }
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteCell(Utf8JsonWriter writer, string cell)
    {
        int plusMinus = cell.IndexOf(" ± ", StringComparison.Ordinal);
        if (plusMinus > 0 && ParseNumber(cell[..plusMinus], out double? mean) && ParseNumber(cell[(plusMinus + 3)..], out double? std))
        {
            writer.WriteStartObject();
            WriteNumber(writer, "mean", mean);
            WriteNumber(writer, "std", std);
            writer.WriteEndObject();
        }
        else if (ParseNumber(cell, out double? value))
        {
            WriteNumber(writer, null, value);
        }
        else
        {
            writer.WriteStringValue(cell);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string? name, double? value)
    {
        if (name is not null)
        {
            writer.WritePropertyName(name);
        }
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    /// <summary>Reads a number as <see cref="Format"/> writes it (thousands separators, an optional trailing %); n/a is null.</summary>
    private static bool ParseNumber(string text, out double? value)
    {
        string trimmed = text.Trim();
        if (trimmed == Format.NotAvailable)
        {
            value = null;
            return true;
        }
        if (trimmed.EndsWith('%'))
        {
            trimmed = trimmed[..^1].TrimEnd();
        }
        if (trimmed.Length > 0 && double.TryParse(trimmed, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double parsed) && double.IsFinite(parsed))
        {
            value = parsed;
            return true;
        }
        value = null;
        return false;
    }

    private static string EscapeMarkdown(string text) =>
        text.Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r\n", "<br>", StringComparison.Ordinal)
            .Replace("\n", "<br>", StringComparison.Ordinal)
            .Replace("\r", "<br>", StringComparison.Ordinal);
}
