using Cobalt.Core.Randomness;

namespace Cobalt.Recommenders.Experts;

/// <summary>One training example of the pool-allocation models: a context, an item (label) and the observed reward r in {0, 1}.</summary>
/// <param name="Context">Row of the context in its <see cref="MultiLabelData"/>.</param>
/// <param name="Item">The item (label) id.</param>
/// <param name="Reward">1 when the context carries the label, else 0.</param>
public readonly record struct LabelledExample(int Context, int Item, double Reward);

/// <summary>
/// A multi-label data set as a recommendation problem: contexts x (rows of d features) and, for each, the set of items
/// (labels) that earn reward 1. Hron et al. (2021) use AmazonCat-13K this way in sections 3.1 and 4.
/// </summary>
public sealed class MultiLabelData
{
    private readonly double[] _features;
    private readonly bool[] _positive;

    /// <summary>Wraps <paramref name="features"/> (row-major, count x dimension) and <paramref name="positive"/> (count x items).</summary>
    /// <exception cref="ArgumentException">The lengths do not fit, or a feature is not finite.</exception>
    public MultiLabelData(int dimension, int items, double[] features, bool[] positive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(positive);
        if (features.Length % dimension != 0 || positive.Length != features.Length / dimension * items)
        {
            throw new ArgumentException($"{features.Length} feature values and {positive.Length} labels do not make rows of {dimension} features and {items} items.", nameof(positive));
        }
        var bad = Core.Data.FeatureMatrix.FirstNonFinite(features);
        if (bad >= 0)
        {
            throw new ArgumentException($"Feature {bad % dimension} of context {bad / dimension} is {features[bad]}; features must be finite.", nameof(features));
        }
        Dimension = dimension;
        Items = items;
        Count = features.Length / dimension;
        _features = features;
        _positive = positive;
    }

    /// <summary>Number of contexts.</summary>
    public int Count { get; }

    /// <summary>Features per context, d.</summary>
    public int Dimension { get; }

    /// <summary>Number of items (labels), K.</summary>
    public int Items { get; }

    /// <summary>The features of context <paramref name="row"/>.</summary>
    public ReadOnlySpan<double> Context(int row) => _features.AsSpan(row * Dimension, Dimension);

    /// <summary>Whether context <paramref name="row"/> carries item <paramref name="item"/>.</summary>
    public bool IsPositive(int row, int item) => _positive[row * Items + item];

    /// <summary>The labels of context <paramref name="row"/>, one per item.</summary>
    public ReadOnlySpan<bool> Labels(int row) => _positive.AsSpan(row * Items, Items);

    /// <summary>The contexts at <paramref name="rows"/>, in that order.</summary>
    public MultiLabelData Subset(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var features = new double[rows.Count * Dimension];
        var positive = new bool[rows.Count * Items];
        for (var i = 0; i < rows.Count; i++)
        {
            Context(rows[i]).CopyTo(features.AsSpan(i * Dimension, Dimension));
            Labels(rows[i]).CopyTo(positive.AsSpan(i * Items, Items));
        }
        return new MultiLabelData(Dimension, Items, features, positive);
    }

    /// <summary>
    /// A training set with c = <paramref name="perItem"/> examples per item: for every item, c contexts drawn uniformly
    /// with replacement, each with its 0/1 reward for that item (the paper's "number of examples per arm").
    /// </summary>
    public LabelledExample[] Sample(int perItem, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perItem);
        ArgumentNullException.ThrowIfNull(rng);
        var examples = new LabelledExample[perItem * Items];
        for (var a = 0; a < Items; a++)
        {
            for (var i = 0; i < perItem; i++)
            {
                var row = rng.NextInt(Count);
                examples[a * perItem + i] = new LabelledExample(row, a, IsPositive(row, a) ? 1 : 0);
            }
        }
        return examples;
    }
}
