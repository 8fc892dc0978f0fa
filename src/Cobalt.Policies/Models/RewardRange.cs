using Cobalt.Core.Data;

namespace Cobalt.Policies.Models;

/// <summary>Checks a whole feedback batch before any of it is learned from, so a bad reward leaves the model untouched.</summary>
internal static class RewardRange
{
    /// <summary>Throws unless every reward is in [0, 1] (clicks or click probabilities).</summary>
    public static void RequireUnitInterval(ReadOnlySpan<Feedback> feedback, string model)
    {
        foreach (var f in feedback)
        {
            if (f.Reward is < 0 or > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(feedback), f.Reward, $"{model} needs rewards in [0, 1] (action {f.ActionId} got {f.Reward}).");
            }
        }
    }
}
