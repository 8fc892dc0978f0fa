using System.Globalization;
using System.Text;

namespace Cobalt.Data;

/// <summary>
/// Streams a delimited text file line by line (never the whole file in memory), splitting each line
/// on a fixed separator and parsing fields with errors that name the file and the line.
/// For RFC 4180 CSV with quoting, see <see cref="CsvLines"/>.
/// </summary>
public sealed class DelimitedLines : IDisposable
{
    private readonly StreamReader _reader;
    private readonly string _separator;
    private string[] _fields = [];

    /// <summary>Opens <paramref name="path"/>; <paramref name="encoding"/> defaults to UTF-8.</summary>
    public DelimitedLines(string path, string separator, Encoding? encoding = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(separator);
        if (!System.IO.File.Exists(path))
        {
            throw new FileNotFoundException($"The data file '{path}' does not exist.", path);
        }
        File = Path.GetFileName(path);
        _separator = separator;
        _reader = new StreamReader(path, encoding ?? new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>File name used in messages.</summary>
    public string File { get; }

    /// <summary>1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The fields of the current line.</summary>
    public IReadOnlyList<string> Fields => _fields;

    /// <summary>Advances to the next non-empty line; false at the end.</summary>
    public bool Read()
    {
        while (_reader.ReadLine() is { } line)
        {
            LineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            _fields = line.Split(_separator);
            return true;
        }
        return false;
    }

    /// <summary>Throws unless the line has at least (or exactly, when <paramref name="exact"/>) <paramref name="count"/> fields.</summary>
    public void RequireFields(int count, bool exact = false)
    {
        if (_fields.Length < count || (exact && _fields.Length != count))
        {
            throw Error($"expected {(exact ? "" : "at least ")}{count} fields separated by '{Visible(_separator)}', found {_fields.Length}.");
        }
    }

    /// <summary>Field <paramref name="index"/> as text.</summary>
    public string Text(int index) => _fields[index];

    /// <summary>Field <paramref name="index"/> as an integer.</summary>
    public long WholeNumber(int index, string name) =>
        long.TryParse(_fields[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Error($"{name} '{_fields[index]}' is not a whole number.");

    /// <summary>Field <paramref name="index"/> as a finite number.</summary>
    public double Number(int index, string name) =>
        double.TryParse(_fields[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw Error($"{name} '{_fields[index]}' is not a number.");

    /// <summary>An error at the current line.</summary>
    public DataFormatException Error(string problem) => new(File, LineNumber, problem);

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();

    private static string Visible(string separator) => separator switch { "\t" => "\\t", _ => separator };
}
