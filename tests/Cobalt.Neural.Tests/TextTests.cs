using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Neural.Text;

namespace Cobalt.Neural.Tests;

/// <summary>Tokenizer, vocabulary, token sequences and the GloVe reader.</summary>
public sealed class TextTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cobalt-neural-text-{Guid.NewGuid():N}");

    public TextTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Tokenizer_lowercases_and_splits_punctuation()
    {
        var tokenizer = new Tokenizer();
        tokenizer.Tokenize("Don't stop: NASA's 2024 Mars-rover, finally!").Should().Equal(
            "don", "'", "t", "stop", ":", "nasa", "'", "s", "2024", "mars", "-", "rover", ",", "finally", "!");
        tokenizer.Tokenize("  Ünïcode   café\tnaïve ").Should().Equal("ünïcode", "café", "naïve");
        tokenizer.Tokenize(string.Empty).Should().BeEmpty();

        var plain = new Tokenizer(new TokenizerOptions { Lowercase = false, KeepPunctuation = false });
        plain.Tokenize("Hello, World!").Should().Equal("Hello", "World");
    }

    [Fact]
    public void Vocabulary_orders_by_frequency_applies_min_count_and_max_words()
    {
        var builder = new VocabularyBuilder().AddRange(["b a a c", "a b d", "c a"]);
        // counts: a 4, b 2, c 2, d 1
        var vocabulary = builder.Build(new VocabularyOptions { MinCount = 2 });
        vocabulary.Count.Should().Be(5);
        vocabulary.Word(0).Should().Be(Vocabulary.PaddingToken);
        vocabulary.Word(1).Should().Be(Vocabulary.UnknownToken);
        vocabulary.Word(2).Should().Be("a");
        vocabulary.Word(3).Should().Be("b"); // ties in ordinal order
        vocabulary.Word(4).Should().Be("c");
        vocabulary.Id("d").Should().Be(Vocabulary.UnknownId);
        vocabulary.Find("c").Should().Be(4);
        vocabulary.Find("zzz").Should().Be(-1);

        builder.Build(new VocabularyOptions { MaxWords = 1 }).Count.Should().Be(3);
        FluentActions.Invoking(() => builder.Build(new VocabularyOptions { MinCount = 0 })).Should().Throw<OptionsException>().WithMessage("min-count*");
        FluentActions.Invoking(() => new Vocabulary(["x", "x"])).Should().Throw<ArgumentException>().WithMessage("*'x' appears twice*");
    }

    [Fact]
    public void Encoding_truncates_pads_with_zero_and_maps_unknown_words()
    {
        var tokenizer = new Tokenizer();
        var vocabulary = new Vocabulary(["mars", "rover", "lands"]);
        Span<int> ids = stackalloc int[4];
        vocabulary.Encode("Rover lands on Mars", tokenizer, ids).Should().Be(4);
        ids.ToArray().Should().Equal(3, 4, Vocabulary.UnknownId, 2);
        vocabulary.Encode("Mars", tokenizer, ids).Should().Be(1);
        ids.ToArray().Should().Equal(2, 0, 0, 0);

        var sequences = TokenSequences.Encode(["mars rover", "", "lands lands lands lands lands"], vocabulary, tokenizer, maxLength: 3);
        sequences.Count.Should().Be(3);
        sequences.Length(1).Should().Be(0);
        sequences.Length(2).Should().Be(3);
        sequences.Row(0).ToArray().Should().Equal(2, 3, 0);
        FluentActions.Invoking(() => sequences.Add([1, 2, 9])).Should().Throw<ArgumentException>().WithMessage("*Token id 9 at position 2*");
        FluentActions.Invoking(() => sequences.Add([1, 2, 3, 4])).Should().Throw<ArgumentException>().WithMessage("*longer than*3*");
    }

    [Fact]
    public void Vocabulary_and_sequences_round_trip_through_a_state_file()
    {
        var vocabulary = new Vocabulary(["alpha", "beta", "gamma"]);
        var sequences = TokenSequences.Encode(["alpha gamma", "beta"], vocabulary, new Tokenizer(), 4);
        var path = Path.Combine(_folder, "text.state");
        AtomicFile.Write(path, s => StateFile.Write(s, new StateFile.Header("text", "{}"), w =>
        {
            vocabulary.Write(w);
            sequences.Write(w);
        }));
        using var stream = File.OpenRead(path);
        var (_, reader) = StateFile.Read(stream);
        var vocabulary2 = Vocabulary.Read(reader);
        var sequences2 = TokenSequences.Read(reader);
        Enumerable.Range(0, vocabulary.Count).Select(vocabulary2.Word).Should().Equal(Enumerable.Range(0, vocabulary.Count).Select(vocabulary.Word));
        sequences2.Ids.ToArray().Should().Equal(sequences.Ids.ToArray());
        sequences2.Length(0).Should().Be(2);
    }

    [Fact]
    public void GloVe_reader_keeps_vocabulary_words_from_a_streamed_file()
    {
        var path = Path.Combine(_folder, "tiny.glove.txt");
        File.WriteAllText(path, string.Join('\n',
            "the 0.1 0.2 0.3",
            "mars -1.5 2e-1 3",
            "unused 9 9 9",
            string.Empty,
            "rover 1 2 3",
            "mars 7 7 7") + "\n");
        var vocabulary = new Vocabulary(["mars", "rover", "lands"]);
        var vectors = WordVectors.ReadGloveFile(path, vocabulary);
        vectors.Dimension.Should().Be(3);
        vectors.Found.Should().Be(2);
        vectors.LinesRead.Should().Be(6);
        vectors.Has(vocabulary.Id("mars")).Should().BeTrue();
        vectors.Vector(vocabulary.Id("mars")).ToArray().Should().Equal(-1.5f, 0.2f, 3f); // the first listing wins
        vectors.Vector(vocabulary.Id("rover")).ToArray().Should().Equal(1f, 2f, 3f);
        vectors.Has(vocabulary.Id("lands")).Should().BeFalse();
        vectors.Vector(vocabulary.Id("lands")).ToArray().Should().Equal(0f, 0f, 0f);
    }

    [Theory]
    [InlineData("mars 1 2 3\nrover 1 2\n", 2, "*'rover' has 2 values; expected 3*")]
    [InlineData("mars 1 2 3\nrover 1 x 3\n", 2, "*value 2 of 'rover' is 'x'*")]
    [InlineData("mars 1 2 3\nlands 1 2 3\n\nrover 1 NaN 3\n", 4, "*value 2 of 'rover' is 'NaN'*")]
    [InlineData("mars 1 2 3\nrover\n", 2, "*word but no values*")]
    [InlineData("mars 1 2 3 4\n", 1, "*'mars' has 4 values; expected 3*")]
    public void GloVe_reader_reports_the_line_of_a_malformed_entry(string content, int line, string message)
    {
        var vocabulary = new Vocabulary(["mars", "rover", "lands"]);
        var dimension = content.StartsWith("mars 1 2 3 4", StringComparison.Ordinal) ? 3 : (int?)null;
        var error = FluentActions.Invoking(() => WordVectors.ReadGlove(new StringReader(content), vocabulary, dimension))
            .Should().Throw<WordVectorsFormatException>().WithMessage(message).Which;
        error.LineNumber.Should().Be(line);
        error.Message.Should().StartWith($"Line {line}:");
    }

    [Fact]
    public void GloVe_reader_refuses_an_empty_file() =>
        FluentActions.Invoking(() => WordVectors.ReadGlove(new StringReader("\n\n"), new Vocabulary(["a"])))
            .Should().Throw<WordVectorsFormatException>().WithMessage("*no vectors*");
}
