using System.Text;
using Cobalt.Data.MovieLens;

namespace Cobalt.Data.Tests;

/// <summary>MovieLens in its three layouts, read from small files the tests write.</summary>
public class MovieLensReaderTests
{
    private static readonly string[] CsvMovies =
    [
        "movieId,title,genres",
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
        "2,\"American President, The (1995)\",Comedy|Drama|Romance",
        "3,\"Movie \"\"Quoted\"\", A (2000)\",Drama",
        "4,Nothing (2001),(no genres listed)",
        "10,Weird (2002),Cyberpunk|Comedy|Cyberpunk",
    ];

    private static readonly string[] CsvRatings =
    [
        "userId,movieId,rating,timestamp",
        "1,1,4.0,964982703",
        "1,3,3.5,964981247",
        "7,2,5.0,964982224",
        "1,10,0.5,964983815",
        "7,1,4.5,964982931",
    ];

    private static TempFolder CsvFolder(string[]? movies = null, string[]? ratings = null)
    {
        var folder = new TempFolder("ml-latest-small");
        folder.Write("movies.csv", movies ?? CsvMovies);
        folder.Write("ratings.csv", ratings ?? CsvRatings);
        return folder;
    }

    private static DataFormatException ReadFails(TempFolder folder)
    {
        var read = () => MovieLensReader.Read(folder.Folder);
        return read.Should().Throw<DataFormatException>().Which;
    }

    // ---------------------------------------------------------------- ratings.csv + movies.csv

    [Fact]
    public void Csv_reads_counts_dense_ids_values_and_timestamps()
    {
        using var folder = CsvFolder();
        MovieLensReader.DetectFormat(folder.Folder).Should().Be("movielens-csv");

        var d = MovieLensReader.Read(folder.Folder);

        d.Name.Should().Be("ml-latest-small");
        d.Format.Should().Be("movielens-csv");
        d.Count.Should().Be(5);
        d.Users.Should().Equal("1", "7");
        d.Items.Select(i => i.ExternalId).Should().Equal("1", "2", "3", "4", "10");
        d.InteractionUsers.Should().Equal(0, 0, 1, 0, 1);
        d.InteractionItems.Should().Equal(0, 2, 1, 4, 0);
        d.Values.Should().Equal(4f, 3.5f, 5f, 0.5f, 4.5f);
        d.Timestamps.Should().Equal(964982703L, 964981247L, 964982224L, 964983815L, 964982931L);
        d.PositiveThreshold.Should().Be(4.0);
        Enumerable.Range(0, d.Count).Select(d.IsPositive).Should().Equal(true, false, true, false, true);
        d.Histories.Should().BeEmpty();
    }

    [Fact]
    public void Folder_given_with_a_trailing_separator_keeps_its_name()
    {
        using var folder = CsvFolder();

        MovieLensReader.Read(folder.Folder + Path.DirectorySeparatorChar).Name.Should().Be("ml-latest-small");
    }

    [Fact]
    public void Csv_blank_lines_are_skipped_but_counted()
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1,4.0,1", "", "1,2,oops,2"]);

