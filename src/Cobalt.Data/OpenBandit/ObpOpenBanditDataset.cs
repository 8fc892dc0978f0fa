using System.Globalization;
using Cobalt.Core.Data;

namespace Cobalt.Data.OpenBandit;

/// <summary>
/// An Open Bandit Dataset log exactly as Open Bandit Pipeline 0.5.5 builds its <c>bandit_feedback</c> dictionary
/// (<c>OpenBanditDataset(...).obtain_batch_bandit_feedback()</c>): rounds in OBP's order, 0-based positions, the one-hot
/// user context OBP builds and the item features it builds.
/// </summary>
/// <param name="BehaviorPolicy">The logging policy ("random" or "bts").</param>
/// <param name="Campaign">The campaign ("men", "women", "all").</param>
/// <param name="Action">a_t, the item id.</param>
/// <param name="Position">p_t, OBP's dense rank of the file's position minus one.</param>
/// <param name="Reward">r_t, the click.</param>
/// <param name="Pscore">The logging policy's propensity of a_t.</param>
/// <param name="Context">x_t: the user features one-hot encoded, first category of each dropped (n_rounds x dim_context).</param>
/// <param name="ActionContext">The item features (n_actions x 4): item_feature_1..3 label-encoded, then item_feature_0.</param>
/// <param name="RowIds">The file's index column of each round, in OBP's order.</param>
public sealed record ObpBanditFeedback(string BehaviorPolicy, string Campaign, int[] Action, int[] Position, double[] Reward, double[] Pscore,
    FeatureMatrix Context, FeatureMatrix ActionContext, int[] RowIds)
{
    /// <summary>n_rounds.</summary>
    public int RoundCount => Action.Length;

    /// <summary>n_actions = max(action) + 1, as OBP counts them.</summary>
    public int ActionCount => Action.Max() + 1;

    /// <summary>len_list = max(position) + 1.</summary>
    public int ListLength => Position.Max() + 1;
}

