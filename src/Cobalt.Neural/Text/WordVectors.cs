using System.Globalization;
using System.Text;

namespace Cobalt.Neural.Text;

/// <summary>A word-vector file is malformed; <see cref="LineNumber"/> says where (1-based).</summary>
public sealed class WordVectorsFormatException : FormatException
{
    /// <summary>Creates the exception for line <paramref name="lineNumber"/>.</summary>
    public WordVectorsFormatException(long lineNumber, string problem)
        : base($"Line {lineNumber}: {problem}")
    {
        LineNumber = lineNumber;
    }

    /// <summary>Creates the exception without a line (prefer the other constructor).</summary>
    public WordVectorsFormatException()
        : this(0, "malformed word vectors")
    {
    }

    /// <summary>Creates the exception without a line (prefer the other constructor).</summary>
    public WordVectorsFormatException(string message)
        : this(0, message)
    {
    }

    /// <summary>Creates the exception without a line (prefer the other constructors).</summary>
    public WordVectorsFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The 1-based line number of the bad line.</summary>
    public long LineNumber { get; }
}

/// <summary>
/// Pretrained vectors for the words of a <see cref="Vocabulary"/>: row id holds the vector of word id when <see cref="Has"/>(id).
/// </summary>
public sealed class WordVectors
{
    private readonly float[] _values;
    private readonly bool[] _found;

    private WordVectors(int count, int dimension)
    {
        Dimension = dimension;
        _values = new float[(long)count * dimension <= int.MaxValue ? count * dimension : throw new ArgumentOutOfRangeException(nameof(count), "The vectors would not fit one array.")];
        _found = new bool[count];
    }

    /// <summary>Vector length.</summary>
    public int Dimension { get; }

    /// <summary>Number of vocabulary ids covered (found or not).</summary>
    public int Count => _found.Length;

    /// <summary>Number of vocabulary words that had a vector in the file.</summary>
    public int Found { get; private set; }

    /// <summary>Lines read from the file.</summary>
    public long LinesRead { get; private set; }

    /// <summary>Whether word <paramref name="id"/> had a vector.</summary>
    public bool Has(int id) => _found[id];

    /// <summary>The vector of word <paramref name="id"/> (zeros when it had none).</summary>
    public ReadOnlySpan<float> Vector(int id) => _values.AsSpan(id * Dimension, Dimension);

    /// <summary>Reads a GloVe text file (see <see cref="ReadGlove(TextReader, Vocabulary, int?)"/>), streaming it line by line.</summary>
    public static WordVectors ReadGloveFile(string path, Vocabulary vocabulary, int? dimension = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        return ReadGlove(reader, vocabulary, dimension);
    }

    /// <summary>
    /// Reads vectors in the GloVe text format (Pennington et al. 2014): one word per line, followed by its d values, separated by
    /// single spaces (tabs are accepted too). Only the vocabulary's words are kept; the file is read one line at a time, so its size
    /// does not matter.
    /// </summary>
    /// <remarks>
    /// The dimension is <paramref name="dimension"/>, or the number of values on the first non-blank line. Every line is checked for
    /// the number of values; the values of kept words are parsed (invariant culture) and must be finite. Blank lines are skipped; a
    /// word listed twice keeps its first vector. Reserved tokens (&lt;pad&gt;, &lt;unk&gt;) are never read from the file.
    /// </remarks>
    /// <exception cref="WordVectorsFormatException">A line has the wrong number of values, or a value that is not a finite number (line and value named).</exception>
    public static WordVectors ReadGlove(TextReader reader, Vocabulary vocabulary, int? dimension = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (dimension is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be positive.");
        }
        WordVectors? vectors = dimension is { } d ? new WordVectors(vocabulary.Count, d) : null;
        long lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.AsSpan().TrimEnd();
            if (text.IsEmpty)
            {
                continue;
            }
            var wordEnd = text.IndexOfAny(' ', '\t');
            if (wordEnd <= 0)
            {
                throw new WordVectorsFormatException(lineNumber, wordEnd == 0 ? "the line starts with a separator instead of a word." : "the line holds a word but no values.");
            }
            var word = text[..wordEnd];
            var rest = text[(wordEnd + 1)..];
            var values = CountFields(rest);
            vectors ??= new WordVectors(vocabulary.Count, values);
            if (values != vectors.Dimension)
            {
                throw new WordVectorsFormatException(lineNumber, $"'{word}' has {values} values; expected {vectors.Dimension}.");
            }
            var id = vocabulary.Find(word);
            if (id < 2 || vectors._found[id])
            {
                continue;
            }
            var row = vectors._values.AsSpan(id * vectors.Dimension, vectors.Dimension);
            var index = 0;
            foreach (var range in rest.SplitAny(' ', '\t'))
            {
                var field = rest[range];
                if (field.IsEmpty)
                {
                    continue;
                }
                if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
                {
                    throw new WordVectorsFormatException(lineNumber, $"value {index + 1} of '{word}' is '{field}', not a finite number.");
                }
                row[index++] = value;
            }
            vectors._found[id] = true;
            vectors.Found++;
        }
        if (vectors is null)
        {
            throw new WordVectorsFormatException(lineNumber, "the file holds no vectors.");
        }
        vectors.LinesRead = lineNumber;
        return vectors;
    }

    /// <summary>Number of non-empty fields separated by spaces or tabs.</summary>
    private static int CountFields(ReadOnlySpan<char> text)
    {
        var count = 0;
        var inField = false;
        foreach (var c in text)
        {
            var separator = c is ' ' or '\t';
            if (!separator && !inField)
            {
                count++;
            }
            inField = !separator;
        }
        return count;
    }
}
