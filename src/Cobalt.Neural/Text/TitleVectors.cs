using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.Neural.Text;

/// <summary>Which punctuation tokens of a title take part in <see cref="TitleVectors.Sum"/>.</summary>
public enum TitlePunctuation
{
    /// <summary>
    /// As coded: only <c>. , ! ? ; |</c>, the punctuation the authors' tokenizer keeps (CB4Rec preprocess.py <c>word_tokenize</c>
    /// @67f4029: <c>re.findall(r"[\w]+|[.,!?;|]", sent.lower())</c>); every other punctuation or symbol token is dropped.
    /// </summary>
    AsCoded,

    /// <summary>Every token Cobalt's <see cref="Tokenizer"/> gives, all punctuation and symbols included.</summary>
    All,
}

/// <summary>Options of <see cref="TitleVectors.Sum"/>.</summary>
public sealed record TitleVectorsOptions : IValidatable
{
    /// <summary>Only a title's first this many tokens count; 0 counts all (as coded: 30, CB4Rec configs/params.py <c>max_title_len</c> @67f4029).</summary>
    [Description("Only a title's first this many tokens count (0: all); the authors' max_title_len is 30.")]
    public int MaxTitleLength { get; init; } = 30;

    /// <summary>Which punctuation tokens count (as coded: only . , ! ? ; |).</summary>
    [Description("Which punctuation tokens count: as-coded (only . , ! ? ; |, the authors' tokenizer) or all.")]
    public TitlePunctuation Punctuation { get; init; } = TitlePunctuation.AsCoded;

    /// <inheritdoc />
    public void Validate() => Require.AtLeast(MaxTitleLength, 0, nameof(MaxTitleLength));
}

/// <summary>An items x d matrix of title vectors, row-major, with the counts of title tokens with and without a vector.</summary>
/// <param name="Values">Row i (length <paramref name="Dimension"/>) is item i's title vector.</param>
/// <param name="Rows">Number of items.</param>
/// <param name="Dimension">Vector length.</param>
/// <param name="Tokens">Title tokens summed over (after truncation and the punctuation rule).</param>
/// <param name="TokensWithoutVector">Of <paramref name="Tokens"/>, those not in the vocabulary or with no word vector (they add zero).</param>
public sealed record TitleVectorMatrix(double[] Values, int Rows, int Dimension, long Tokens, long TokensWithoutVector)
{
    /// <summary>Item <paramref name="item"/>'s title vector.</summary>
    public ReadOnlySpan<double> Row(int item) => Values.AsSpan(item * Dimension, Dimension);

    /// <summary>Share of tokens that had a vector (1 when there were no tokens).</summary>
    public double Coverage => Tokens == 0 ? 1 : 1 - ((double)TokensWithoutVector / Tokens);
}

/// <summary>
/// The GloVe item vector of the two-stage bandit's GLM-UCB and LinUCB item stage: the sum of the frozen word vectors of an item
/// title's tokens, x_i = sum over t in title_i[:L] of glove(t), with zero for padding, unknown words and words GloVe lacks.
/// </summary>
/// <remarks>
/// Ported behaviour (CB4Rec @67f4029): preprocess.py <c>read_news</c> tokenizes each title with <c>[\w]+|[.,!?;|]</c> on the
/// lower-cased text and keeps the first <c>max_title_len</c> = 30 tokens; <c>news_preprocess</c> pads each title's word ids with 0
/// (the id of <c>&lt;unk&gt;</c> too) and <c>load_matrix</c> builds an embedding matrix of zeros with GloVe's vector in each found
/// word's row; algorithms/linucb.py <c>_get_news_embedding</c> (used by the GLM-UCB learners through the same base) looks the ids up
/// in <c>nn.Embedding.from_pretrained(word2vec, freeze=True)</c> and sums over the title axis. So padding, unknown words and words
/// without a GloVe vector add zero, and the vectors are never trained. Here the tokens come from Cobalt's <see cref="Tokenizer"/>
/// (lower-cased words of letters, digits, marks and underscores, as Python's <c>\w</c>), filtered by
/// <see cref="TitleVectorsOptions.Punctuation"/>; the sum is accumulated in double (the authors sum float32).
/// </remarks>
public static class TitleVectors
{
    /// <summary>The punctuation tokens the authors' tokenizer keeps.</summary>
    public const string AsCodedPunctuation = ".,!?;|";

    /// <summary>The tokens of <paramref name="title"/> that <see cref="Sum"/> adds up (truncation and punctuation rule applied).</summary>
    public static List<string> Tokens(string title, Tokenizer tokenizer, TitleVectorsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= new TitleVectorsOptions();
        var tokens = new List<string>();
        AppendTokens(title, tokenizer, options, tokens, []);
        return tokens;
    }

