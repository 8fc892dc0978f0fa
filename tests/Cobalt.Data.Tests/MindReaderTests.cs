using Cobalt.Data.Mind;

namespace Cobalt.Data.Tests;

/// <summary>MIND news.tsv + behaviors.tsv written by the tests.</summary>
public class MindReaderTests
{
    private static readonly string[] News =
    [
        "N1\tnews\tnewsworld\tTitle one\tAbstract one\thttps://assets.msn.com/1\t[]\t[]",
        "N2\tsports\tfootball_nfl\tTitle, two\tAbstract two\thttps://assets.msn.com/2\t[]\t[]",
        "N3\tnews\tnewsworld\tTitle three\t\thttps://assets.msn.com/3\t[]\t[]",
        "N4\tlifestyle\t\tNo subcategory\t\thttps://assets.msn.com/4\t[]\t[]",
        "N-5\tnews\tnewsus\tDashed id\t\thttps://assets.msn.com/5\t[]\t[]",
    ];

    private static readonly string[] Behaviors =
    [
        "1\tU1\t11/11/2019 9:05:58 AM\tN1 N2 N99\tN3-1 N4-0 N77-0",
        "2\tU2\t11/12/2019 2:14:46 PM\t\tN1-0 N2-1 N-5-1",
        "3\tU1\t11/13/2019 11:00:00 PM\tN1 N2 N99\tN2-0",
    ];

    internal static TempFolder MindFolder(string[]? news = null, string[]? behaviors = null, string? sub = null)
    {
        var folder = new TempFolder("MINDsmall");
        var prefix = sub is null ? "" : sub + "/";
        folder.Write(prefix + "news.tsv", news ?? News);
        folder.Write(prefix + "behaviors.tsv", behaviors ?? Behaviors);
        return folder;
    }

    private static long Unix(int day, int hour, int minute, int second) =>
        new DateTimeOffset(2019, 11, day, hour, minute, second, TimeSpan.Zero).ToUnixTimeSeconds();

    private static DataFormatException ReadFails(TempFolder folder)
    {
        var read = () => MindReader.Read(folder.Folder);
        return read.Should().Throw<DataFormatException>().Which;
    }

    [Fact]
    public void Reads_impressions_with_labels_topics_and_times()
    {
        using var folder = MindFolder();

        var (d, report) = MindReader.Read(folder.Folder);

        d.Format.Should().Be("mind");
        d.Name.Should().Be("MINDsmall");
        d.Items.Select(i => i.ExternalId).Should().Equal("N1", "N2", "N3", "N4", "N-5");
        d.Items[1].Title.Should().Be("Title, two");
        d.Topics.Should().Equal("newsworld", "football_nfl", "newsus");
        d.Items[3].Topics.Should().BeEmpty("N4 has no subcategory");
        d.FirstTopics().Should().Equal(0, 1, 0, -1, 2);
        d.TopicSizes().Should().Equal(2, 1, 1);
        d.Users.Should().Equal("U1", "U2");
        d.InteractionUsers.Should().Equal(0, 0, 1, 1, 1, 0);
        d.InteractionItems.Should().Equal(2, 3, 0, 1, 4, 1);
        d.Values.Should().Equal(1f, 0f, 0f, 1f, 1f, 0f);
        d.PositiveThreshold.Should().Be(1.0);
        Enumerable.Range(0, d.Count).Select(d.IsPositive).Should().Equal(true, false, false, true, true, false);
        var t1 = Unix(11, 9, 5, 58);
        var t2 = Unix(12, 14, 14, 46);
        var t3 = Unix(13, 23, 0, 0);
        d.Timestamps.Should().Equal(t1, t1, t2, t2, t2, t3);
        report.Should().Be(new MindReadReport(Impressions: 7, UnknownImpressions: 1, UnknownHistoryEntries: 2));
    }

    [Fact]
    public void Histories_are_kept_and_unknown_news_left_out()
    {
        using var folder = MindFolder();

        var (d, _) = MindReader.Read(folder.Folder);

        d.Histories.Keys.Should().BeEquivalentTo([0, 1]);
        d.Histories[0].Should().Equal(0, 1);
        d.Histories[1].Should().BeEmpty();
    }

