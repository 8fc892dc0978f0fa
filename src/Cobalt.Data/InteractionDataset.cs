namespace Cobalt.Data;

/// <summary>An item of a dataset: its id in the source files, its title and its topics (genres, subcategories).</summary>
public sealed record ItemRecord(string ExternalId, string Title, IReadOnlyList<int> Topics);

/// <summary>How an item's topic is chosen when it has several.</summary>
public enum TopicMode
{
    /// <summary>The first listed topic (the two-stage paper's choice for MovieLens genres).</summary>
    First,

    /// <summary>All listed topics (an item belongs to each).</summary>
    All,
}

/// <summary>
/// User-item interactions of a recommendation dataset (MovieLens ratings, MIND impressions), stored
/// column-wise with dense user and item ids, plus the items' titles and topics.
/// </summary>
/// <remarks>
/// An interaction is positive when its value reaches <see cref="PositiveThreshold"/>: ratings >= 4 for
/// MovieLens (Zhou et al. 2018, as the two-stage paper does), click labels (1) for MIND.
/// Timestamps are Unix seconds (UTC).
/// </remarks>
public sealed class InteractionDataset
{
    internal InteractionDataset(string name, string format, IReadOnlyList<string> users, IReadOnlyList<ItemRecord> items, IReadOnlyList<string> topics,
        int[] interactionUsers, int[] interactionItems, float[] values, long[] timestamps, double positiveThreshold, IReadOnlyDictionary<int, int[]>? histories = null)
    {
        Name = name;
        Format = format;
        Users = users;
        Items = items;
        Topics = topics;
        InteractionUsers = interactionUsers;
        InteractionItems = interactionItems;
        Values = values;
        Timestamps = timestamps;
        PositiveThreshold = positiveThreshold;
        Histories = histories ?? new Dictionary<int, int[]>();
    }

    /// <summary>Dataset name (folder name).</summary>
    public string Name { get; }

    /// <summary>Detected format (for example "movielens-csv", "movielens-dat", "movielens-100k", "mind").</summary>
    public string Format { get; }

    /// <summary>External user ids by dense id.</summary>
    public IReadOnlyList<string> Users { get; }

    /// <summary>Items by dense id.</summary>
    public IReadOnlyList<ItemRecord> Items { get; }

    /// <summary>Topic names by topic id.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>Dense user id of each interaction.</summary>
    public int[] InteractionUsers { get; }

    /// <summary>Dense item id of each interaction.</summary>
    public int[] InteractionItems { get; }

    /// <summary>Value of each interaction (a rating, or a 0/1 click label).</summary>
    public float[] Values { get; }

    /// <summary>Unix time (seconds) of each interaction.</summary>
    public long[] Timestamps { get; }

    /// <summary>Values at or above this are positive.</summary>
    public double PositiveThreshold { get; }

    /// <summary>Click histories given with the data (MIND's history column): user to item ids, oldest first.</summary>
    public IReadOnlyDictionary<int, int[]> Histories { get; }

    /// <summary>Number of interactions.</summary>
    public int Count => Values.Length;

    /// <summary>Whether interaction <paramref name="index"/> is positive.</summary>
    public bool IsPositive(int index) => Values[index] >= PositiveThreshold;

    /// <summary>The first topic of each item (-1 for an item without topics): the two-stage paper's topic assignment.</summary>
    public int[] FirstTopics() => Items.Select(i => i.Topics.Count > 0 ? i.Topics[0] : -1).ToArray();

    /// <summary>Number of items in each topic under <paramref name="mode"/>.</summary>
    public int[] TopicSizes(TopicMode mode = TopicMode.First)
    {
        var sizes = new int[Topics.Count];
        foreach (var item in Items)
        {
            foreach (var topic in mode == TopicMode.First ? item.Topics.Take(1) : item.Topics)
            {
                sizes[topic]++;
            }
        }
        return sizes;
    }
}

/// <summary>Assigns dense ids 0, 1, 2, ... to external ids in order of first appearance.</summary>
public sealed class IdMap
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _external = [];

    /// <summary>The dense id of <paramref name="external"/>, assigning the next one if new.</summary>
    public int GetOrAdd(string external)
    {
        if (!_ids.TryGetValue(external, out var id))
        {
            id = _external.Count;
            _ids[external] = id;
            _external.Add(external);
        }
        return id;
    }

    /// <summary>The dense id of <paramref name="external"/>, if known.</summary>
    public bool TryGet(string external, out int id) => _ids.TryGetValue(external, out id);

    /// <summary>Number of ids.</summary>
    public int Count => _external.Count;

    /// <summary>External ids by dense id.</summary>
    public IReadOnlyList<string> External => _external;
}

/// <summary>Column buffers for interactions while a file is read; turned into arrays once the whole file has parsed.</summary>
internal sealed class InteractionColumns
{
    private readonly List<int> _users = [];
    private readonly List<int> _items = [];
    private readonly List<float> _values = [];
    private readonly List<long> _timestamps = [];

    public void Add(int user, int item, float value, long timestamp)
    {
        _users.Add(user);
        _items.Add(item);
        _values.Add(value);
        _timestamps.Add(timestamp);
    }

    public int Count => _values.Count;

    public InteractionDataset Build(string name, string format, IdMap users, IReadOnlyList<ItemRecord> items, IReadOnlyList<string> topics, double threshold, IReadOnlyDictionary<int, int[]>? histories = null) =>
        new(name, format, users.External.ToArray(), items, topics, [.. _users], [.. _items], [.. _values], [.. _timestamps], threshold, histories);
}
