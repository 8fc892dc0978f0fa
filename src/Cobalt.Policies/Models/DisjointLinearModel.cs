using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// One ridge regression per action (disjoint LinUCB, Li et al. 2010, Algorithm 1): mean theta_a^T x,
/// width ||x||_{A_a^-1}. An action never updated has theta_a = 0 and A_a = lambda I.
/// </summary>
public sealed class DisjointLinearModel : IRewardModel, IPosteriorSampler
{
    private readonly FeatureReader _features;
    private readonly double _ridge;
    private readonly double _posteriorScale;
    private readonly int _refactorEvery;
    private readonly double[] _draw;
    private Dictionary<int, RidgeRegression> _arms = [];

    /// <summary>Creates the model (see <see cref="LinearModel"/> for the parameters).</summary>
    public DisjointLinearModel(FeatureMap map, int userDimension, int itemDimension, double ridge = 1.0, double posteriorScale = 1.0, int refactorEvery = 1000)
    {
        _features = new FeatureReader(map, userDimension, itemDimension);
        _ridge = ridge;
        _posteriorScale = posteriorScale;
        _refactorEvery = refactorEvery;
        _draw = new double[_features.Dimension];
    }

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ids = context.Candidates.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            var x = _features.Read(context, i);
            if (_arms.TryGetValue(ids[i], out var arm))
            {
                mean[i] = arm.Predict(x);
                uncertainty[i] = arm.Width(x);
            }
            else
            {
                mean[i] = 0;
                uncertainty[i] = Math.Sqrt(TensorPrimitives.Dot(x, x) / _ridge);
            }
        }
    }

    /// <inheritdoc />
    public void SamplePosterior(DecisionContext context, Span<double> draws, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rng);
        var ids = context.Candidates.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            if (_arms.TryGetValue(ids[i], out var arm))
            {
                arm.DrawTheta(_draw, _posteriorScale, rng);
            }
            else
            {
                rng.FillGaussian(_draw);
                TensorPrimitives.Multiply(_draw, _posteriorScale / Math.Sqrt(_ridge), _draw);
            }
            draws[i] = TensorPrimitives.Dot(_draw, _features.Read(context, i));
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        foreach (var f in feedback)
        {
            if (!_arms.TryGetValue(f.ActionId, out var arm))
            {
                arm = NewArm();
                _arms[f.ActionId] = arm;
            }
            arm.Add(_features.Read(f.Context, f.CandidateIndex), f.Reward);
        }
    }

    private RidgeRegression NewArm() => new(_features.Dimension, _ridge, _refactorEvery);

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("disjoint-linear");
        writer.Write(_arms);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("disjoint-linear");
        _arms = reader.ReadMap(_ => NewArm(), "disjoint arms");
    }
}
