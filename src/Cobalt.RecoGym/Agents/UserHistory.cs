namespace Cobalt.RecoGym.Agents;

/// <summary>
/// What an agent knows about the current user: the bag of words of the user's organic views so far
/// (upstream's <c>ViewsFeaturesProvider</c>, reset for every user), the distinct products viewed in order of
/// first view, and the last viewed product. <see cref="Stamp"/> changes whenever any of this changes and
/// never repeats, so agents can cache per-user computations.
/// </summary>
public sealed class UserHistory
{
    private static long s_nextStamp;
    private readonly int[] _counts;
    private readonly int[] _viewed;

    /// <summary>Creates an empty history for <paramref name="products"/> products.</summary>
    public UserHistory(int products)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(products, 1);
        _counts = new int[products];
        _viewed = new int[products];
        Reset();
    }

    /// <summary>P.</summary>
    public int Products => _counts.Length;

    /// <summary>x: organic view counts per product.</summary>
    public ReadOnlySpan<int> Counts => _counts;

    /// <summary>The distinct products viewed, in order of first view.</summary>
    public ReadOnlySpan<int> Viewed => _viewed.AsSpan(0, DistinctCount);

    /// <summary>Number of distinct products viewed.</summary>
    public int DistinctCount { get; private set; }

    /// <summary>Total number of organic views.</summary>
    public int Total { get; private set; }

    /// <summary>The last viewed product, or -1 before the first view.</summary>
    public int LastViewed { get; private set; }

    /// <summary>A value that changes with every view and reset, unique across all histories of the process.</summary>
    public long Stamp { get; private set; }

    /// <summary>Forgets everything (a new user).</summary>
    public void Reset()
    {
        foreach (var p in Viewed)
        {
            _counts[p] = 0;
        }
        DistinctCount = 0;
        Total = 0;
        LastViewed = -1;
        Stamp = Interlocked.Increment(ref s_nextStamp);
    }

    /// <summary>Records an organic view of <paramref name="product"/>.</summary>
    public void AddView(int product)
    {
        if ((uint)product >= (uint)_counts.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(product), product, $"Products are 0 to {_counts.Length - 1}.");
        }
        if (_counts[product]++ == 0)
        {
            _viewed[DistinctCount++] = product;
        }
        Total++;
        LastViewed = product;
        Stamp = Interlocked.Increment(ref s_nextStamp);
    }
}
