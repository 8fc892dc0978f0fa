using Cobalt.Core.Persistence;

namespace Cobalt.Neural.Text;

/// <summary>
/// A list of token-id sequences padded to one length: row i holds the ids of text i in positions [0, Length(i)) and
/// <see cref="Vocabulary.PaddingId"/> after. What the item and topic encoders read (titles, topic names).
/// </summary>
/// <remarks>
/// Which positions are real is given by the lengths, not by the ids, so the encoders' masks do not depend on what the padded
/// positions hold. A text longer than <see cref="MaxLength"/> keeps its first tokens; an empty text has length 0 and encodes
/// to the zero vector.
/// </remarks>
public sealed class TokenSequences
{
    private readonly List<int> _ids = [];
    private readonly List<int> _lengths = [];

    /// <summary>An empty list of sequences of at most <paramref name="maxLength"/> tokens over ids in [0, <paramref name="vocabularySize"/>).</summary>
    public TokenSequences(int maxLength, int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 2);
        MaxLength = maxLength;
        VocabularySize = vocabularySize;
    }

    /// <summary>The padded length L.</summary>
    public int MaxLength { get; }

    /// <summary>Ids are below this.</summary>
    public int VocabularySize { get; }

    /// <summary>Number of sequences.</summary>
    public int Count => _lengths.Count;

    /// <summary>All ids, row-major [Count, MaxLength].</summary>
    public ReadOnlySpan<int> Ids => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);

    /// <summary>The padded ids of sequence <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return Ids.Slice(index * MaxLength, MaxLength);
    }

    /// <summary>The number of real tokens of sequence <paramref name="index"/>.</summary>
    public int Length(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _lengths[index];
    }

    /// <summary>Tokenizes and appends <paramref name="text"/>; returns its index.</summary>
    public int Add(string text, Vocabulary vocabulary, Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count > VocabularySize)
        {
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} ids; these sequences take ids below {VocabularySize}.", nameof(vocabulary));
        }
        Span<int> row = MaxLength <= 256 ? stackalloc int[MaxLength] : new int[MaxLength];
        var length = vocabulary.Encode(text, tokenizer, row);
        return Append(row, length);
    }

    /// <summary>Appends the ids <paramref name="ids"/> (at most <see cref="MaxLength"/>, each in [0, VocabularySize)); returns the index.</summary>
    /// <exception cref="ArgumentException">Too many ids, or an id out of range (its position is named).</exception>
    public int Add(ReadOnlySpan<int> ids)
    {
        if (ids.Length > MaxLength)
        {
            throw new ArgumentException($"A sequence of {ids.Length} ids is longer than the maximum length {MaxLength}.", nameof(ids));
        }
        Span<int> row = MaxLength <= 256 ? stackalloc int[MaxLength] : new int[MaxLength];
        ids.CopyTo(row);
        return Append(row, ids.Length);
    }

    /// <summary>Tokenizes every text with <paramref name="tokenizer"/> and <paramref name="vocabulary"/>.</summary>
    public static TokenSequences Encode(IEnumerable<string> texts, Vocabulary vocabulary, Tokenizer tokenizer, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var sequences = new TokenSequences(maxLength, vocabulary.Count);
        foreach (var text in texts)
        {
            sequences.Add(text, vocabulary, tokenizer);
        }
        return sequences;
    }

    /// <summary>Writes the sequences.</summary>
    public void Write(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("token-sequences");
        writer.Write(MaxLength);
        writer.Write(VocabularySize);
        writer.Write(Count);
        writer.Write(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_lengths));
        writer.Write(Ids);
    }

    /// <summary>Reads sequences written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The state is damaged or inconsistent.</exception>
    public static TokenSequences Read(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("token-sequences");
        var maxLength = reader.ReadInt32();
        var vocabularySize = reader.ReadInt32();
        if (maxLength <= 0 || vocabularySize < 2)
        {
            throw new InvalidDataException($"Saved token sequences claim a maximum length of {maxLength} and {vocabularySize} ids.");
        }
        var count = reader.ReadInt32();
        if (count < 0 || count > (1 << 28))
        {
            throw new InvalidDataException($"Saved token sequences claim {count} sequences.");
        }
        var lengths = new int[count];
        reader.ReadInto(lengths, "sequence lengths");
        if ((long)count * maxLength > int.MaxValue)
        {
            throw new InvalidDataException($"Saved token sequences claim {count} sequences of {maxLength} ids.");
        }
        var ids = new int[count * maxLength];
        reader.ReadInto(ids, "sequence ids");
        var sequences = new TokenSequences(maxLength, vocabularySize);
        for (var i = 0; i < count; i++)
        {
            if ((uint)lengths[i] > (uint)maxLength)
            {
                throw new InvalidDataException($"Saved token sequence {i} claims length {lengths[i]}.");
            }
            try
            {
                sequences.Append(ids.AsSpan(i * maxLength, maxLength), lengths[i]);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Saved token sequence {i} is invalid: {e.Message}", e);
            }
        }
        return sequences;
    }

    private int Append(ReadOnlySpan<int> row, int length)
    {
        for (var i = 0; i < row.Length; i++)
        {
            if ((uint)row[i] >= (uint)VocabularySize)
            {
                throw new ArgumentException($"Token id {row[i]} at position {i} is outside [0, {VocabularySize}).", nameof(row));
            }
        }
        _ids.AddRange(row);
        _lengths.Add(length);
        return _lengths.Count - 1;
    }
}
