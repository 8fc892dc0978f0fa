using Cobalt.Data.Coat;

namespace Cobalt.Data.Tests;

/// <summary>Tiny Coat matrices (3 users x 4 items) written by the tests.</summary>
public class CoatReaderTests
{
    private static readonly string[] Train = ["0 5 0 1", "2 0 0 0", "0 0 4 3"];
    private static readonly string[] Test = ["1 0 0 0", "0 0 5 0", "0 4 0 2"];
    private static readonly string[] Propensities = ["0.1 0.2 0.3 0.4", "0.5 0.6 0.7 0.8", "0.9 1 0.05 0.15"];
    private static readonly string[] UserFeatures = ["1 0", "0 1", "1 0"];
    private static readonly string[] ItemFeatures = ["1 0 0", "0 1 0", "0 0 1", "1 0 0"];

    internal static TempFolder CoatFolder(string[]? train = null, string[]? test = null, string[]? propensities = null, string[]? users = null, string[]? items = null)
    {
        var folder = new TempFolder("coat");
        folder.Write("train.ascii", train ?? Train);
        folder.Write("test.ascii", test ?? Test);
        folder.Write("propensities.ascii", propensities ?? Propensities);
        folder.Write(Path.Combine("user_item_features", "user_features.ascii"), users ?? UserFeatures);
        folder.Write(Path.Combine("user_item_features", "item_features.ascii"), items ?? ItemFeatures);
        return folder;
    }

    private static DataFormatException ReadFails(TempFolder folder)
    {
        var read = () => CoatReader.Read(folder.Folder);
        return read.Should().Throw<DataFormatException>().Which;
    }

    [Fact]
    public void Reads_shapes_and_values()
    {
        using var folder = CoatFolder();
        CoatReader.IsCoat(folder.Folder).Should().BeTrue();

        var d = CoatReader.Read(folder.Folder);

        d.UserCount.Should().Be(3);
        d.ItemCount.Should().Be(4);
        d.Train.Should().Equal(0, 5, 0, 1, 2, 0, 0, 0, 0, 0, 4, 3);
        d.Test.Should().Equal(1, 0, 0, 0, 0, 0, 5, 0, 0, 4, 0, 2);
        d.Propensities.Should().Equal(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 0.05, 0.15);
        d.UserFeatures.Rows.Should().Be(3);
        d.UserFeatures.Columns.Should().Be(2);
        d.UserFeatures.Values.ToArray().Should().Equal(1, 0, 0, 1, 1, 0);
        d.ItemFeatures.Rows.Should().Be(4);
        d.ItemFeatures.Columns.Should().Be(3);
        d.ItemFeatures.Row(3).ToArray().Should().Equal(1, 0, 0);
    }

    [Fact]
    public void Repeated_spaces_trailing_spaces_and_blank_lines_are_tolerated()
    {
        using var folder = CoatFolder(train: ["0  5 0 1 ", "", "2 0 0   0", "  0 0 4 3"]);

        CoatReader.Read(folder.Folder).Train.Should().Equal(0, 5, 0, 1, 2, 0, 0, 0, 0, 0, 4, 3);
    }

    [Fact]
    public void Ragged_row_names_file_and_line()
    {
        using var folder = CoatFolder(train: ["0 5 0 1", "2 0 0 0", "0 0 4"]);

        ReadFails(folder).Message.Should().Be("train.ascii:3: 3 values; earlier rows have 4.");
    }

    [Fact]
    public void Ragged_feature_row_is_rejected()
    {
        using var folder = CoatFolder(items: ["1 0 0", "0 1", "0 0 1", "1 0 0"]);

        ReadFails(folder).Message.Should().Be("item_features.ascii:2: 2 values; earlier rows have 3.");
    }

    [Fact]
    public void Test_shape_must_match_train()
    {
        using var folder = CoatFolder(test: ["1 0 0 0", "0 0 5 0"]);

        ReadFails(folder).Message.Should().Be("test.ascii: a 2 x 4 matrix; 3 x 4 was expected.");
    }

    [Fact]
    public void Propensity_shape_must_match_train()
    {
        using var folder = CoatFolder(propensities: ["0.1 0.2 0.3", "0.5 0.6 0.7", "0.9 1 0.05"]);

        ReadFails(folder).Message.Should().Be("propensities.ascii: a 3 x 3 matrix; 3 x 4 was expected.");
    }

    [Fact]
    public void Feature_rows_must_match_users_and_items()
    {
        using (var folder = CoatFolder(users: ["1 0", "0 1"]))
        {
            ReadFails(folder).Message.Should().Be($"{folder.Folder}: features describe 2 users and 4 items; the ratings have 3 and 4.");
        }
        using (var folder = CoatFolder(items: ["1 0 0", "0 1 0", "0 0 1"]))
        {
            ReadFails(folder).Message.Should().Be($"{folder.Folder}: features describe 3 users and 3 items; the ratings have 3 and 4.");
        }
    }

    [Fact]
    public void Non_integer_and_out_of_scale_ratings_are_rejected()
    {
        using (var folder = CoatFolder(train: ["0 5 0 1", "2 0 2.5 0", "0 0 4 3"]))
        {
            ReadFails(folder).Message.Should().Be("train.ascii: entry 6 is 2.5; ratings are whole numbers 0 (missing) to 5.");
        }
        using (var folder = CoatFolder(test: ["1 0 0 0", "0 0 5 0", "0 4 0 6"]))
        {
            ReadFails(folder).Message.Should().Be("test.ascii: entry 11 is 6; ratings are whole numbers 0 (missing) to 5.");
        }
        using (var folder = CoatFolder(train: ["0 5 0 -1", "2 0 0 0", "0 0 4 3"]))
        {
            ReadFails(folder).Message.Should().Be("train.ascii: entry 3 is -1; ratings are whole numbers 0 (missing) to 5.");
        }
    }

    [Fact]
    public void Text_in_a_matrix_names_file_and_line()
    {
        using var folder = CoatFolder(train: ["0 5 0 1", "2 0 x 0", "0 0 4 3"]);

        ReadFails(folder).Message.Should().Be("train.ascii:2: 'x' is not a number.");
    }

    [Theory]
    [InlineData("0", 2)]
    [InlineData("1.5", 2)]
    [InlineData("-0.2", 2)]
    public void Propensity_outside_zero_one_is_rejected(string value, int entry)
    {
        using var folder = CoatFolder(propensities: [$"0.1 0.2 {value} 0.4", "0.5 0.6 0.7 0.8", "0.9 1 0.05 0.15"]);

        ReadFails(folder).Message.Should().Be($"propensities.ascii: entry {entry} is {value}; propensities must be in (0, 1].");
    }

    [Fact]
    public void Empty_matrix_file_is_rejected()
    {
        using var folder = CoatFolder(train: ["", "  "]);

        ReadFails(folder).Message.Should().Be("train.ascii: the file is empty.");
    }

    [Fact]
    public void Folder_without_train_and_test_is_not_coat()
    {
        using var folder = new TempFolder("coat");
        folder.Write("train.ascii", Train);

        CoatReader.IsCoat(folder.Folder).Should().BeFalse();
    }
}
