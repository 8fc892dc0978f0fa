using System.Globalization;
using Cobalt.Core.Data;

namespace Cobalt.Data.OpenBandit;

/// <summary>
/// Logged bandit feedback from the Open Bandit Dataset (Saito et al. 2020): for every impression, the
/// context, the action (item) shown, its slot, the click, and the logging policy's propensity.
/// </summary>
/// <remarks>
/// Contexts are the user features one-hot encoded (each hashed categorical column gets its own
/// vocabulary, in order of first appearance) followed by the user-item affinities.
/// Positions are 0-based (the files count slots from 1).
/// </remarks>
public sealed class LoggedBanditDataset
{
    internal LoggedBanditDataset(string name, string behaviourPolicy, string campaign, int itemCount, int[] actions, int[] positions, double[] rewards,
        double[] propensities, long[] timestamps, FeatureMatrix contexts, IReadOnlyList<string> contextNames, FeatureMatrix? itemFeatures)
    {
        Name = name;
        BehaviourPolicy = behaviourPolicy;
        Campaign = campaign;
        ItemCount = itemCount;
        Actions = actions;
        Positions = positions;
        Rewards = rewards;
        Propensities = propensities;
        Timestamps = timestamps;
        Contexts = contexts;
        ContextNames = contextNames;
        ItemFeatures = itemFeatures;
    }

    /// <summary>Name of the data (behaviour policy / campaign).</summary>
    public string Name { get; }

    /// <summary>The logging policy ("random" or "bts").</summary>
    public string BehaviourPolicy { get; }

    /// <summary>The campaign ("men", "women", "all").</summary>
    public string Campaign { get; }

    /// <summary>Number of items (actions).</summary>
    public int ItemCount { get; }

    /// <summary>Action (item id) of each round.</summary>
    public int[] Actions { get; }

    /// <summary>Slot of each round (0-based).</summary>
    public int[] Positions { get; }

    /// <summary>Reward (click) of each round.</summary>
    public double[] Rewards { get; }

    /// <summary>The logging policy's probability of the logged action in its slot.</summary>
    public double[] Propensities { get; }

    /// <summary>Unix time of each round, in microseconds.</summary>
    public long[] Timestamps { get; }

    /// <summary>Context features of each round (one row per round).</summary>
    public FeatureMatrix Contexts { get; }

    /// <summary>Names of the context columns.</summary>
    public IReadOnlyList<string> ContextNames { get; }

    /// <summary>Item features (item_context.csv, one-hot encoded), when the folder has them.</summary>
    public FeatureMatrix? ItemFeatures { get; }

    /// <summary>Number of rounds.</summary>
    public int Count => Actions.Length;

    /// <summary>Number of slots.</summary>
    public int SlotCount => Positions.Length == 0 ? 0 : Positions.Max() + 1;
}

/// <summary>Reads an Open Bandit Dataset campaign file (<c>{policy}/{campaign}/{campaign}.csv</c>) and its item_context.csv.</summary>
public static class OpenBanditReader
{
    /// <summary>The campaign CSV in <paramref name="folder"/> (a file named after the folder), or null.</summary>
    public static string? FindCampaignFile(string folder)
    {
        var campaign = Path.Combine(folder, new DirectoryInfo(Path.TrimEndingDirectorySeparator(folder)).Name + ".csv");
        return File.Exists(campaign) ? campaign : null;
    }

