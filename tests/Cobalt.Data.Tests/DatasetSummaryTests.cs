namespace Cobalt.Data.Tests;

/// <summary>DatasetSummary.Of on folders of each format written by the tests.</summary>
public class DatasetSummaryTests
{
    private static TempFolder MovieLens(int ratings)
    {
        var folder = new TempFolder("ml-summary");
        folder.Write("movies.csv",
        [
            "movieId,title,genres",
            "1,A (1990),Drama|Comedy",
            "2,B (1991),Drama",
            "3,\"C, The (1992)\",Drama",
            "4,D (1993),Comedy",
            "5,E (1994),Action|Drama",
            "6,F (1995),Comedy",
        ]);
        folder.Write("ratings.csv",
        [
            "userId,movieId,rating,timestamp",
            .. Enumerable.Range(0, ratings).Select(i => $"{i % 300},{1 + i % 6},{i % 5 + 1},{(i == ratings - 1 ? 992563200 : 946684800 + i * 1000)}"),
        ]);
        return folder;
    }

    [Fact]
    public void MovieLens_summary_counts_users_items_positives_span_and_topics()
    {
        using var folder = MovieLens(1_200);

        var summary = DatasetSummary.Of(folder.Folder);

        summary.Format.Should().Be("movielens-csv");
        summary.Facts.Should().Equal(
            ("users", "300"),
            ("items", "6"),
            ("interactions", "1,200"),
            ("positive (value >= 4)", "480 (40.0 %)"),
            ("time span", "2000-01-01 to 2001-06-15"),
            ("topics", "3"),
            ("items per topic (first topic)", "largest 3, median 2, smallest 1"));
        summary.TopicSizes.Should().Equal(("Drama", 3), ("Comedy", 2), ("Action", 1));
    }

    [Fact]
    public void MovieLens_without_ratings_has_no_time_span()
    {
        using var folder = MovieLens(0);

        var facts = DatasetSummary.Of(folder.Folder).Facts.ToDictionary(f => f.Name, f => f.Value);

        facts["interactions"].Should().Be("0");
        facts["positive (value >= 4)"].Should().Be("0 (n/a)");
        facts["time span"].Should().Be("none");
    }

    [Fact]
    public void Mind_summary_adds_the_join_report()
    {
        using var folder = MindReaderTests.MindFolder(sub: "MINDsmall_train");

        var summary = DatasetSummary.Of(folder.Folder);

        summary.Format.Should().Be("mind");
        summary.Facts.Should().Equal(
            ("users", "2"),
            ("items", "5"),
            ("interactions", "6"),
            ("positive (value >= 1)", "3 (50.0 %)"),
            ("time span", "2019-11-11 to 2019-11-13"),
            ("topics", "3"),
            ("impression entries read", "7"),
            ("entries naming news missing from news.tsv (skipped)", "1 impressions, 2 history entries"),
            ("items per topic (first topic)", "largest 2, median 1, smallest 1"));
        summary.TopicSizes.Should().Equal(("newsworld", 2), ("football_nfl", 1), ("newsus", 1));
    }

    [Fact]
    public void Open_bandit_summary_describes_rounds_clicks_and_propensities()
    {
        using var folder = OpenBanditReaderTests.CampaignFolder();

        var summary = DatasetSummary.Of(folder.Folder);

        summary.Format.Should().Be("open-bandit-dataset");
        summary.Facts.Should().Equal(
            ("behaviour policy", "random"),
            ("campaign", "men"),
            ("rounds", "3"),
            ("items", "3"),
            ("slots", "3"),
            ("clicks", "1 (33.3 %)"),
            ("propensity range", "0.3333 to 1"),
            ("context features", "7"),
            ("time span", "2019-11-24 to 2019-11-24"));
        summary.TopicSizes.Should().BeEmpty();
    }

    [Fact]
    public void Coat_summary_counts_ratings_and_features()
    {
        using var folder = CoatReaderTests.CoatFolder();

        var summary = DatasetSummary.Of(folder.Folder);

        summary.Format.Should().Be("coat");
        summary.Facts.Should().Equal(
            ("users", "3"),
            ("items", "4"),
            ("training ratings (self-selected)", "5, 40.0 % rated 4 or 5"),
            ("test ratings (random exposure)", "4, 50.0 % rated 4 or 5"),
            ("propensity range", "0.05 to 1"),
            ("user / item features", "2 / 3 (one-hot)"));
        summary.TopicSizes.Should().BeEmpty();
    }

    [Fact]
    public void Folder_without_a_known_dataset_is_rejected()
    {
        using var folder = new TempFolder("unknown");
        folder.Write("notes.txt", ["nothing here"]);

        var summary = () => DatasetSummary.Of(folder.Folder);

        summary.Should().Throw<DataFormatException>().Which.Message.Should()
            .Be($"{folder.Folder}: no known dataset here (MovieLens, MIND, Open Bandit Dataset campaign folder, or Coat).");
    }

    [Fact]
    public void Missing_folder_is_rejected()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Folder, "absent");

        var summary = () => DatasetSummary.Of(missing);

        summary.Should().Throw<DataFormatException>().Which.Message.Should().Be($"{missing}: the folder does not exist.");
    }

    [Fact]
    public void Malformed_files_surface_as_data_format_errors()
    {
        using var folder = CoatReaderTests.CoatFolder(train: ["0 5 0 1", "2 0 0"]);

        var summary = () => DatasetSummary.Of(folder.Folder);

        summary.Should().Throw<DataFormatException>().Which.Message.Should().Be("train.ascii:2: 3 values; earlier rows have 4.");
    }
}
