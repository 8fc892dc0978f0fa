using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;

namespace Cobalt.Neural.Text;

/// <summary>
/// A fixed word-to-id map: id 0 is padding (<c>&lt;pad&gt;</c>), id 1 stands for every word not in the vocabulary
/// (<c>&lt;unk&gt;</c>), and ids 2, 3, ... are the words.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The padding id.</summary>
    public const int PaddingId = 0;

    /// <summary>The out-of-vocabulary id.</summary>
    public const int UnknownId = 1;

    /// <summary>The padding token's text.</summary>
    public const string PaddingToken = "<pad>";

    /// <summary>The out-of-vocabulary token's text.</summary>
    public const string UnknownToken = "<unk>";

    private readonly string[] _words;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;

    /// <summary>A vocabulary of <paramref name="words"/> (ids 2, 3, ... in this order).</summary>
    /// <exception cref="ArgumentException">A word is empty, repeated, or one of the reserved tokens.</exception>
    public Vocabulary(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var list = new List<string> { PaddingToken, UnknownToken };
        _ids = new Dictionary<string, int>(StringComparer.Ordinal) { [PaddingToken] = PaddingId, [UnknownToken] = UnknownId };
        foreach (var word in words)
        {
            if (string.IsNullOrEmpty(word))
            {
                throw new ArgumentException($"Vocabulary word {list.Count - 2} is empty.", nameof(words));
            }
            if (!_ids.TryAdd(word, list.Count))
            {
                throw new ArgumentException($"'{word}' appears twice in the vocabulary (or is a reserved token).", nameof(words));
            }
            list.Add(word);
        }
        _words = [.. list];
        _spanIds = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of ids, the two reserved ones included.</summary>
    public int Count => _words.Length;

    /// <summary>The id of <paramref name="word"/>, or <see cref="UnknownId"/>.</summary>
    public int Id(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return _ids.TryGetValue(word, out var id) ? id : UnknownId;
    }

    /// <summary>The id of <paramref name="word"/>, or -1 when it is not in the vocabulary (no allocation).</summary>
    public int Find(ReadOnlySpan<char> word) => _spanIds.TryGetValue(word, out var id) ? id : -1;

    /// <summary>The word of <paramref name="id"/>.</summary>
    public string Word(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_words.Length, nameof(id));
        return _words[id];
    }

    /// <summary>
    /// Writes the ids of <paramref name="text"/>'s first tokens into <paramref name="ids"/> (at most its length), pads the rest with
    /// <see cref="PaddingId"/>, and returns the number of tokens written.
    /// </summary>
    public int Encode(string text, Tokenizer tokenizer, Span<int> ids)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var tokens = tokenizer.Tokenize(text);
        var length = Math.Min(tokens.Count, ids.Length);
        for (var i = 0; i < length; i++)
        {
            ids[i] = Id(tokens[i]);
        }
        ids[length..].Clear(); // PaddingId is 0
        return length;
    }

    /// <summary>Writes the words (ids 2, 3, ...).</summary>
    public void Write(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("vocabulary");
        writer.Write(_words.Length - 2);
        for (var i = 2; i < _words.Length; i++)
        {
            writer.Write(_words[i]);
        }
    }

    /// <summary>Reads a vocabulary written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The state is damaged.</exception>
    public static Vocabulary Read(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("vocabulary");
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"The saved vocabulary claims {count} words.");
        }
        var words = new List<string>(Math.Min(count, 1 << 20));
        for (var i = 0; i < count; i++)
        {
            words.Add(reader.ReadString());
        }
        try
        {
            return new Vocabulary(words);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The saved vocabulary is invalid: {e.Message}", e);
        }
    }
}

/// <summary>Options of <see cref="VocabularyBuilder.Build"/>.</summary>
public sealed record VocabularyOptions : IValidatable
{
    /// <summary>Words seen fewer times are left out (they become <c>&lt;unk&gt;</c>).</summary>
    [Description("Words seen fewer times than this are left out (they map to <unk>).")]
    public int MinCount { get; init; } = 1;

    /// <summary>Keep at most this many words, the most frequent (0: no limit).</summary>
    [Description("Keep at most this many words, the most frequent; 0 keeps all.")]
    public int MaxWords { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(MinCount, 1, nameof(MinCount));
        Require.AtLeast(MaxWords, 0, nameof(MaxWords));
    }
}

/// <summary>Counts tokens over a corpus and builds a <see cref="Vocabulary"/> of the frequent ones.</summary>
public sealed class VocabularyBuilder
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _tokens = [];

    /// <summary>A builder that splits text with <paramref name="tokenizer"/>.</summary>
    public VocabularyBuilder(Tokenizer? tokenizer = null) => Tokenizer = tokenizer ?? new Tokenizer();

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>Number of distinct tokens seen.</summary>
    public int DistinctTokens => _counts.Count;

    /// <summary>Counts the tokens of <paramref name="text"/>.</summary>
    public VocabularyBuilder Add(string text)
    {
        _tokens.Clear();
        Tokenizer.Tokenize(text, _tokens);
        foreach (var token in _tokens)
        {
            _counts[token] = _counts.GetValueOrDefault(token) + 1;
        }
        return this;
    }

    /// <summary>Counts the tokens of every text.</summary>
    public VocabularyBuilder AddRange(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        foreach (var text in texts)
        {
            Add(text);
        }
        return this;
    }

    /// <summary>The vocabulary of the tokens seen at least <see cref="VocabularyOptions.MinCount"/> times, most frequent first (ties in ordinal order).</summary>
    /// <exception cref="OptionsException">An option is out of range.</exception>
    public Vocabulary Build(VocabularyOptions? options = null)
    {
        options ??= new VocabularyOptions();
        options.Validate();
        var words = _counts
            .Where(e => e.Value >= options.MinCount && e.Key is not (Vocabulary.PaddingToken or Vocabulary.UnknownToken))
            .OrderByDescending(e => e.Value)
            .ThenBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key);
        if (options.MaxWords > 0)
        {
            words = words.Take(options.MaxWords);
        }
        return new Vocabulary(words);
    }
}
