using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;

namespace Cobalt.Simulation.Experiments;

/// <summary>
/// The seed of a policy's own random streams (tie-breaks, sampling, exploration draws) in one trial, shared by
/// <see cref="ExperimentRunner"/> and the studies (<see cref="Studies.StudyRunner.PolicySeed"/>).
/// </summary>
/// <remarks>
/// seed = Seeds.Derive(trialSeed, "policy/" + kind + "/" + canonical options JSON), where the JSON is
/// <see cref="OptionsBinder.ToJson"/> of the policy's options: every settable option, defaults included, in declaration
/// order, so two specifications that bind to equal options give the same text. The display name plays no part:
/// renaming a policy leaves its numbers unchanged bit for bit, and any change of kind or option gives another stream.
/// Two policies of one experiment with identical configurations (under different names) therefore get identical seeds
/// and, meeting the same trial, make identical decisions: that is the honest outcome, since they are one method, and it
/// shows in the report as two equal rows rather than as a difference that is only tie-break noise.
/// </remarks>
public static class PolicySeeds
{
    /// <summary>The seed of <paramref name="spec"/>'s random streams in the trial seeded <paramref name="trialSeed"/> (see the remarks).</summary>
    public static ulong For(ulong trialSeed, PolicySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Seeds.Derive(trialSeed, "policy/" + spec.Kind + "/" + OptionsBinder.ToJson(spec.Options));
    }
}
