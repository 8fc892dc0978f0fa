using System.Globalization;
using CsvHelper;

namespace Cobalt.Data;

/// <summary>
/// Streams an RFC 4180 CSV file with a header row (CsvHelper 34's SIMD reader underneath), giving
/// fields by column name and errors that name the file and the line.
/// </summary>
public sealed class CsvLines : IDisposable
{
    private readonly CsvReader _csv;
    private readonly Dictionary<string, int> _columns;

    /// <summary>Opens <paramref name="path"/> and reads its header; the columns in <paramref name="required"/> must be present.</summary>
    public CsvLines(string path, params string[] required)
    {
        ArgumentNullException.ThrowIfNull(required);
        if (!System.IO.File.Exists(path))
        {
            throw new FileNotFoundException($"The data file '{path}' does not exist.", path);
        }
        File = Path.GetFileName(path);
        if (new FileInfo(path).Length == 0)
        {
            throw new DataFormatException(File, 1, "the file is empty; a header row was expected.");
        }
        _csv = CsvReader.FromFile(path, CsvReaderOptions.Default with
        {
            Separator = ',',
            HasHeader = true,
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Throw,
        });
        IReadOnlyList<string> header;
        try
        {
            header = Guard(() => _csv.Headers);
        }
        catch
        {
            _csv.Dispose();
            throw;
        }
        _columns = header.Select((name, i) => (name, i)).GroupBy(c => c.name).ToDictionary(g => g.Key, g => g.First().i);
        Header = [.. header];
        var missing = required.Where(r => !_columns.ContainsKey(r)).ToArray();
        if (missing.Length > 0)
        {
            _csv.Dispose();
            throw new DataFormatException(File, 1, $"missing column(s) {string.Join(", ", missing)}; the header has {string.Join(", ", header)}.");
        }
    }

    /// <summary>File name used in messages.</summary>
    public string File { get; }

    /// <summary>The header's column names.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>1-based line number where the current record starts.</summary>
    public long LineNumber => _csv.LineNumber;

    /// <summary>Advances to the next record; false at the end.</summary>
    public bool Read() => Guard(_csv.Read);

    /// <summary>Number of fields in the current record.</summary>
    public int FieldCount => _csv.FieldCount;

    /// <summary>Whether the header has <paramref name="column"/>.</summary>
    public bool Has(string column) => _columns.ContainsKey(column);

    /// <summary>Index of <paramref name="column"/>.</summary>
    public int IndexOf(string column) => _columns[column];

    /// <summary>The field in <paramref name="column"/> as text.</summary>
    public string Text(string column) => Field(_columns[column], column);

    /// <summary>The field at <paramref name="index"/> as text.</summary>
    public string Field(int index, string name) =>
        index < _csv.FieldCount ? _csv.GetString(index) : throw Error($"the record has {_csv.FieldCount} fields; column '{name}' is missing.");

    /// <summary>The field in <paramref name="column"/> as an integer.</summary>
    public long WholeNumber(string column)
    {
        var text = Text(column);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Error($"{column} '{text}' is not a whole number.");
    }

    /// <summary>The field at <paramref name="index"/> as a finite number.</summary>
    public double Number(int index, string name)
    {
        var text = Field(index, name);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw Error($"{name} '{text}' is not a number.");
    }

    /// <summary>The field in <paramref name="column"/> as a finite number.</summary>
    public double Number(string column) => Number(_columns[column], column);

    /// <summary>An error at the current record.</summary>
    public DataFormatException Error(string problem) => new(File, LineNumber, problem);

    /// <inheritdoc />
    public void Dispose() => _csv.Dispose();

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (CsvFormatException e)
        {
            throw new DataFormatException(File, e.LineNumber, $"malformed CSV: {e.Message}");
        }
    }
}
