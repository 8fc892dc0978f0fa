using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// One ridge regression shared by all actions: mean theta^T x, width ||x||_{A^-1}; posterior draws
/// theta~ ~ N(theta, v^2 A^-1) for linear Thompson sampling.
/// </summary>
/// <remarks>
/// Shared-parameter LinUCB (Li et al. 2010; Abbasi-Yadkori et al. 2011) and linear Thompson sampling
/// (Agrawal and Goyal 2013). When the features are catalogue rows and <c>cacheCatalog</c> is on,
/// widths come from a cache updated in O(N d) per observation instead of O(N d^2) per round.
/// </remarks>
public sealed class LinearModel : IRewardModel, IPosteriorSampler
{
    private readonly FeatureReader _features;
    private readonly RidgeRegression _ridge;
    private readonly CatalogWidthCache? _cache;
    private readonly double _posteriorScale;
    private readonly double[] _draw;
    private double[] _batch = [];

    /// <summary>Creates the model.</summary>
    /// <param name="map">How features are built from user and candidate.</param>
    /// <param name="userDimension">User feature dimension.</param>
    /// <param name="itemDimension">Candidate feature dimension.</param>
    /// <param name="ridge">lambda of A = lambda I + sum x x^T.</param>
    /// <param name="posteriorScale">v of the Thompson posterior N(theta, v^2 A^-1).</param>
    /// <param name="cacheCatalog">Cache catalogue widths (only used with <see cref="FeatureMap.Item"/>).</param>
    /// <param name="refactorEvery">Rank-one updates between re-factorisations of A.</param>
    public LinearModel(FeatureMap map, int userDimension, int itemDimension, double ridge = 1.0, double posteriorScale = 1.0, bool cacheCatalog = true, int refactorEvery = 1000)
    {
        _features = new FeatureReader(map, userDimension, itemDimension);
        _ridge = new RidgeRegression(_features.Dimension, ridge, refactorEvery);
        _cache = cacheCatalog && map == FeatureMap.Item ? new CatalogWidthCache(_ridge.Design) : null;
        _posteriorScale = posteriorScale;
        _draw = new double[_features.Dimension];
    }

    /// <summary>The underlying regression.</summary>
    public RidgeRegression Regression => _ridge;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        if (_cache is not null && _cache.TryGetForms(candidates, out var forms))
        {
            var ids = candidates.Ids;
            for (var i = 0; i < ids.Length; i++)
            {
                mean[i] = _ridge.Predict(candidates.Features(i));
                uncertainty[i] = Math.Sqrt(forms[ids[i]]);
            }
            return;
        }
        var n = candidates.Count;
        if (n >= BatchFrom)
        {
            // Features that change every round: all n means and widths in one fused pass of the kernel layer
            // (W = X A^-1 by the register-blocked GEMM, then x . theta and x . w per row).
            var d = _features.Dimension;
            var rows = _features.Map == FeatureMap.Item && candidates.Dimension == d ? candidates.ContiguousFeatures : default;
            if (rows.IsEmpty)
            {
                if (_batch.Length < n * d)
                {
                    _batch = new double[n * d];
                }
                for (var i = 0; i < n; i++)
                {
                    _features.Read(context, i).CopyTo(_batch.AsSpan(i * d, d));
                }
                rows = _batch.AsSpan(0, n * d);
            }
            RowForms.Compute(rows, d, _ridge.Design.Inverse, _ridge.Theta, mean[..n], uncertainty[..n]);
            TensorPrimitives.Sqrt(uncertainty[..n], uncertainty[..n]);
            return;
        }
        for (var i = 0; i < n; i++)
        {
            var x = _features.Read(context, i);
            mean[i] = _ridge.Predict(x);
            uncertainty[i] = _ridge.Width(x);
        }
    }

    /// <summary>Candidate sets of at least this many go through the batched kernel (smaller ones, as in a service decision, row by row).</summary>
    internal const int BatchFrom = 16;

    /// <inheritdoc />
    public void SamplePosterior(DecisionContext context, Span<double> draws, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        _ridge.DrawTheta(_draw, _posteriorScale, rng);
        for (var i = 0; i < context.Candidates.Count; i++)
        {
            draws[i] = TensorPrimitives.Dot(_draw, _features.Read(context, i));
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        foreach (var f in feedback)
        {
            var update = _ridge.Add(_features.Read(f.Context, f.CandidateIndex), f.Reward);
            _cache?.Apply(update);
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("linear");
        _ridge.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("linear");
        _ridge.ReadState(reader);
        _cache?.Reset();
    }
}
