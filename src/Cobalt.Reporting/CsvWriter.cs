using System.Globalization;
using System.Text;

namespace Cobalt.Reporting;

/// <summary>
/// Writes RFC 4180 CSV: a header row, then rows with the same number of cells, CRLF line endings.
/// A cell is quoted when it contains a comma, a double quote, CR or LF; inner quotes are doubled.
/// The writer does not own the <see cref="TextWriter"/>: flushing and disposing it is the caller's job.
/// </summary>
public sealed class CsvWriter
{
    private readonly TextWriter _writer;
    private readonly int _columnCount;

    /// <summary>Creates a writer and writes the header row.</summary>
    /// <exception cref="ArgumentException">The header is empty.</exception>
    public CsvWriter(TextWriter writer, params string[] header)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(header);
        if (header.Length == 0)
        {
            throw new ArgumentException("A CSV file needs at least one column.", nameof(header));
        }
        _writer = writer;
        _columnCount = header.Length;
        WriteLine(header);
    }

    /// <summary>Writes a row of cells; a null cell is written empty.</summary>
    /// <exception cref="ArgumentException">The cell count differs from the header's.</exception>
    public void WriteRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _columnCount)
        {
            throw new ArgumentException($"Expected {_columnCount} cells (one per header column) but got {cells.Length}.", nameof(cells));
        }
        WriteLine(cells);
    }

    /// <summary>Returns the CSV text of a header and rows.</summary>
    /// <exception cref="ArgumentException">The header is empty, or a row's cell count differs from the header's.</exception>
    public static string ToCsv(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        var csv = new CsvWriter(text, [.. header]);
        foreach (IReadOnlyList<string> row in rows)
        {
            csv.WriteRow([.. row ?? throw new ArgumentException("A row is null.", nameof(rows))]);
        }
        return text.ToString();
    }

    /// <summary>Quotes a cell if RFC 4180 requires it (comma, double quote, CR or LF), doubling inner quotes.</summary>
    public static string Escape(string? cell)
    {
        if (string.IsNullOrEmpty(cell))
        {
            return string.Empty;
        }
        return cell.AsSpan().IndexOfAny(",\"\r\n") < 0
            ? cell
            : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>
    /// Formats a double in the invariant culture with the shortest text that parses back to the same value
    /// (<c>0.1</c>, <c>1E-07</c>, <c>NaN</c>, <c>Infinity</c>), so no precision is lost.
    /// </summary>
    public static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private void WriteLine(string[] cells)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append(Escape(cells[i]));
        }
        _writer.Write(sb.Append("\r\n").ToString());
    }
}