    /// <summary>
    /// The items x d matrix whose row i is the sum of the word vectors of title i's tokens (see the type's remarks), and how many
    /// tokens had no vector.
    /// </summary>
    /// <param name="titles">One title per item.</param>
    /// <param name="vectors">Word vectors read for <paramref name="vocabulary"/>.</param>
    /// <param name="vocabulary">The vocabulary <paramref name="vectors"/> was read for.</param>
    /// <param name="tokenizer">The tokenizer (default: Cobalt's defaults, lower-casing and keeping punctuation).</param>
    /// <param name="options">Truncation and punctuation (default: as coded).</param>
    /// <exception cref="ArgumentException"><paramref name="vectors"/> was read for another vocabulary.</exception>
    public static TitleVectorMatrix Sum(IReadOnlyList<string> titles, WordVectors vectors, Vocabulary vocabulary, Tokenizer? tokenizer = null, TitleVectorsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(titles);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (!ReferenceEquals(vectors.Vocabulary, vocabulary))
        {
            throw new ArgumentException("The word vectors were read for another vocabulary.", nameof(vectors));
        }
        tokenizer ??= new Tokenizer();
        options ??= new TitleVectorsOptions();
        options.Validate();
        var d = vectors.Dimension;
        var values = new double[checked(titles.Count * d)];
        var tokens = new List<string>();
        var scratch = new List<string>();
        long total = 0, without = 0;
        for (var i = 0; i < titles.Count; i++)
        {
            tokens.Clear();
            AppendTokens(titles[i] ?? throw new ArgumentException($"Title {i} is null.", nameof(titles)), tokenizer, options, tokens, scratch);
            var row = values.AsSpan(i * d, d);
            foreach (var token in tokens)
            {
                total++;
                var id = vocabulary.Find(token);
                if (id < 2 || !vectors.Has(id))
                {
                    without++;
                    continue;
                }
                var vector = vectors.Vector(id);
                for (var k = 0; k < row.Length; k++)
                {
                    row[k] += vector[k];
                }
            }
        }
        return new TitleVectorMatrix(values, titles.Count, d, total, without);
    }

    private static void AppendTokens(string title, Tokenizer tokenizer, TitleVectorsOptions options, List<string> tokens, List<string> scratch)
    {
        scratch.Clear();
        tokenizer.Tokenize(title, scratch);
        foreach (var token in scratch)
        {
            if (options.MaxTitleLength > 0 && tokens.Count == options.MaxTitleLength)
            {
                break;
            }
            if (options.Punctuation == TitlePunctuation.AsCoded && IsDroppedPunctuation(token))
            {
                continue;
            }
            tokens.Add(token);
        }
    }

    /// <summary>A one-character token that is neither a word character nor one of <see cref="AsCodedPunctuation"/>.</summary>
    private static bool IsDroppedPunctuation(string token)
    {
        if (token.Length == 0 || token.Length > 2)
        {
            return false;
        }
        var rune = System.Text.Rune.GetRuneAt(token, 0);
        if (rune.Utf16SequenceLength != token.Length)
        {
            return false;
        }
        if (System.Text.Rune.IsLetterOrDigit(rune) || rune.Value == '_' || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(rune.Value) is
            System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark or
            System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.OtherNumber)
        {
            return false;
        }
        return !AsCodedPunctuation.Contains(token, StringComparison.Ordinal);
    }
}

/// <summary>Finds the GloVe 100-d subset shipped for the MovieLens titles (<c>data/glove-100d/movielens-latest-small.100d.txt</c>).</summary>
public static class ShippedWordVectors
{
    /// <summary>The shipped file's path relative to the repository root.</summary>
    public static readonly string RelativePath = Path.Combine("data", "glove-100d", "movielens-latest-small.100d.txt");

    /// <summary>The shipped subset's path, or null when it is not found above the working directory or the program's folder.</summary>
    public static string? TryFind()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, RelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>The shipped subset's path, found by walking up from the working directory and from the program's folder.</summary>
    /// <exception cref="FileNotFoundException">Not found; the message says how to rebuild it or fetch full vectors.</exception>
    public static string Find() => TryFind() ?? throw new FileNotFoundException(
        $"The shipped GloVe subset {RelativePath} was not found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}. " +
        $"Run from the repository, rebuild it with `cobalt data glove-subset --vectors FILE`, or fetch full vectors with `{WordVectors.FetchCommand}`.",
        RelativePath);
}
