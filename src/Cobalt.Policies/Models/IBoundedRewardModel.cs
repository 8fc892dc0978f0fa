using Cobalt.Core.Contracts;
using Cobalt.Core.Data;

namespace Cobalt.Policies.Models;

/// <summary>
/// A reward model whose upper-confidence-bound scores mean + beta width can be bounded from above for every candidate
/// without computing them, so a policy that keeps only the top m scores computes the exact estimates of the few
/// candidates whose bound reaches the m-th best score (<see cref="BoundedSelection"/>) and skips the rest.
/// </summary>
/// <remarks>
/// The bounds come from what the model keeps anyway: a width never grows while the design matrix only grows
/// (A' = A + x xᵀ gives A'^-1 ≼ A^-1), and |x . theta' - x . theta| ≤ ||x|| ||theta' - theta|| (Cauchy-Schwarz).
/// </remarks>
public interface IBoundedRewardModel : IRewardModel
{
    /// <summary>
    /// Writes upper[i] ≥ the score an <c>UpperConfidenceBound(beta)</c> strategy would give candidate i from the
    /// estimates <see cref="IRewardModel.Estimate"/> would write now (mean[i] + beta width[i], +infinity for an infinite
    /// width); NaN or +infinity where nothing is known. Returns false when the model cannot bound these candidates (the
    /// caller then estimates every candidate).
    /// </summary>
    bool TryUpperBounds(DecisionContext context, double beta, Span<double> upper);

    /// <summary>
    /// Tightens the bounds of the candidates at <paramref name="positions"/> with work cheaper than their exact estimates
    /// (for instance exact means, O(d) each, with the widths still bounded): upper[r] ≥ the score of candidate
    /// positions[r], as for <see cref="TryUpperBounds"/>. Called only after <see cref="TryUpperBounds"/> returned true for the context.
    /// </summary>
    void RefineUpperBounds(DecisionContext context, double beta, ReadOnlySpan<int> positions, Span<double> upper);

    /// <summary>
    /// Writes the mean and width of the candidates at <paramref name="positions"/> (positions in the context's candidate
    /// set; one value per position), equal bit for bit to what <see cref="IRewardModel.Estimate"/> would write for them now.
    /// </summary>
    void EstimateAt(DecisionContext context, ReadOnlySpan<int> positions, Span<double> mean, Span<double> uncertainty);
}
