namespace Cobalt.Core.Data;

/// <summary>One position of a slate: which candidate was chosen and with what probability.</summary>
/// <param name="CandidateIndex">Position of the chosen action in the context's candidate set.</param>
/// <param name="ActionId">Id of the chosen action.</param>
/// <param name="Propensity">
/// Probability with which the policy chose this action for this slot, given the slots before it;
/// null where the policy has no closed form (Thompson sampling, stochastic candidate stages).
/// </param>
public readonly record struct SlateSlot(int CandidateIndex, int ActionId, double? Propensity);

/// <summary>A policy's choice for one round: a slate of distinct actions (a single action is a slate of one).</summary>
public sealed class Decision
{
    /// <summary>Creates a decision; slots must name distinct candidates.</summary>
    /// <param name="context">The context the decision was made in.</param>
    /// <param name="slots">The chosen actions in slate order.</param>
    /// <param name="shortlist">
    /// For multi-stage policies, the positions (in the context's candidates) the final stage chose from, for example the
    /// nominators' candidates; it must contain every slot. Null when the policy considered every candidate.
    /// </param>
    /// <param name="firstSlotProbabilities">
    /// The probability each candidate had of filling the first slot, when the policy has a closed form (one entry per
    /// candidate, summing to 1); null otherwise.
    /// </param>
    public Decision(DecisionContext context, IReadOnlyList<SlateSlot> slots, IReadOnlyList<int>? shortlist = null, IReadOnlyList<double>? firstSlotProbabilities = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(slots);
        var seen = new HashSet<int>();
        foreach (var slot in slots)
        {
            if ((uint)slot.CandidateIndex >= (uint)context.Candidates.Count || context.Candidates.Ids[slot.CandidateIndex] != slot.ActionId)
            {
                throw new ArgumentException($"Slot ({slot.CandidateIndex}, action {slot.ActionId}) does not name a candidate of the context.", nameof(slots));
            }
            if (!seen.Add(slot.CandidateIndex))
            {
                throw new ArgumentException($"Candidate {slot.CandidateIndex} appears twice in one slate.", nameof(slots));
            }
        }
        if (shortlist is not null && slots.Any(slot => !shortlist.Contains(slot.CandidateIndex)))
        {
            throw new ArgumentException("Every chosen action must be on the shortlist the final stage chose from.", nameof(shortlist));
        }
        if (firstSlotProbabilities is not null
            && (firstSlotProbabilities.Count != context.Candidates.Count
                || (firstSlotProbabilities is not TiedArgmax // valid by construction
                    && (firstSlotProbabilities.Any(p => !(p >= 0 && p <= 1)) || Math.Abs(firstSlotProbabilities.Sum() - 1) > 1e-6))))
        {
            throw new ArgumentException("First-slot probabilities need one probability per candidate, summing to 1.", nameof(firstSlotProbabilities));
        }
        Context = context;
        Slots = slots;
        Shortlist = shortlist;
        FirstSlotProbabilities = firstSlotProbabilities;
    }

    /// <summary>The probability each candidate had of filling the first slot, when the policy has a closed form; otherwise null.</summary>
    public IReadOnlyList<double>? FirstSlotProbabilities { get; }

    /// <summary>The positions the final stage chose from (multi-stage policies), or null.</summary>
    public IReadOnlyList<int>? Shortlist { get; }

    /// <summary>The context the decision was made in (its candidate set is the one the indices refer to).</summary>
    public DecisionContext Context { get; }

    /// <summary>The chosen actions in slate order.</summary>
    public IReadOnlyList<SlateSlot> Slots { get; }

    /// <summary>The first (or only) chosen action.</summary>
    public SlateSlot Top => Slots[0];

    /// <summary>Feedback records for this decision given one reward per slot.</summary>
    public Feedback[] ToFeedback(ReadOnlySpan<double> rewards)
    {
        if (rewards.Length != Slots.Count)
        {
            throw new ArgumentException($"{rewards.Length} rewards given for a slate of {Slots.Count}.", nameof(rewards));
        }
        var feedback = new Feedback[Slots.Count];
        for (var i = 0; i < feedback.Length; i++)
        {
            feedback[i] = new Feedback(Context, Slots[i].CandidateIndex, rewards[i], Slots[i].Propensity, i);
        }
        return feedback;
    }
}
