using System.Numerics.Tensors;
using Cobalt.Core.Data;

namespace Cobalt.Recommenders.TwoStage;

/// <summary>
/// The topics of an item catalogue as candidates for the topic stage: one row per topic that has items, its features the
/// mean of its items' features (the non-neural topic representation; a topic encoder can replace it), and the items of each topic.
/// </summary>
public sealed class TopicCatalog
{
    private readonly int[] _rowOfItem;

    private TopicCatalog(ItemCatalog items, ItemCatalog topics, int[] topicIds, int[][] members, int[] rowOfItem)
    {
        Items = items;
        Topics = topics;
        TopicIds = topicIds;
        Members = members;
        Counts = Array.ConvertAll(members, m => m.Length);
        _rowOfItem = rowOfItem;
    }

    /// <summary>The item catalogue.</summary>
    public ItemCatalog Items { get; }

    /// <summary>Topics as a catalogue (row r is topic <c>TopicIds[r]</c>).</summary>
    public ItemCatalog Topics { get; }

    /// <summary>The item catalogue's topic id of each topic row.</summary>
    public int[] TopicIds { get; }

    /// <summary>Item ids of each topic row, ascending.</summary>
    public int[][] Members { get; }

    /// <summary>Number of items of each topic row (<c>Members[r].Length</c>).</summary>
    public int[] Counts { get; }

    /// <summary>Row of the topic of item <paramref name="item"/>.</summary>
    public int RowOfItem(int item) => _rowOfItem[item];

    /// <summary>Builds the topic catalogue of <paramref name="items"/>, which must have topics.</summary>
    public static TopicCatalog For(ItemCatalog items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var topics = items.Topics ?? throw new ArgumentException("A two-stage recommender needs a catalogue whose items have topics.", nameof(items));
        var topicIds = topics.Distinct().Order().ToArray();
        var rowOf = topicIds.Select((t, r) => (t, r)).ToDictionary(p => p.t, p => p.r);
        var members = topicIds.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < items.Count; i++)
        {
            members[rowOf[topics[i]]].Add(i);
        }
        var d = items.Dimension;
        var values = new double[topicIds.Length * d];
        for (var r = 0; r < topicIds.Length; r++)
        {
            var row = values.AsSpan(r * d, d);
            foreach (var item in members[r])
            {
                TensorPrimitives.Add(row, items.Features.Row(item), row);
            }
            TensorPrimitives.Divide(row, members[r].Count, row);
        }
        return new TopicCatalog(items, new ItemCatalog(new FeatureMatrix(topicIds.Length, d, values)), topicIds,
            members.Select(m => m.ToArray()).ToArray(), Enumerable.Range(0, items.Count).Select(i => rowOf[topics[i]]).ToArray());
    }
}