    [Fact]
    public void Every_unknown_entry_is_counted()
    {
        using var folder = MindFolder(behaviors:
        [
            "1\tU1\t11/11/2019 9:05:58 AM\tX1 X2 N1 X3\tX4-1 X5-0",
            "2\tU2\t11/11/2019 9:06:58 AM\tX1\tN1-1",
        ]);

        var (d, report) = MindReader.Read(folder.Folder);

        report.Impressions.Should().Be(3);
        report.UnknownImpressions.Should().Be(2);
        report.UnknownHistoryEntries.Should().Be(4);
        d.Count.Should().Be(1);
        d.Users.Should().Equal(["U1", "U2"], "U1, whose impressions are all unknown, still gets an id");
        d.Histories[0].Should().Equal(0);
    }

    [Theory]
    [InlineData("N1-2")]
    [InlineData("N1")]
    [InlineData("-1")]
    [InlineData("N1-")]
    public void Malformed_impression_names_file_and_line(string impression)
    {
        using var folder = MindFolder(behaviors:
        [
            "1\tU1\t11/11/2019 9:05:58 AM\tN1\tN2-1",
            $"2\tU2\t11/12/2019 2:14:46 PM\t\tN1-0 {impression}",
        ]);

        ReadFails(folder).Message.Should().Be($"behaviors.tsv:2: impression '{impression}' is not of the form newsId-0 or newsId-1.");
    }

    [Fact]
    public void Bad_time_names_file_and_line()
    {
        using var folder = MindFolder(behaviors: ["1\tU1\tyesterday\tN1\tN2-1"]);

        ReadFails(folder).Message.Should().Be("behaviors.tsv:1: time 'yesterday' is not a date like 11/12/2019 2:14:46 PM.");
    }

    [Fact]
    public void Behaviour_line_with_wrong_field_count_is_rejected()
    {
        using var folder = MindFolder(behaviors: ["1\tU1\t11/11/2019 9:05:58 AM\tN1", "2\tU2\t11/11/2019 9:05:58 AM\tN1\tN1-1\textra"]);

        ReadFails(folder).Message.Should().Be("behaviors.tsv:1: expected 5 fields separated by '\\t', found 4.");
    }

    [Fact]
    public void News_problems_are_rejected()
    {
        using (var folder = MindFolder(news: [News[0], News[1], News[0]]))
        {
            ReadFails(folder).Message.Should().Be("news.tsv:3: news N1 is listed twice.");
        }
        using (var folder = MindFolder(news: [News[0], "N2\tsports\tfootball_nfl"]))
        {
            ReadFails(folder).Message.Should().Be("news.tsv:2: expected at least 4 fields separated by '\\t', found 3.");
        }
    }

    [Fact]
    public void FindFolder_finds_the_train_subfolder()
    {
        using var folder = MindFolder(sub: "MINDsmall_train");
        Directory.CreateDirectory(Path.Combine(folder.Folder, "MINDsmall_dev"));

        MindReader.FindFolder(folder.Folder).Should().Be(Path.Combine(folder.Folder, "MINDsmall_train"));
        var (d, report) = MindReader.Read(folder.Folder);
        d.Count.Should().Be(6);
        report.Impressions.Should().Be(7);
        d.Name.Should().Be("MINDsmall");
    }

    [Fact]
    public void FindFolder_prefers_the_folder_itself_and_knows_the_other_layouts()
    {
        using (var folder = MindFolder())
        {
            MindReader.FindFolder(folder.Folder).Should().Be(folder.Folder);
        }
        using (var folder = MindFolder(sub: "MINDlarge_train"))
        {
            MindReader.FindFolder(folder.Folder).Should().Be(Path.Combine(folder.Folder, "MINDlarge_train"));
        }
        using (var folder = MindFolder(sub: "train"))
        {
            MindReader.FindFolder(folder.Folder).Should().Be(Path.Combine(folder.Folder, "train"));
        }
    }

    [Fact]
    public void Folder_without_both_files_is_rejected()
    {
        using var folder = new TempFolder("empty");
        folder.Write("news.tsv", News);

        MindReader.FindFolder(folder.Folder).Should().BeNull();
        var e = ReadFails(folder);
        e.Message.Should().Be($"{folder.Folder}: no MIND files here: expected behaviors.tsv and news.tsv.");
    }
}