/// <summary>
/// Open Bandit Pipeline's preprocessing of an Open Bandit Dataset campaign (<c>obp/dataset/real.py</c>,
/// <c>OpenBanditDataset.load_raw_data</c> and <c>pre_process</c>, st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Rows are sorted by the timestamp text with numpy's (unstable) quicksort, as <c>DataFrame.sort_values("timestamp")</c>
/// does; rows with equal timestamps come out in the order that sort leaves them (on the shipped random/men log two tied rows
/// swap), so the port repeats numpy's introsort (<see cref="NumpyQuicksort"/>).</item>
/// <item>position = scipy <c>rankdata(position, "dense")</c> - 1.</item>
/// <item>context = <c>pd.get_dummies(user_feature_*, drop_first=True)</c>: per user feature, one column per category
/// in sorted order, the first dropped; the user-item affinity columns are not used.</item>
/// <item>action_context = [LabelEncoder(item_feature_1..3) (index in the sorted distinct values), item_feature_0],
/// one row per line of item_context.csv.</item>
/// </list>
/// Cobalt's own <see cref="OpenBanditReader"/> keeps every category and the affinities; this one exists for parity.
/// </remarks>
public static class ObpOpenBanditDataset
{
    /// <summary>Reads <c>{root}/{behaviorPolicy}/{campaign}</c> as OBP does.</summary>
    public static ObpBanditFeedback Read(string root, string behaviorPolicy, string campaign)
    {
        ArgumentNullException.ThrowIfNull(root);
        var folder = Path.Combine(root, behaviorPolicy, campaign);
        var file = OpenBanditReader.FindCampaignFile(folder) ?? throw new DataFormatException(folder, 0, $"no Open Bandit Dataset campaign file here (expected {campaign}.csv).");
        var timestamps = new List<string>();
        var ids = new List<int>();
        var items = new List<int>();
        var rawPositions = new List<int>();
        var clicks = new List<double>();
        var pscores = new List<double>();
        var users = new List<string[]>();
        string[] userColumns;
        using (var csv = new CsvLines(file, "timestamp", "item_id", "position", "click", "propensity_score"))
        {
            userColumns = csv.Header.Where(h => h.StartsWith("user_feature", StringComparison.Ordinal)).ToArray();
            var hasIndex = csv.Header.Count > 0 && csv.Header[0].Length == 0;
            while (csv.Read())
            {
                ids.Add(hasIndex ? (int)csv.WholeNumber("") : ids.Count);
                timestamps.Add(csv.Text("timestamp"));
                var item = csv.WholeNumber("item_id");
                if (item is < 0 or > 1_000_000)
                {
                    throw csv.Error($"item_id {item} is outside 0..1000000.");
                }
                items.Add((int)item);
                var position = csv.WholeNumber("position");
                if (position is < 0 or > 1_000_000)
                {
                    throw csv.Error($"position {position} is outside 0..1000000.");
                }
                rawPositions.Add((int)position);
                clicks.Add(csv.Number("click"));
                var p = csv.Number("propensity_score");
                if (!(p > 0 && p <= 1))
                {
                    throw csv.Error($"propensity_score {p} must be in (0, 1].");
                }
                pscores.Add(p);
                users.Add(userColumns.Select(csv.Text).ToArray());
            }
        }
        if (ids.Count == 0)
        {
            throw new DataFormatException(Path.GetFileName(file), 0, "the file has a header but no rounds.");
        }
        var order = NumpyQuicksort.Argsort(timestamps.ToArray(), string.CompareOrdinal);
        var n = order.Length;
        var levels = rawPositions.Distinct().Order().ToArray();
        var action = order.Select(i => items[i]).ToArray();
        var positionOut = order.Select(i => Array.BinarySearch(levels, rawPositions[i])).ToArray();
        // get_dummies(drop_first=True): categories sorted, the first dropped.
        var categories = userColumns.Select((_, j) => users.Select(u => u[j]).Distinct().Order(StringComparer.Ordinal).ToArray()).ToArray();
        var offsets = new int[userColumns.Length + 1];
        for (var j = 0; j < userColumns.Length; j++)
        {
            offsets[j + 1] = offsets[j] + categories[j].Length - 1;
        }
        var width = offsets[^1];
        var context = new double[n * width];
        for (var r = 0; r < n; r++)
        {
            var user = users[order[r]];
            for (var j = 0; j < userColumns.Length; j++)
            {
                var k = Array.BinarySearch(categories[j], user[j], StringComparer.Ordinal);
                if (k > 0)
                {
                    context[(r * width) + offsets[j] + k - 1] = 1;
                }
            }
        }
        var actionContext = ReadActionContext(Path.Combine(folder, "item_context.csv"));
        if (actionContext.Rows < action.Max() + 1)
        {
            throw new DataFormatException(Path.Combine(folder, "item_context.csv"), 0, $"{actionContext.Rows} items described; the log uses item {action.Max()}.");
        }
        return new ObpBanditFeedback(behaviorPolicy, campaign, action, positionOut, order.Select(i => clicks[i]).ToArray(), order.Select(i => pscores[i]).ToArray(),
            new FeatureMatrix(n, width, context), actionContext, order.Select(i => ids[i]).ToArray());
    }

    /// <summary>item_context.csv: the categorical item features label-encoded (sorted distinct values), then item_feature_0.</summary>
    private static FeatureMatrix ReadActionContext(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, 0, "OBP's preprocessing needs item_context.csv next to the campaign file.");
        }
        using var csv = new CsvLines(path, "item_id", "item_feature_0");
        var categorical = csv.Header.Where(h => h.Length > 0 && h != "item_id" && h != "item_feature_0").ToArray();
        var numeric = new List<double>();
        var texts = new List<string[]>();
        while (csv.Read())
        {
            numeric.Add(csv.Number("item_feature_0"));
            texts.Add(categorical.Select(csv.Text).ToArray());
        }
        var encoders = categorical.Select((_, j) => texts.Select(t => t[j]).Distinct().Order(StringComparer.Ordinal).ToArray()).ToArray();
        var width = categorical.Length + 1;
        var values = new double[texts.Count * width];
        for (var r = 0; r < texts.Count; r++)
        {
            for (var j = 0; j < categorical.Length; j++)
            {
                values[(r * width) + j] = Array.BinarySearch(encoders[j], texts[r][j], StringComparer.Ordinal);
            }
            values[(r * width) + categorical.Length] = numeric[r];
        }
        return new FeatureMatrix(texts.Count, width, values);
    }
}

/// <summary>
/// numpy's <c>argsort(kind="quicksort")</c> (numpy 1.24 <c>npysort/quicksort.cpp</c> <c>aquicksort_</c>): introsort with a
/// median-of-three pivot, partitions of at most 16 elements finished by insertion sort, heapsort past depth 2 log2(n).
/// Unstable: equal keys come out in the order this exact sequence of swaps leaves them, which is what this port is for.
/// </summary>
public static class NumpyQuicksort
{
    private const int SmallQuicksort = 16;

