using System.ComponentModel;
using System.Globalization;
using System.Text;
using Cobalt.Core.Configuration;

namespace Cobalt.Neural.Text;

/// <summary>Options of <see cref="Tokenizer"/>.</summary>
public sealed record TokenizerOptions : IValidatable
{
    /// <summary>Lower-case every token (invariant culture).</summary>
    [Description("Lower-case every token (invariant culture).")]
    public bool Lowercase { get; init; } = true;

    /// <summary>Keep each punctuation or symbol character as a token of its own (otherwise drop it).</summary>
    [Description("Keep each punctuation or symbol character as a one-character token (otherwise drop it).")]
    public bool KeepPunctuation { get; init; } = true;

    /// <inheritdoc />
    public void Validate()
    {
    }
}

/// <summary>
/// Splits text into word tokens: maximal runs of letters, digits, marks and underscores are words; every punctuation or
/// symbol character is a token by itself (or dropped); whitespace and control characters separate tokens.
/// </summary>
/// <remarks>
/// The rule follows the NRMS reference pipeline (Microsoft Recommenders' <c>word_tokenize</c>:
/// <c>re.findall(r"[\w]+|[.,!?;|]", sentence.lower())</c>), generalised to every Unicode punctuation and symbol.
/// "Don't stop!" gives <c>don ' t stop !</c>.
/// </remarks>
public sealed class Tokenizer
{
    /// <summary>Creates a tokenizer.</summary>
    public Tokenizer(TokenizerOptions? options = null)
    {
        Options = options ?? new TokenizerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public TokenizerOptions Options { get; }

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, tokens);
        return tokens;
    }

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="tokens"/>.</summary>
    public void Tokenize(string text, List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokens);
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (IsWordCharacter(category) || rune.Value == '_')
            {
                word.Append(Options.Lowercase ? Rune.ToLowerInvariant(rune).ToString() : rune.ToString());
                continue;
            }
            Flush(word, tokens);
            if (Options.KeepPunctuation && IsPunctuationOrSymbol(category))
            {
                tokens.Add(rune.ToString());
            }
        }
        Flush(word, tokens);
    }

    private static void Flush(StringBuilder word, List<string> tokens)
    {
        if (word.Length > 0)
        {
            tokens.Add(word.ToString());
            word.Clear();
        }
    }

    private static bool IsWordCharacter(UnicodeCategory category) => category is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or
        UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or
        UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber or UnicodeCategory.NonSpacingMark or
        UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    private static bool IsPunctuationOrSymbol(UnicodeCategory category) => category is
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or
        UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or
        UnicodeCategory.OtherPunctuation or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or
        UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;
}
