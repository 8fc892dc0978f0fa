namespace Cobalt.Core.Data;

/// <summary>
/// The actions a policy may choose from in one round: their ids and their feature rows.
/// Either the features belong to this round only (<see cref="FromFeatures"/>), or the ids
/// index a fixed <see cref="ItemCatalog"/> (<see cref="FromCatalog"/>) and nothing is copied.
/// </summary>
public sealed class CandidateSet
{
    private readonly int[] _ids;
    private readonly FeatureMatrix _features;

    private CandidateSet(int[] ids, FeatureMatrix features, ItemCatalog? catalog)
    {
        _ids = ids;
        _features = features;
        Catalog = catalog;
    }

    /// <summary>Candidates with features of their own (row i belongs to <c>ids[i]</c>).</summary>
    public static CandidateSet FromFeatures(int[] ids, FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        if (ids.Length != features.Rows)
        {
            throw new ArgumentException($"{ids.Length} action ids given for {features.Rows} feature rows.", nameof(ids));
        }
        CheckDistinctNonNegative(ids, int.MaxValue);
        return new CandidateSet(ids, features, null);
    }

    /// <summary>Candidates that are items of <paramref name="catalog"/>; features are the catalogue's rows.</summary>
    public static CandidateSet FromCatalog(ItemCatalog catalog, int[] itemIds)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(itemIds);
        CheckDistinctNonNegative(itemIds, catalog.Count);
        return new CandidateSet(itemIds, catalog.Features, catalog);
    }

    /// <summary>The catalogue the ids refer to, or null when the features belong to this round.</summary>
    public ItemCatalog? Catalog { get; }

    /// <summary>Number of candidates.</summary>
    public int Count => _ids.Length;

    /// <summary>Feature dimension.</summary>
    public int Dimension => _features.Columns;

    /// <summary>Action (item) ids, one per candidate.</summary>
    public ReadOnlySpan<int> Ids => _ids;

    /// <summary>Features of candidate <paramref name="index"/> (a position in this set, not an id).</summary>
    public ReadOnlySpan<double> Features(int index) =>
        Catalog is null ? _features.Row(index) : _features.Row(_ids[index]);

    /// <summary>
    /// The features of every candidate as one row-major block (row i = candidate i), when they are stored so: candidates
    /// with features of their own, or a catalogue's <see cref="ItemCatalog.All"/>; otherwise empty (read them row by row).
    /// </summary>
    public ReadOnlySpan<double> ContiguousFeatures =>
        Catalog is null || ReferenceEquals(this, Catalog.All()) ? _features.Values[..(_ids.Length * _features.Columns)] : ReadOnlySpan<double>.Empty;

    /// <summary>A subset of these candidates, given by positions in this set.</summary>
    public CandidateSet Subset(ReadOnlySpan<int> positions)
    {
        var ids = new int[positions.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            ids[i] = _ids[positions[i]];
        }
        if (Catalog is not null)
        {
            return FromCatalog(Catalog, ids);
        }
        var values = new double[positions.Length * Dimension];
        for (var i = 0; i < positions.Length; i++)
        {
            Features(positions[i]).CopyTo(values.AsSpan(i * Dimension, Dimension));
        }
        return FromFeatures(ids, new FeatureMatrix(positions.Length, Dimension, values));
    }

    private static void CheckDistinctNonNegative(int[] ids, int exclusiveMax)
    {
        var seen = new HashSet<int>();
        foreach (var id in ids)
        {
            if (id < 0 || id >= exclusiveMax)
            {
                throw new ArgumentException(
                    exclusiveMax == int.MaxValue ? $"Action id {id} is negative." : $"Item id {id} is outside the catalogue [0, {exclusiveMax}).",
                    nameof(ids));
            }
            if (!seen.Add(id))
            {
                throw new ArgumentException($"Action id {id} appears twice in one candidate set.", nameof(ids));
            }
        }
    }
}
