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
    public Decision(DecisionContext context, IReadOnlyList<SlateSlot> slots)
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
        Context = context;
        Slots = slots;
    }

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
