using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>A model that knows nothing and learns nothing: every candidate has mean 0 and width 0 (the Random policy's model).</summary>
public sealed class UninformedModel : IRewardModel
{
    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        mean.Clear();
        uncertainty.Clear();
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer) => writer?.Tag("uninformed");

    /// <inheritdoc />
    public void ReadState(StateReader reader) => reader?.Tag("uninformed");
}
