namespace Cobalt.Core.Data;

/// <summary>
/// Everything a policy sees when it must decide: the round number, the user (an id and
/// optional features shared by all candidates), and the candidate actions.
/// </summary>
public sealed class DecisionContext
{
    /// <summary>Creates a context; user features must be finite.</summary>
    public DecisionContext(long round, int userId, double[] userFeatures, CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(userFeatures);
        ArgumentNullException.ThrowIfNull(candidates);
        var bad = FeatureMatrix.FirstNonFinite(userFeatures);
        if (bad >= 0)
        {
            throw new ArgumentException($"User feature {bad} is {userFeatures[bad]}; features must be finite.", nameof(userFeatures));
        }
        Round = round;
        UserId = userId;
        UserFeatures = userFeatures;
        Candidates = candidates;
    }

    private DecisionContext(DecisionContext source, CandidateSet candidates)
    {
        Round = source.Round;
        UserId = source.UserId;
        UserFeatures = source.UserFeatures;
        Candidates = candidates;
    }

    /// <summary>A context with no user.</summary>
    public DecisionContext(long round, CandidateSet candidates) : this(round, NoUser, [], candidates)
    {
    }

    /// <summary>The user id used when a context has no user.</summary>
    public const int NoUser = -1;

    /// <summary>Round number t (0-based).</summary>
    public long Round { get; }

    /// <summary>User id, or <see cref="NoUser"/>.</summary>
    public int UserId { get; }

    /// <summary>Features of the user, shared by every candidate (may be empty).</summary>
    public ReadOnlyMemory<double> UserFeatures { get; }

    /// <summary>The user features, checked to have the <paramref name="dimension"/> a model was built for.</summary>
    /// <exception cref="ArgumentException">They have another length.</exception>
    public ReadOnlySpan<double> UserFeaturesOf(int dimension) =>
        UserFeatures.Length == dimension
            ? UserFeatures.Span
            : throw new ArgumentException($"The context has {UserFeatures.Length} user features; the model was built for {dimension}.");

    /// <summary>The actions to choose from.</summary>
    public CandidateSet Candidates { get; }

    /// <summary>The same user and round with a narrower candidate set.</summary>
    public DecisionContext WithCandidates(CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return new DecisionContext(this, candidates);
    }
}
