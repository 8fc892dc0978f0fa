using Cobalt.Data.OpenBandit;

namespace Cobalt.Data.Tests;

/// <summary>A tiny Open Bandit Dataset campaign folder (random/men/men.csv + item_context.csv) written by the tests.</summary>
public class OpenBanditReaderTests
{
    private const string A = "81ce123cbb5bd8ce818f60fb3586bba5";
    private const string B = "cef3390ed299c09874189c387777674a";
    private const string C = "03a5648a76832f83c859d46bc06cb64a";
    private const string D = "2d03db5543b14483e52d761760686b64";

    private const string Header = ",timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,user-item_affinity_0,user-item_affinity_1,user-item_affinity_2";

    private static readonly string[] Rounds =
    [
        $"0,2019-11-24 00:03:13.442536+00:00,0,1,0,0.3333333333333333,{A},{C},0.0,1.0,0.0",
        $"1,2019-11-24 00:03:20.000000+00:00,2,3,1,0.5,{B},{C},0.5,0.0,2.0",
        $"2,2019-11-24 00:04:00.100000+00:00,1,2,0,1.0,{A},{D},0.0,0.0,0.0",
    ];

    private static readonly string[] ItemContext =
    [
        ",item_id,item_feature_0,item_feature_1,item_feature_2",
        "0,0,-0.7,e2b1,x9",
        "1,1,0.2,77af,x9",
        "2,2,1.5,e2b1,y3",
    ];

    internal static TempFolder CampaignFolder(string[]? rounds = null, string? header = null, string[]? itemContext = null, bool withItems = true)
    {
        var folder = new TempFolder(Path.Combine("open_bandit_dataset", "random", "men"));
        folder.Write("men.csv", [header ?? Header, .. rounds ?? Rounds]);
        if (withItems)
        {
            folder.Write("item_context.csv", itemContext ?? ItemContext);
        }
        return folder;
    }

    private static DataFormatException ReadFails(TempFolder folder)
    {
        var read = () => OpenBanditReader.Read(folder.Folder);
        return read.Should().Throw<DataFormatException>().Which;
    }

    private static string Round(string item = "0", string position = "1", string click = "0", string propensity = "0.5", string time = "2019-11-24 00:03:13.442536+00:00") =>
        $"9,{time},{item},{position},{click},{propensity},{A},{C},0.0,1.0,0.0";

    [Fact]
    public void Reads_actions_zero_based_positions_clicks_and_propensities()
    {
        using var folder = CampaignFolder();
        OpenBanditReader.FindCampaignFile(folder.Folder).Should().Be(Path.Combine(folder.Folder, "men.csv"));

        var d = OpenBanditReader.Read(folder.Folder);

        d.Name.Should().Be("random/men");
        d.BehaviourPolicy.Should().Be("random");
        d.Campaign.Should().Be("men");
        d.Count.Should().Be(3);
        d.ItemCount.Should().Be(3);
        d.Actions.Should().Equal(0, 2, 1);
        d.Positions.Should().Equal(0, 2, 1);
        d.SlotCount.Should().Be(3);
        d.Rewards.Should().Equal(0.0, 1.0, 0.0);
        d.Propensities.Should().Equal(0.3333333333333333, 0.5, 1.0);
    }

    [Fact]
    public void Folder_given_with_a_trailing_separator_keeps_policy_and_campaign()
    {
        using var folder = CampaignFolder();

        var d = OpenBanditReader.Read(folder.Folder + Path.DirectorySeparatorChar);

        d.Campaign.Should().Be("men");
        d.BehaviourPolicy.Should().Be("random");
        d.Name.Should().Be("random/men");
    }

    [Fact]
    public void Timestamps_are_unix_microseconds()
    {
        using var folder = CampaignFolder();

        var d = OpenBanditReader.Read(folder.Folder);

        var second = new DateTimeOffset(2019, 11, 24, 0, 3, 13, TimeSpan.Zero).ToUnixTimeSeconds();
        d.Timestamps.Should().Equal(second * 1_000_000 + 442_536, (second + 7) * 1_000_000, (second + 47) * 1_000_000 + 100_000);
    }

    [Fact]
    public void Contexts_are_one_hot_user_features_then_affinities()
    {
        using var folder = CampaignFolder();

        var d = OpenBanditReader.Read(folder.Folder);

        d.ContextNames.Should().Equal(
            $"user_feature_0={A}", $"user_feature_0={B}", $"user_feature_1={C}", $"user_feature_1={D}",
            "user-item_affinity_0", "user-item_affinity_1", "user-item_affinity_2");
        d.Contexts.Rows.Should().Be(3);
        d.Contexts.Columns.Should().Be(7);
        d.Contexts.Row(0).ToArray().Should().Equal(1, 0, 1, 0, 0, 1, 0);
        d.Contexts.Row(1).ToArray().Should().Equal(0, 1, 1, 0, 0.5, 0, 2);
        d.Contexts.Row(2).ToArray().Should().Equal(1, 0, 0, 1, 0, 0, 0);
    }

    [Fact]
    public void Item_features_are_numeric_then_one_hot()
    {
        using var folder = CampaignFolder();

        var items = OpenBanditReader.Read(folder.Folder).ItemFeatures;

        items.Should().NotBeNull();
        items!.Rows.Should().Be(3);
        items.Columns.Should().Be(5);
        items.Row(0).ToArray().Should().Equal(-0.7, 1, 0, 1, 0);
        items.Row(1).ToArray().Should().Equal(0.2, 0, 1, 1, 0);
        items.Row(2).ToArray().Should().Equal(1.5, 1, 0, 0, 1);
    }

