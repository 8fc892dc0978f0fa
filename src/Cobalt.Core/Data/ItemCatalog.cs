namespace Cobalt.Core.Data;

/// <summary>
/// A fixed set of items whose features do not change between rounds. Candidate sets drawn from
/// a catalogue refer to its rows by item id, so reward models may cache per-item quantities
/// (for example x^T A^-1 x) and keep them up to date instead of recomputing them every round.
/// </summary>
public sealed class ItemCatalog
{
    private readonly CandidateSet _all;

    /// <summary>
    /// Creates a catalogue whose item i has features <c>features.Row(i)</c>, topic <c>topics[i]</c> and title <c>titles[i]</c>,
    /// and whose topic t is called <c>topicNames[t]</c> (all optional).
    /// </summary>
    public ItemCatalog(FeatureMatrix features, int[]? topics = null, IReadOnlyList<string>? titles = null, IReadOnlyList<string>? topicNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (topics is not null && topics.Length != features.Rows)
        {
            throw new ArgumentException($"{topics.Length} topics given for {features.Rows} items.", nameof(topics));
        }
        if (topics is not null && topics.Any(t => t < 0))
        {
            throw new ArgumentException("Topic ids must be non-negative.", nameof(topics));
        }
        if (titles is not null && titles.Count != features.Rows)
        {
            throw new ArgumentException($"{titles.Count} titles given for {features.Rows} items.", nameof(titles));
        }
        if (topicNames is not null && (topics is null || topics.Any(t => t >= topicNames.Count)))
        {
            throw new ArgumentException($"{topicNames.Count} topic names given; every topic id of the items needs one (index = id).", nameof(topicNames));
        }
        Features = features;
        Topics = topics;
        Titles = titles;
        TopicNames = topicNames;
        _all = CandidateSet.FromCatalog(this, Enumerable.Range(0, features.Rows).ToArray());
    }

    /// <summary>Item features, one row per item id.</summary>
    public FeatureMatrix Features { get; }

    /// <summary>Topic id of each item, when the catalogue has topics.</summary>
    public IReadOnlyList<int>? Topics { get; }

    /// <summary>Title of each item, when the catalogue has text (for text encoders such as NRMS).</summary>
    public IReadOnlyList<string>? Titles { get; }

    /// <summary>Name of each topic id (index = id), when the catalogue has them (for topic encoders).</summary>
    public IReadOnlyList<string>? TopicNames { get; }

    /// <summary>Number of items.</summary>
    public int Count => Features.Rows;

    /// <summary>Feature dimension.</summary>
    public int Dimension => Features.Columns;

    /// <summary>A candidate set holding every item of the catalogue (one shared instance: nothing is copied or re-checked per round).</summary>
    public CandidateSet All() => _all;
}
