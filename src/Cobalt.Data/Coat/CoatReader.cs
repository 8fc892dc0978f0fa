using System.Globalization;
using Cobalt.Core.Data;

namespace Cobalt.Data.Coat;

/// <summary>
/// The Coat shopping dataset (Schnabel et al. 2016, "Recommendations as Treatments"): a biased training
/// set (users chose which coats to rate), a random-exposure test set, the authors' propensities
/// P(observed) for every user-item pair, and one-hot user and item features.
/// </summary>
public sealed class CoatDataset
{
    internal CoatDataset(int users, int items, byte[] train, byte[] test, double[] propensities, FeatureMatrix userFeatures, FeatureMatrix itemFeatures)
    {
        UserCount = users;
        ItemCount = items;
        Train = train;
        Test = test;
        Propensities = propensities;
        UserFeatures = userFeatures;
        ItemFeatures = itemFeatures;
    }

    /// <summary>Number of users (290).</summary>
    public int UserCount { get; }

    /// <summary>Number of items (300).</summary>
    public int ItemCount { get; }

    /// <summary>Training ratings, row-major users x items; 0 = not rated, 1..5 = rating (self-selected).</summary>
    public byte[] Train { get; }

    /// <summary>Test ratings, same layout; items shown uniformly at random.</summary>
    public byte[] Test { get; }

    /// <summary>P(user rates item) in the training set, row-major users x items.</summary>
    public double[] Propensities { get; }

    /// <summary>User features (one-hot: gender, age, location, fashion interest).</summary>
    public FeatureMatrix UserFeatures { get; }

    /// <summary>Item features (one-hot: gender, jacket type, colour, on front page).</summary>
    public FeatureMatrix ItemFeatures { get; }
}

/// <summary>Reads the Coat files (train.ascii, test.ascii, propensities.ascii, user_item_features/*).</summary>
public static class CoatReader
{
    /// <summary>Whether <paramref name="folder"/> holds Coat.</summary>
    public static bool IsCoat(string folder) => File.Exists(Path.Combine(folder, "train.ascii")) && File.Exists(Path.Combine(folder, "test.ascii"));

    /// <summary>Reads Coat from <paramref name="folder"/>.</summary>
    public static CoatDataset Read(string folder)
    {
        var (users, items, train) = Matrix(Path.Combine(folder, "train.ascii"), null);
        var (_, _, test) = Matrix(Path.Combine(folder, "test.ascii"), (users, items));
        var (_, _, propensities) = Matrix(Path.Combine(folder, "propensities.ascii"), (users, items));
        var (_, userDims, userFeatures) = Matrix(Path.Combine(folder, "user_item_features", "user_features.ascii"), null);
        var (itemRows, itemDims, itemFeatures) = Matrix(Path.Combine(folder, "user_item_features", "item_features.ascii"), null);
        if (userFeatures.Length / userDims != users || itemRows != items)
        {
            throw new DataFormatException(folder, 0, $"features describe {userFeatures.Length / userDims} users and {itemRows} items; the ratings have {users} and {items}.");
        }
        return new CoatDataset(users, items, Ratings(train, "train.ascii"), Ratings(test, "test.ascii"), Probabilities(propensities),
            new FeatureMatrix(users, userDims, userFeatures), new FeatureMatrix(items, itemDims, itemFeatures));
    }

    /// <summary>A dense whitespace-separated matrix; every row must have the same width (and the expected shape, when given).</summary>
    private static (int Rows, int Columns, double[] Values) Matrix(string path, (int Rows, int Columns)? expected)
    {
        var values = new List<double>();
        var columns = -1;
        var rows = 0;
        using var lines = new DelimitedLines(path, " ");
        while (lines.Read())
        {
            var fields = lines.Fields.Where(f => f.Length > 0).ToArray();
            if (fields.Length == 0)
            {
                continue;
            }
            if (columns >= 0 && fields.Length != columns)
            {
                throw lines.Error($"{fields.Length} values; earlier rows have {columns}.");
            }
            columns = fields.Length;
            foreach (var field in fields)
            {
                values.Add(double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw lines.Error($"'{field}' is not a number."));
            }
            rows++;
        }
        if (rows == 0)
        {
            throw new DataFormatException(Path.GetFileName(path), 0, "the file is empty.");
        }
        if (expected is { } shape && (rows, columns) != shape)
        {
            throw new DataFormatException(Path.GetFileName(path), 0, $"a {rows} x {columns} matrix; {shape.Rows} x {shape.Columns} was expected.");
        }
        return (rows, columns, [.. values]);
    }

    private static byte[] Ratings(double[] values, string file) =>
        values.Select((v, i) => v is >= 0 and <= 5 && v == Math.Floor(v) ? (byte)v : throw new DataFormatException(file, 0, $"entry {i} is {v}; ratings are whole numbers 0 (missing) to 5.")).ToArray();

    private static double[] Probabilities(double[] values) =>
        values.Select((v, i) => v is > 0 and <= 1 ? v : throw new DataFormatException("propensities.ascii", 0, $"entry {i} is {v}; propensities must be in (0, 1].")).ToArray();
}