    /// <summary>Reads <paramref name="folder"/> (for example <c>open-bandit-dataset/random/men</c>).</summary>
    public static LoggedBanditDataset Read(string folder)
    {
        var directory = new DirectoryInfo(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var file = FindCampaignFile(directory.FullName) ?? throw new DataFormatException(folder, 0, $"no Open Bandit Dataset campaign file here (expected {directory.Name}.csv).");
        var campaign = directory.Name;
        var policy = directory.Parent?.Name ?? "unknown";
        var actions = new List<int>();
        var positions = new List<int>();
        var rewards = new List<double>();
        var propensities = new List<double>();
        var timestamps = new List<long>();
        var contextRows = new List<double[]>();
        using var csv = new CsvLines(file, "timestamp", "item_id", "position", "click", "propensity_score");
        var userColumns = csv.Header.Where(h => h.StartsWith("user_feature_", StringComparison.Ordinal)).ToArray();
        var affinityColumns = csv.Header.Where(h => h.StartsWith("user-item_affinity_", StringComparison.Ordinal)).ToArray();
        var vocabularies = userColumns.Select(_ => new IdMap()).ToArray();
        var rawUser = new List<int[]>();
        var affinities = new List<double[]>();
        int item = csv.IndexOf("item_id"), position = csv.IndexOf("position"), click = csv.IndexOf("click"), propensity = csv.IndexOf("propensity_score"), time = csv.IndexOf("timestamp");
        var userIndex = userColumns.Select(csv.IndexOf).ToArray();
        var affinityIndex = affinityColumns.Select(csv.IndexOf).ToArray();
        while (csv.Read())
        {
            var action = WholeNumber(csv, item, "item_id");
            if (action < 0 || (affinityColumns.Length > 0 && action >= affinityColumns.Length))
            {
                throw csv.Error($"item_id {action} is outside 0..{Math.Max(affinityColumns.Length, 1) - 1}.");
            }
            var slot = WholeNumber(csv, position, "position");
            if (slot < 1)
            {
                throw csv.Error($"position {slot} must be 1 or more.");
            }
            var reward = csv.Number(click, "click");
            if (reward is not (0 or 1))
            {
                throw csv.Error($"click {reward} must be 0 or 1.");
            }
            var p = csv.Number(propensity, "propensity_score");
            if (!(p > 0 && p <= 1))
            {
                throw csv.Error($"propensity_score {p} must be in (0, 1].");
            }
            if (!DateTimeOffset.TryParse(csv.Field(time, "timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var stamp))
            {
                throw csv.Error($"timestamp '{csv.Field(time, "timestamp")}' is not a date.");
            }
            actions.Add(action);
            positions.Add(slot - 1);
            rewards.Add(reward);
            propensities.Add(p);
            timestamps.Add((stamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
            rawUser.Add(userIndex.Select((c, j) => vocabularies[j].GetOrAdd(csv.Field(c, userColumns[j]))).ToArray());
            affinities.Add(affinityIndex.Select((c, j) => csv.Number(c, affinityColumns[j])).ToArray());
        }
        if (actions.Count == 0)
        {
            throw new DataFormatException(Path.GetFileName(file), 0, "the file has a header but no rounds.");
        }
        // One-hot user features, then affinities.
        var offsets = new int[userColumns.Length + 1];
        for (var j = 0; j < userColumns.Length; j++)
        {
            offsets[j + 1] = offsets[j] + vocabularies[j].Count;
        }
        var width = offsets[^1] + affinityColumns.Length;
        var contexts = new double[actions.Count * width];
        for (var r = 0; r < actions.Count; r++)
        {
            for (var j = 0; j < userColumns.Length; j++)
            {
                contexts[r * width + offsets[j] + rawUser[r][j]] = 1;
            }
            affinities[r].CopyTo(contexts, r * width + offsets[^1]);
        }
        var names = userColumns.SelectMany((c, j) => vocabularies[j].External.Select(v => $"{c}={v}")).Concat(affinityColumns).ToArray();
        var itemCount = affinityColumns.Length > 0 ? affinityColumns.Length : actions.Max() + 1;
        var itemFeatures = ReadItemContext(Path.Combine(folder, "item_context.csv"), itemCount);
        return new LoggedBanditDataset($"{policy}/{campaign}", policy, campaign, itemCount, [.. actions], [.. positions], [.. rewards], [.. propensities], [.. timestamps],
            new FeatureMatrix(actions.Count, width, contexts), names, itemFeatures);
    }

    private static int WholeNumber(CsvLines csv, int index, string name)
    {
        var text = csv.Field(index, name);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw csv.Error($"{name} '{text}' is not a whole number.");
    }

    /// <summary>item_context.csv: item_id, item_feature_0 (numeric), item_feature_1.. (categorical, one-hot encoded).</summary>
    private static FeatureMatrix? ReadItemContext(string path, int itemCount)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        using var csv = new CsvLines(path, "item_id");
        var featureColumns = csv.Header.Where(h => h.StartsWith("item_feature_", StringComparison.Ordinal)).ToArray();
        var categorical = featureColumns.Skip(1).Select(_ => new IdMap()).ToArray();
        var rows = new Dictionary<int, (double Numeric, int[] Categories)>();
        while (csv.Read())
        {
            var id = (int)csv.WholeNumber("item_id");
            if (id < 0 || id >= itemCount)
            {
                throw csv.Error($"item_id {id} is outside 0..{itemCount - 1}.");
            }
            var first = featureColumns.Length > 0 ? csv.Number(featureColumns[0]) : 0;
            rows[id] = (first, featureColumns.Skip(1).Select((c, j) => categorical[j].GetOrAdd(csv.Text(c))).ToArray());
        }
        var width = (featureColumns.Length > 0 ? 1 : 0) + categorical.Sum(c => c.Count);
        var values = new double[itemCount * width];
        foreach (var (id, row) in rows)
        {
            var offset = id * width;
            if (featureColumns.Length > 0)
            {
                values[offset++] = row.Numeric;
            }
            for (var j = 0; j < categorical.Length; j++)
            {
                values[offset + row.Categories[j]] = 1;
                offset += categorical[j].Count;
            }
        }
        return new FeatureMatrix(itemCount, width, values);
    }
}