    [Fact]
    public void Items_missing_from_item_context_have_zero_rows()
    {
        using var folder = CampaignFolder(itemContext: [ItemContext[0], ItemContext[1], ItemContext[3]]);

        var items = OpenBanditReader.Read(folder.Folder).ItemFeatures!;

        items.Rows.Should().Be(3);
        items.Columns.Should().Be(4, "item_feature_1 has one value left (e2b1), item_feature_2 two (x9, y3)");
        items.Row(0).ToArray().Should().Equal(-0.7, 1, 1, 0);
        items.Row(1).ToArray().Should().Equal(0, 0, 0, 0);
        items.Row(2).ToArray().Should().Equal(1.5, 1, 0, 1);
    }

    [Fact]
    public void Without_item_context_there_are_no_item_features()
    {
        using var folder = CampaignFolder(withItems: false);

        OpenBanditReader.Read(folder.Folder).ItemFeatures.Should().BeNull();
    }

    [Fact]
    public void Without_affinity_columns_the_item_count_is_the_largest_action_plus_one()
    {
        using var folder = CampaignFolder(
            header: ",timestamp,item_id,position,click,propensity_score,user_feature_0",
            rounds: ["0,2019-11-24 00:03:13+00:00,4,1,0,0.1,a", "1,2019-11-24 00:03:14+00:00,7,2,1,0.2,b"],
            withItems: false);

        var d = OpenBanditReader.Read(folder.Folder);

        d.ItemCount.Should().Be(8);
        d.Contexts.Columns.Should().Be(2);
        d.ContextNames.Should().Equal("user_feature_0=a", "user_feature_0=b");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.1")]
    [InlineData("1.5")]
    public void Propensity_outside_zero_one_is_rejected(string propensity)
    {
        using var folder = CampaignFolder(rounds: [Rounds[0], Round(propensity: propensity)]);

        ReadFails(folder).Message.Should().Be($"men.csv:3: propensity_score {propensity} must be in (0, 1].");
    }

    [Fact]
    public void Propensity_that_is_not_a_number_is_rejected()
    {
        using var folder = CampaignFolder(rounds: [Round(propensity: "high")]);

        ReadFails(folder).Message.Should().Be("men.csv:2: propensity_score 'high' is not a number.");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0.5")]
    public void Click_other_than_0_or_1_is_rejected(string click)
    {
        using var folder = CampaignFolder(rounds: [Round(click: click)]);

        ReadFails(folder).Message.Should().Be($"men.csv:2: click {click} must be 0 or 1.");
    }

    [Fact]
    public void Position_0_is_rejected()
    {
        using var folder = CampaignFolder(rounds: [Rounds[0], Rounds[1], Round(position: "0")]);

        ReadFails(folder).Message.Should().Be("men.csv:4: position 0 must be 1 or more.");
    }

    [Theory]
    [InlineData("3")]
    [InlineData("-1")]
    public void Item_outside_the_affinity_range_is_rejected(string item)
    {
        using var folder = CampaignFolder(rounds: [Round(item: item)]);

        ReadFails(folder).Message.Should().Be($"men.csv:2: item_id {item} is outside 0..2.");
    }

    [Fact]
    public void Bad_timestamp_is_rejected()
    {
        using var folder = CampaignFolder(rounds: [Round(time: "soon")]);

        ReadFails(folder).Message.Should().Be("men.csv:2: timestamp 'soon' is not a date.");
    }

    [Fact]
    public void Header_only_file_is_rejected()
    {
        using var folder = CampaignFolder(rounds: []);

        ReadFails(folder).Message.Should().Be("men.csv: the file has a header but no rounds.");
    }

    [Fact]
    public void Zero_byte_file_is_rejected()
    {
        using var folder = CampaignFolder();
        File.WriteAllBytes(Path.Combine(folder.Folder, "men.csv"), []);

        ReadFails(folder).Message.Should().Be("men.csv:1: the file is empty; a header row was expected.");
    }

    [Fact]
    public void Missing_column_is_named()
    {
        using var folder = CampaignFolder(header: ",timestamp,item_id,position,click,user_feature_0", rounds: ["0,2019-11-24 00:03:13+00:00,0,1,0,a"]);

        ReadFails(folder).Message.Should().StartWith("men.csv:1: missing column(s) propensity_score; the header has ");
    }

    [Fact]
    public void Item_context_with_an_unknown_item_is_rejected()
    {
        using var folder = CampaignFolder(itemContext: [ItemContext[0], ItemContext[1], "5,5,0.1,e2b1,x9"]);

        ReadFails(folder).Message.Should().Be("item_context.csv:3: item_id 5 is outside 0..2.");
    }

    [Fact]
    public void Folder_without_campaign_file_is_rejected()
    {
        using var folder = new TempFolder(Path.Combine("random", "women"));
        folder.Write("men.csv", [Header, .. Rounds]);

        OpenBanditReader.FindCampaignFile(folder.Folder).Should().BeNull();
        ReadFails(folder).Message.Should().Be($"{folder.Folder}: no Open Bandit Dataset campaign file here (expected women.csv).");
    }
}
