namespace Cobalt.Core.Data;

/// <summary>The observed reward of one shown action, with what is needed to learn from it.</summary>
public sealed record Feedback
{
    /// <summary>Creates a feedback record; the reward must be finite and the index inside the candidate set.</summary>
    public Feedback(DecisionContext context, int candidateIndex, double reward, double? propensity = null, int position = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        if ((uint)candidateIndex >= (uint)context.Candidates.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(candidateIndex), candidateIndex, $"The context has {context.Candidates.Count} candidates.");
        }
        if (!double.IsFinite(reward))
        {
            throw new ArgumentOutOfRangeException(nameof(reward), reward, "Rewards must be finite.");
        }
        if (propensity is { } p && !(p > 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(propensity), propensity, "A propensity must be in (0, 1].");
        }
        Context = context;
        CandidateIndex = candidateIndex;
        Reward = reward;
        Propensity = propensity;
        Position = position;
    }

    /// <summary>The context the action was chosen in.</summary>
    public DecisionContext Context { get; }

    /// <summary>Position of the action in the context's candidate set.</summary>
    public int CandidateIndex { get; }

    /// <summary>The observed reward.</summary>
    public double Reward { get; }

    /// <summary>Probability with which the action was chosen, when known.</summary>
    public double? Propensity { get; }

    /// <summary>Slot of the action in its slate (0 = top).</summary>
    public int Position { get; }

    /// <summary>Id of the action.</summary>
    public int ActionId => Context.Candidates.Ids[CandidateIndex];

    /// <summary>Features of the action.</summary>
    public ReadOnlySpan<double> Features => Context.Candidates.Features(CandidateIndex);

    /// <summary>The user's id.</summary>
    public int UserId => Context.UserId;
}
