using Cobalt.Core.Data;
using Cobalt.Core.Persistence;

namespace Cobalt.Service.Loops;

/// <summary>
/// A rank call as the event log keeps it: enough to rebuild the decision context and learn from its rewards later
/// (context features, the actions' ids and features, the chosen positions and their propensities).
/// </summary>
/// <param name="Context">Shared context features.</param>
/// <param name="ActionIds">Dense action ids of the candidates (the loop's id map).</param>
/// <param name="ActionFeatures">Candidate features, row-major.</param>
/// <param name="Chosen">Chosen candidate positions, in slate order.</param>
/// <param name="Propensities">Probability of each chosen slot given the slots before it (NaN when the policy has none).</param>
/// <param name="FirstSlot">
/// Every candidate's probability of filling the first slot (the logging distribution evaluations check support against); null
/// in events logged before it was kept.
/// </param>
public sealed record StoredDecision(double[] Context, int[] ActionIds, double[] ActionFeatures, int[] Chosen, double[] Propensities, double[]? FirstSlot = null)
{
    /// <summary>The decision context this call was ranked in.</summary>
    public DecisionContext ToContext(long round, int actionDimension) =>
        new(round, DecisionContext.NoUser, Context, CandidateSet.FromFeatures(ActionIds, new FeatureMatrix(ActionIds.Length, actionDimension, ActionFeatures)));

    /// <summary>Serialises the decision.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new StateWriter(stream))
        {
            writer.Tag("decision");
            writer.Write(Context);
            writer.Write(ActionIds);
            writer.Write(ActionFeatures);
            writer.Write(Chosen);
            writer.Write(Propensities);
            if (FirstSlot is not null)
            {
                writer.Write(FirstSlot); // optional trailing field: older payloads end before it
            }
        }
        return stream.ToArray();
    }

    /// <summary>Reads a decision written by <see cref="ToBytes"/>.</summary>
    public static StoredDecision FromBytes(byte[] bytes)
    {
        var stream = new MemoryStream(bytes);
        using var reader = new StateReader(stream);
        reader.Tag("decision");
        var decision = new StoredDecision(reader.ReadDoubles("context"), reader.ReadInts("action ids"), reader.ReadDoubles("action features"), reader.ReadInts("chosen"), reader.ReadDoubles("propensities"));
        return stream.Position < stream.Length ? decision with { FirstSlot = reader.ReadDoubles("first-slot probabilities", decision.ActionIds.Length) } : decision;
    }
}

/// <summary>A decision from the log with the rewards received for it so far.</summary>
/// <param name="Sequence">Position in the loop's log.</param>
/// <param name="EventId">The caller-visible event id.</param>
/// <param name="CreatedMilliseconds">Unix time of the rank call (ms).</param>
/// <param name="Decision">What was ranked and chosen.</param>
/// <param name="Rewards">Reward per slot, NaN where none arrived.</param>
public sealed record LoggedEvent(long Sequence, string EventId, long CreatedMilliseconds, StoredDecision Decision, double[] Rewards);