        ReadFails(folder).Message.Should().Be("ratings.csv:4: rating 'oops' is not a number.");
    }

    [Fact]
    public void Csv_titles_keep_commas_and_quotes()
    {
        using var folder = CsvFolder();
        var d = MovieLensReader.Read(folder.Folder);

        d.Items[0].Title.Should().Be("Toy Story (1995)");
        d.Items[1].Title.Should().Be("American President, The (1995)");
        d.Items[2].Title.Should().Be("Movie \"Quoted\", A (2000)");
    }

    [Fact]
    public void Csv_genres_become_topics_in_order_of_appearance()
    {
        using var folder = CsvFolder();
        var d = MovieLensReader.Read(folder.Folder);

        d.Topics.Should().Equal("Adventure", "Animation", "Children", "Comedy", "Fantasy", "Drama", "Romance", "(no genres listed)", "Cyberpunk");
        d.Items[0].Topics.Should().Equal(0, 1, 2, 3, 4);
        d.Items[1].Topics.Should().Equal(3, 5, 6);
        d.Items[4].Topics.Should().Equal(new[] { 8, 3 }, "a genre listed twice counts once; an unknown genre is a new topic");
        d.FirstTopics().Should().Equal(0, 3, 5, 7, 8);
        d.TopicSizes(TopicMode.First).Should().Equal(1, 0, 0, 1, 0, 1, 0, 1, 1);
        d.TopicSizes(TopicMode.All).Should().Equal(1, 1, 1, 3, 1, 2, 1, 1, 1);
        d.TopicSizes().Should().Equal(d.TopicSizes(TopicMode.First));
    }

    [Fact]
    public void Csv_line_numbers_count_lines_inside_quoted_fields()
    {
        using var folder = CsvFolder(movies:
        [
            "movieId,title,genres",
            "1,\"Two",
            "Lines (1999)\",Drama",
            "1,Again (2000),Drama",
        ]);

        var e = ReadFails(folder);

        e.Message.Should().Be("movies.csv:4: movie 1 is listed twice.");
        e.File.Should().Be("movies.csv");
        e.Line.Should().Be(4);
        e.Problem.Should().Be("movie 1 is listed twice.");
    }

    [Fact]
    public void Csv_multi_line_title_is_read_whole()
    {
        using var folder = CsvFolder(
            movies: ["movieId,title,genres", "1,\"Two", "Lines (1999)\",Drama"],
            ratings: ["userId,movieId,rating,timestamp", "5,1,4,100"]);

        var d = MovieLensReader.Read(folder.Folder);

        d.Items.Should().ContainSingle().Which.Title.Should().Be("Two\nLines (1999)");
        d.Count.Should().Be(1);
    }

    [Fact]
    public void Csv_rating_that_is_not_a_number_names_file_and_line()
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1,4.0,964982703", "1,2,x,964982703"]);

        ReadFails(folder).Message.Should().Be("ratings.csv:3: rating 'x' is not a number.");
    }

    [Fact]
    public void Csv_timestamp_that_is_not_a_number_names_file_and_line()
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1,4.0,yesterday"]);

        ReadFails(folder).Message.Should().Be("ratings.csv:2: timestamp 'yesterday' is not a number.");
    }

    [Theory]
    [InlineData("5.5")]
    [InlineData("-1")]
    [InlineData("6")]
    public void Csv_rating_outside_zero_to_five_is_rejected(string rating)
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1,4.0,1", "1,1," + rating + ",2"]);

        var e = ReadFails(folder);

        e.Line.Should().Be(3);
        e.Message.Should().StartWith("ratings.csv:3: rating ").And.EndWith(" is outside MovieLens's 0 to 5 scale.");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    public void Csv_ratings_at_the_ends_of_the_scale_are_accepted(string rating)
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1," + rating + ",2"]);

        MovieLensReader.Read(folder.Folder).Values.Should().Equal(float.Parse(rating, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Csv_rating_of_a_movie_missing_from_movies_is_rejected()
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1,4.0,1", "2,2,4.0,1", "3,99,4.0,1"]);

        ReadFails(folder).Message.Should().Be("ratings.csv:4: movie 99 is not in the movies file.");
    }

    [Fact]
    public void Csv_duplicate_movie_id_is_rejected()
    {
        using var folder = CsvFolder(movies: ["movieId,title,genres", "1,A (1990),Drama", "2,B (1991),Drama", "2,C (1992),Comedy"]);

        ReadFails(folder).Message.Should().Be("movies.csv:4: movie 2 is listed twice.");
    }

    [Fact]
    public void Csv_empty_movie_id_is_rejected()
    {
        using var folder = CsvFolder(movies: ["movieId,title,genres", " ,A (1990),Drama"]);

        ReadFails(folder).Message.Should().Be("movies.csv:2: the movie id is empty.");
    }

    [Fact]
    public void Csv_record_with_too_few_fields_names_the_missing_column()
    {
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp", "1,1,4.0,5", "1,2,4.0"]);

        ReadFails(folder).Message.Should().Be("ratings.csv:3: the record has 3 fields; column 'timestamp' is missing.");
    }

    [Fact]
    public void Csv_zero_byte_file_is_rejected()
    {
        using var folder = CsvFolder();
        File.WriteAllBytes(Path.Combine(folder.Folder, "ratings.csv"), []);

        ReadFails(folder).Message.Should().Be("ratings.csv:1: the file is empty; a header row was expected.");
    }

    [Fact]
    public void Csv_zero_byte_movies_file_is_rejected()
    {
        using var folder = CsvFolder();
        File.WriteAllBytes(Path.Combine(folder.Folder, "movies.csv"), []);

        ReadFails(folder).Message.Should().Be("movies.csv:1: the file is empty; a header row was expected.");
    }

    [Fact]
    public void Csv_header_only_ratings_give_an_empty_dataset()
    {
        // Documented behaviour, not an error: the reader accepts a ratings file without rows (DatasetSummary shows "time span none").
        using var folder = CsvFolder(ratings: ["userId,movieId,rating,timestamp"]);

        var d = MovieLensReader.Read(folder.Folder);

        d.Count.Should().Be(0);
        d.Users.Should().BeEmpty();
        d.Items.Should().HaveCount(5);
    }

    [Fact]
    public void Csv_header_only_movies_make_every_rating_an_unknown_movie()
    {
        using var folder = CsvFolder(movies: ["movieId,title,genres"]);

        ReadFails(folder).Message.Should().Be("ratings.csv:2: movie 1 is not in the movies file.");
    }

    [Fact]
    public void Csv_with_semicolons_reports_missing_columns()
    {
        using var folder = CsvFolder(ratings: ["userId;movieId;rating;timestamp", "1;1;4.0;964982703"]);

        ReadFails(folder).Message.Should().Be(
            "ratings.csv:1: missing column(s) userId, movieId, rating, timestamp; the header has userId;movieId;rating;timestamp.");
    }

    [Fact]
    public void Csv_missing_genres_column_is_named()
    {
        using var folder = CsvFolder(movies: ["movieId,title", "1,A (1990)"]);

        ReadFails(folder).Message.Should().Be("movies.csv:1: missing column(s) genres; the header has movieId, title.");
    }

    [Fact]
    public void Csv_columns_are_found_by_name_in_any_order()
    {
        using var folder = CsvFolder(ratings: ["timestamp,rating,movieId,userId", "123,2.5,10,42"]);

        var d = MovieLensReader.Read(folder.Folder);

        d.Users.Should().Equal("42");
        d.InteractionItems.Should().Equal(4);
        d.Values.Should().Equal(2.5f);
        d.Timestamps.Should().Equal(123L);
    }

    [Fact]
    public void Csv_unterminated_quote_is_malformed_with_its_line()
    {
        using var folder = CsvFolder(movies: ["movieId,title,genres", "1,A (1990),Drama", "2,\"Unclosed (1991),Drama"]);

        var e = ReadFails(folder);

        e.File.Should().Be("movies.csv");
        e.Message.Should().StartWith("movies.csv:3: malformed CSV");
    }

    [Fact]
    public void Csv_with_windows_line_endings_and_a_byte_order_mark_reads_the_same()
    {
        using var folder = new TempFolder("ml-windows");
        folder.WriteText("movies.csv", string.Concat(CsvMovies.Select(l => l + "\r\n")), new UTF8Encoding(true));
        folder.WriteText("ratings.csv", string.Concat(CsvRatings.Select(l => l + "\r\n")), new UTF8Encoding(true));
        File.ReadAllBytes(Path.Combine(folder.Folder, "movies.csv"))[..3].Should().Equal(0xEF, 0xBB, 0xBF);

        var d = MovieLensReader.Read(folder.Folder);

        d.Count.Should().Be(5);
        d.Items[1].Title.Should().Be("American President, The (1995)");
        d.Items[4].Topics.Should().Equal(8, 3);
        d.Topics[^1].Should().Be("Cyberpunk");
        d.Timestamps[^1].Should().Be(964982931L);
    }

    [Fact]
    public void Dat_with_windows_line_endings_reads_the_same()
    {
        using var folder = new TempFolder("ml-1m");
        folder.WriteText("movies.dat", "1::Café (1990)::Drama|Comedy\r\n", Encoding.Latin1);
        folder.WriteText("ratings.dat", "1::1::4::978300760\r\n2::1::2::978300761\r\n", Encoding.Latin1);

        var d = MovieLensReader.Read(folder.Folder);

        d.Items[0].Title.Should().Be("Café (1990)");
        d.Topics.Should().Equal("Drama", "Comedy");
        d.Timestamps.Should().Equal(978300760L, 978300761L);
    }

    // ---------------------------------------------------------------- ml-1m / ml-10m: ratings.dat + movies.dat

    private static TempFolder DatFolder(string[]? movies = null, string[]? ratings = null)
    {
        var folder = new TempFolder("ml-1m");
        folder.Write("movies.dat", movies ??
        [
            "1::Toy Story (1995)::Animation|Children's|Comedy",
            "2::Misérables, Les (1995)::Drama|Musical",
            "3::Jumanji (1995)::Adventure|Children's|Fantasy",
        ], Encoding.Latin1);
        folder.Write("ratings.dat", ratings ??
        [
            "1::1::5::978300760",
            "1::2::3::978302109",
            "",
            "20::3::4::978301968",
            "20::2::1::978301000",
        ], Encoding.Latin1);
        return folder;
    }

    [Fact]
    public void Dat_reads_latin1_titles_genres_and_ratings()
    {
        using var folder = DatFolder();
        File.ReadAllBytes(Path.Combine(folder.Folder, "movies.dat")).Should().Contain(0xE9, "the file is written in Latin-1");
        MovieLensReader.DetectFormat(folder.Folder).Should().Be("movielens-dat");

        var d = MovieLensReader.Read(folder.Folder);

        d.Format.Should().Be("movielens-dat");
        d.Name.Should().Be("ml-1m");
        d.Items.Select(i => i.Title).Should().Equal("Toy Story (1995)", "Misérables, Les (1995)", "Jumanji (1995)");
        d.Topics.Should().Equal("Animation", "Children's", "Comedy", "Drama", "Musical", "Adventure", "Fantasy");
        d.Items[2].Topics.Should().Equal(5, 1, 6);
        d.FirstTopics().Should().Equal(0, 3, 5);
        d.TopicSizes(TopicMode.All).Should().Equal(1, 2, 1, 1, 1, 1, 1);
        d.Users.Should().Equal("1", "20");
        d.InteractionUsers.Should().Equal(0, 0, 1, 1);
        d.InteractionItems.Should().Equal(0, 1, 2, 1);
        d.Values.Should().Equal(5f, 3f, 4f, 1f);
        d.Timestamps.Should().Equal(978300760L, 978302109L, 978301968L, 978301000L);
        Enumerable.Range(0, d.Count).Count(d.IsPositive).Should().Be(2);
    }

    [Fact]
    public void Dat_wrong_field_count_names_the_separator_and_counts_blank_lines()
    {
        using var folder = DatFolder(ratings: ["1::1::5::978300760", "", "1::2::3"]);

        ReadFails(folder).Message.Should().Be("ratings.dat:3: expected 4 fields separated by '::', found 3.");
    }

    [Fact]
    public void Dat_extra_field_is_rejected()
    {
        using var folder = DatFolder(ratings: ["1::1::5::978300760::extra"]);

        ReadFails(folder).Message.Should().Be("ratings.dat:1: expected 4 fields separated by '::', found 5.");
    }

    [Fact]
    public void Dat_movie_line_with_wrong_field_count_is_rejected()
    {
        using var folder = DatFolder(movies: ["1::Toy Story (1995)::Animation", "2::Heat (1995)"]);

        ReadFails(folder).Message.Should().Be("movies.dat:2: expected 3 fields separated by '::', found 2.");
    }

    [Fact]
    public void Dat_non_numeric_fields_are_rejected()
    {
        using (var folder = DatFolder(ratings: ["1::1::five::978300760"]))
        {
            ReadFails(folder).Message.Should().Be("ratings.dat:1: rating 'five' is not a number.");
        }
        using (var folder = DatFolder(ratings: ["1::1::5::97830.5"]))
        {
            ReadFails(folder).Message.Should().Be("ratings.dat:1: timestamp '97830.5' is not a whole number.");
        }
    }

    [Fact]
    public void Dat_rating_outside_scale_and_unknown_movie_are_rejected()
    {
        using (var folder = DatFolder(ratings: ["1::1::5::1", "1::2::7::2"]))
        {
            ReadFails(folder).Message.Should().Be("ratings.dat:2: rating 7 is outside MovieLens's 0 to 5 scale.");
        }
        using (var folder = DatFolder(ratings: ["1::4::5::1"]))
        {
            ReadFails(folder).Message.Should().Be("ratings.dat:1: movie 4 is not in the movies file.");
        }
    }

    [Fact]
    public void Dat_duplicate_movie_is_rejected()
    {
        using var folder = DatFolder(movies: ["1::A (1990)::Drama", "1::B (1991)::Drama"]);

        ReadFails(folder).Message.Should().Be("movies.dat:2: movie 1 is listed twice.");
    }

    [Fact]
    public void Dat_comma_separated_ratings_are_a_field_count_error()
    {
        using var folder = DatFolder(ratings: ["1,1,5,978300760"]);

        ReadFails(folder).Message.Should().Be("ratings.dat:1: expected 4 fields separated by '::', found 1.");
    }

    // ---------------------------------------------------------------- ml-100k: u.data + u.item + u.genre

    private static readonly string[] Genres = ["unknown|0", "Action|1", "Comedy|2", "Drama|3", ""];

    private static TempFolder Ml100KFolder(string[]? items = null, string[]? data = null, string[]? genres = null)
    {
        var folder = new TempFolder("ml-100k");
        folder.Write("u.genre", genres ?? Genres, Encoding.Latin1);
        folder.Write("u.item", items ??
        [
            "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|1|0",
            "2|Misérables, Les (1995)|01-Jan-1995||http://x|0|1|0|1",
            "3|Señor Unknown (1996)|01-Jan-1996||http://x|1|0|0|0",
            "4|No genre (1997)|01-Jan-1997||http://x|0|0|0|0",
        ], Encoding.Latin1);
        folder.Write("u.data", data ??
        [
            "196\t1\t3\t881250949",
            "186\t2\t5\t891717742",
            "196\t3\t4\t878887116",
            "22\t4\t1\t878887001",
        ]);
        return folder;
    }

    [Fact]
    public void Ml100k_reads_latin1_titles_flags_and_tab_separated_ratings()
    {
        using var folder = Ml100KFolder();
        File.ReadAllBytes(Path.Combine(folder.Folder, "u.item")).Should().Contain([0xE9, 0xF1]);
        MovieLensReader.DetectFormat(folder.Folder).Should().Be("movielens-100k");

        var d = MovieLensReader.Read(folder.Folder);

        d.Format.Should().Be("movielens-100k");
        d.Items.Select(i => i.Title).Should().Equal("Toy Story (1995)", "Misérables, Les (1995)", "Señor Unknown (1996)", "No genre (1997)");
        d.Topics.Should().Equal("Comedy", "Action", "Drama", "unknown");
        d.Items[1].Topics.Should().Equal(1, 2);
        d.Items[3].Topics.Should().BeEmpty();
        d.FirstTopics().Should().Equal(0, 1, 3, -1);
        d.TopicSizes(TopicMode.First).Should().Equal(1, 1, 0, 1);
        d.TopicSizes(TopicMode.All).Should().Equal(1, 1, 1, 1);
        d.Users.Should().Equal("196", "186", "22");
        d.InteractionUsers.Should().Equal(0, 1, 0, 2);
        d.InteractionItems.Should().Equal(0, 1, 2, 3);
        d.Values.Should().Equal(3f, 5f, 4f, 1f);
        d.Timestamps.Should().Equal(881250949L, 891717742L, 878887116L, 878887001L);
    }

    [Fact]
    public void Ml100k_flag_column_beyond_the_listed_genres_is_rejected()
    {
        using var folder = Ml100KFolder(items: ["1|A (1990)|d||u|0|0|1|0", "2|B (1991)|d||u|0|0|1|0|1"]);

        ReadFails(folder).Message.Should().Be("u.item:2: 5 genre flags but u.genre lists 4 genres.");
    }

    [Fact]
    public void Ml100k_too_few_flag_columns_are_rejected()
    {
        using var folder = Ml100KFolder(items: ["1|A (1990)|d||u|0|0|1"]);

        ReadFails(folder).Message.Should().Be("u.item:1: expected at least 9 fields separated by '|', found 8.");
    }

    [Fact]
    public void Ml100k_genre_flag_other_than_0_or_1_is_rejected()
    {
        using (var folder = Ml100KFolder(items: ["1|A (1990)|d||u|0|0|2|0"]))
        {
            ReadFails(folder).Message.Should().Be("u.item:1: genre flag Comedy must be 0 or 1.");
        }
        using (var folder = Ml100KFolder(items: ["1|A (1990)|d||u|0|yes|0|0"]))
        {
            ReadFails(folder).Message.Should().Be("u.item:1: genre flag Action 'yes' is not a whole number.");
        }
    }

    [Fact]
    public void Ml100k_genre_indices_out_of_order_are_rejected()
    {
        using var folder = Ml100KFolder(genres: ["unknown|0", "Action|2"]);

        ReadFails(folder).Message.Should().Be("u.genre:2: genre index 2 is out of order; 1 was expected.");
    }

    [Fact]
    public void Ml100k_empty_genre_file_is_rejected()
    {
        using var folder = Ml100KFolder(genres: []);

        ReadFails(folder).Message.Should().Be("u.genre: no genres are listed.");
    }

    [Fact]
    public void Ml100k_missing_genre_file_is_named()
    {
        using var folder = Ml100KFolder();
        File.Delete(Path.Combine(folder.Folder, "u.genre"));

        var read = () => MovieLensReader.Read(folder.Folder);

        read.Should().Throw<FileNotFoundException>().Which.FileName.Should().EndWith("u.genre");
    }

    [Fact]
    public void Ml100k_ratings_with_wrong_separator_or_fields_are_rejected()
    {
        using (var folder = Ml100KFolder(data: ["196\t1\t3\t881250949", "186,2,5,891717742"]))
        {
            ReadFails(folder).Message.Should().Be("u.data:2: expected 4 fields separated by '\\t', found 1.");
        }
        using (var folder = Ml100KFolder(data: ["196\t1\tgood\t881250949"]))
        {
            ReadFails(folder).Message.Should().Be("u.data:1: rating 'good' is not a number.");
        }
        using (var folder = Ml100KFolder(data: ["196\t9\t3\t881250949"]))
        {
            ReadFails(folder).Message.Should().Be("u.data:1: movie 9 is not in the movies file.");
        }
    }

    [Fact]
    public void Ml100k_duplicate_item_is_rejected()
    {
        using var folder = Ml100KFolder(items: ["1|A (1990)|d||u|0|0|1|0", "1|B (1991)|d||u|0|0|1|0"]);

        ReadFails(folder).Message.Should().Be("u.item:2: movie 1 is listed twice.");
    }

    // ---------------------------------------------------------------- detection

    [Fact]
    public void Folder_without_a_dataset_is_rejected()
    {
        using var folder = new TempFolder("nothing");
        folder.Write("readme.txt", ["hello"]);
        folder.Write("ratings.csv", ["userId,movieId,rating,timestamp"]); // without movies.csv it is not MovieLens

        MovieLensReader.DetectFormat(folder.Folder).Should().BeNull();
        var e = ReadFails(folder);
        e.Line.Should().Be(0);
        e.Message.Should().Be($"{folder.Folder}: no MovieLens files here: expected ratings.csv + movies.csv, ratings.dat + movies.dat, or u.data + u.item.");
    }

    [Fact]
    public void Csv_is_preferred_when_several_layouts_are_present()
    {
        using var folder = CsvFolder();
        folder.Write("ratings.dat", ["garbage"]);
        folder.Write("movies.dat", ["garbage"]);

        MovieLensReader.DetectFormat(folder.Folder).Should().Be("movielens-csv");
        MovieLensReader.Read(folder.Folder).Count.Should().Be(5);
    }
}
