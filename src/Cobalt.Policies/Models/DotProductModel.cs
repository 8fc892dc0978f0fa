using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>
/// A two-tower prediction: mean rho(z_u^T x_i) of user and item representations of one dimension, with no uncertainty
/// and no parameters of its own (the representations learn elsewhere). N-Greedy of the two-stage paper's Table 3.
/// </summary>
public sealed class DotProductModel : IRewardModel
{
    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var z = context.UserFeatures.Span;
        if (z.Length != context.Candidates.Dimension)
        {
            throw new ArgumentException($"A two-tower model needs user and item vectors of one dimension; got {z.Length} and {context.Candidates.Dimension}.", nameof(context));
        }
        for (var i = 0; i < context.Candidates.Count; i++)
        {
            mean[i] = OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(z, context.Candidates.Features(i)));
        }
        uncertainty[..context.Candidates.Count].Clear();
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer) => writer?.Tag("dot-product");

    /// <inheritdoc />
    public void ReadState(StateReader reader) => reader?.Tag("dot-product");
}