    /// <summary>The permutation numpy's quicksort argsort gives for <paramref name="keys"/> under <paramref name="compare"/>.</summary>
    public static int[] Argsort<T>(T[] keys, Comparison<T> compare)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(compare);
        var tosort = Enumerable.Range(0, keys.Length).ToArray();
        if (keys.Length < 2)
        {
            return tosort;
        }
        bool Less(int i, int j) => compare(keys[i], keys[j]) < 0;
        var stack = new Stack<(int Low, int High, int Depth)>();
        int pl = 0, pr = keys.Length - 1;
        var depth = 2 * (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)keys.Length));
        while (true)
        {
            if (depth < 0)
            {
                HeapSort(tosort, pl, pr, Less);
            }
            else
            {
                while (pr - pl > SmallQuicksort)
                {
                    var pm = pl + ((pr - pl) >> 1);
                    if (Less(tosort[pm], tosort[pl]))
                    {
                        Swap(tosort, pm, pl);
                    }
                    if (Less(tosort[pr], tosort[pm]))
                    {
                        Swap(tosort, pr, pm);
                    }
                    if (Less(tosort[pm], tosort[pl]))
                    {
                        Swap(tosort, pm, pl);
                    }
                    var vp = tosort[pm];
                    int pi = pl, pj = pr - 1;
                    Swap(tosort, pm, pj);
                    while (true)
                    {
                        do
                        {
                            pi++;
                        }
                        while (Less(tosort[pi], vp));
                        do
                        {
                            pj--;
                        }
                        while (Less(vp, tosort[pj]));
                        if (pi >= pj)
                        {
                            break;
                        }
                        Swap(tosort, pi, pj);
                    }
                    Swap(tosort, pi, pr - 1);
                    // The larger partition waits on the stack.
                    if (pi - pl < pr - pi)
                    {
                        stack.Push((pi + 1, pr, --depth));
                        pr = pi - 1;
                    }
                    else
                    {
                        stack.Push((pl, pi - 1, --depth));
                        pl = pi + 1;
                    }
                }
                for (var pi = pl + 1; pi <= pr; pi++)
                {
                    var vi = tosort[pi];
                    var pj = pi;
                    while (pj > pl && Less(vi, tosort[pj - 1]))
                    {
                        tosort[pj] = tosort[pj - 1];
                        pj--;
                    }
                    tosort[pj] = vi;
                }
            }
            if (stack.Count == 0)
            {
                return tosort;
            }
            (pl, pr, depth) = stack.Pop();
        }
    }

    private static void Swap(int[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);

    /// <summary>numpy's <c>aheapsort_</c> on tosort[low..high] (1-based heap over the slice).</summary>
    private static void HeapSort(int[] tosort, int low, int high, Func<int, int, bool> less)
    {
        var n = high - low + 1;
        int At(int k) => tosort[low + k - 1];
        void Set(int k, int v) => tosort[low + k - 1] = v;
        int i, j, l, tmp;
        for (l = n >> 1; l > 0; --l)
        {
            tmp = At(l);
            for (i = l, j = l << 1; j <= n;)
            {
                if (j < n && less(At(j), At(j + 1)))
                {
                    j += 1;
                }
                if (less(tmp, At(j)))
                {
                    Set(i, At(j));
                    i = j;
                    j += j;
                }
                else
                {
                    break;
                }
            }
            Set(i, tmp);
        }
        for (; n > 1;)
        {
            tmp = At(n);
            Set(n, At(1));
            n -= 1;
            for (i = 1, j = 2; j <= n;)
            {
                if (j < n && less(At(j), At(j + 1)))
                {
                    j++;
                }
                if (less(tmp, At(j)))
                {
                    Set(i, At(j));
                    i = j;
                    j += j;
                }
                else
                {
                    break;
                }
            }
            Set(i, tmp);
        }
    }
}

/// <summary>Finds the Open Bandit Dataset sample shipped in the repository (<c>data/open-bandit-dataset-sample</c>).</summary>
public static class ShippedOpenBandit
{
    /// <summary>The shipped sample's path relative to the repository root.</summary>
    public static readonly string RelativePath = Path.Combine("data", "open-bandit-dataset-sample");

    /// <summary>The sample's folder, found above the working directory or the program's folder, or null.</summary>
    public static string? TryFind()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, RelativePath);
                if (Directory.Exists(Path.Combine(candidate, "random")) && Directory.Exists(Path.Combine(candidate, "bts")))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
