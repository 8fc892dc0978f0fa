using System.Buffers;
using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>How a linear model computes the batched widths ||x||_{A^-1} of candidates whose features change every round.</summary>
public enum WidthMethod
{
    /// <summary>x^T A^-1 x through the kept inverse: W = X A^-1 by the GEMM, then x . w per row (2 d^2 multiply-adds a row).</summary>
    Inverse,

    /// <summary>
    /// ||M x||^2 through the inverse Cholesky factor M = L^-1 (A = L L^T), kept in step with every update in O(d^2): a
    /// triangular product, about half the multiply-adds of <see cref="Inverse"/>; equal to it up to rounding.
    /// </summary>
    Factor,
}

/// <summary>
/// One ridge regression shared by all actions: mean theta^T x, width ||x||_{A^-1}; posterior draws
/// theta~ ~ N(theta, v^2 A^-1) for linear Thompson sampling.
/// </summary>
/// <remarks>
/// Shared-parameter LinUCB (Li et al. 2010; Abbasi-Yadkori et al. 2011) and linear Thompson sampling
/// (Agrawal and Goyal 2013). When the features are catalogue rows and <c>cacheCatalog</c> is on,
/// widths come from a cache updated in O(N d) per observation instead of O(N d^2) per round.
/// <see cref="Estimate"/> may run on several threads at once while nothing updates the model (a service ranks with many
/// readers between learned batches): its scratch vectors are rented per call, and the catalogue cache is built under a lock.
/// <see cref="SamplePosterior"/> and <see cref="Update"/> still need one caller at a time.
/// With <see cref="WidthMethod.Factor"/> the batched widths (16 candidates or more) come from the inverse Cholesky factor
/// (<see cref="InverseCholesky"/>, <see cref="TriangularForms"/>), in float64 or, with <see cref="CatalogPrecision.Bits32"/>,
/// from float32 copies of the rows and the factor (widths to about 1e-6 relative; the means x . theta stay float64). Means,
/// theta and the row-by-row path are those of the default in every mode.
/// </remarks>
public sealed class LinearModel : IRewardModel, IPosteriorSampler
{
    private readonly FeatureReader _features;
    private readonly RidgeRegression _ridge;
    private readonly CatalogWidthCache? _cache;
    private readonly double _posteriorScale;
    private readonly double[] _draw;
    private readonly InverseCholesky? _factor;
    private readonly CatalogPrecision _precision;

    /// <summary>Creates the model.</summary>
    /// <param name="map">How features are built from user and candidate.</param>
    /// <param name="userDimension">User feature dimension.</param>
    /// <param name="itemDimension">Candidate feature dimension.</param>
    /// <param name="ridge">lambda of A = lambda I + sum x x^T.</param>
    /// <param name="posteriorScale">v of the Thompson posterior N(theta, v^2 A^-1).</param>
    /// <param name="cacheCatalog">Cache catalogue widths (only used with <see cref="FeatureMap.Item"/>).</param>
    /// <param name="refactorEvery">Rank-one updates between re-factorisations of A.</param>
    /// <param name="widths">How batched widths are computed: through A^-1 (the default) or the inverse Cholesky factor.</param>
    /// <param name="precision">Element type of the factor's width pass (<see cref="CatalogPrecision.Bits32"/> needs <see cref="WidthMethod.Factor"/>).</param>
    public LinearModel(FeatureMap map, int userDimension, int itemDimension, double ridge = 1.0, double posteriorScale = 1.0, bool cacheCatalog = true, int refactorEvery = 1000,
        WidthMethod widths = WidthMethod.Inverse, CatalogPrecision precision = CatalogPrecision.Bits64)
    {
        if (precision == CatalogPrecision.Bits32 && widths != WidthMethod.Factor)
        {
            throw new ArgumentException("Float32 widths come from the triangular factor: use WidthMethod.Factor with CatalogPrecision.Bits32.", nameof(precision));
        }
        _features = new FeatureReader(map, userDimension, itemDimension);
        _ridge = new RidgeRegression(_features.Dimension, ridge, refactorEvery);
        _cache = cacheCatalog && map == FeatureMap.Item ? new CatalogWidthCache(_ridge.Design) : null;
        _posteriorScale = posteriorScale;
        _draw = new double[_features.Dimension];
        _precision = precision;
        if (widths == WidthMethod.Factor)
        {
            _factor = new InverseCholesky(_features.Dimension, ridge, keep64: precision == CatalogPrecision.Bits64, keep32: precision == CatalogPrecision.Bits32);
            _factor.Version = _ridge.Design.Version;
        }
    }

    /// <summary>How batched widths are computed.</summary>
    public WidthMethod Widths => _factor is null ? WidthMethod.Inverse : WidthMethod.Factor;

    /// <summary>The underlying regression.</summary>
    public RidgeRegression Regression => _ridge;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        if (_cache is not null && candidates.Catalog is not null)
        {
            lock (_cache) // the cache is built on first sight of a catalogue; concurrent readers take turns here only
            {
                if (_cache.TryGetForms(candidates, out var forms))
                {
                    var ids = candidates.Ids;
                    for (var i = 0; i < ids.Length; i++)
                    {
                        mean[i] = _ridge.Predict(candidates.Features(i));
                        uncertainty[i] = Math.Sqrt(forms[ids[i]]);
                    }
                    return;
                }
            }
        }
        var n = candidates.Count;
        var d = _features.Dimension;
        var item = _features.Map == FeatureMap.Item;
        if (n >= BatchFrom)
        {
            // Features that change every round: all n means and widths in one fused pass of the kernel layer
            // (W = X A^-1 by the register-blocked GEMM, then x . theta and x . w per row).
            var rows = item && candidates.Dimension == d ? candidates.ContiguousFeatures : default;
            double[]? rented = null;
            try
            {
                if (rows.IsEmpty)
                {
                    rented = ArrayPool<double>.Shared.Rent(n * d);
                    var batch = rented.AsSpan(0, n * d);
                    for (var i = 0; i < n; i++)
                    {
                        var row = batch.Slice(i * d, d);
                        if (item)
                        {
                            _features.Read(context, i).CopyTo(row);
                        }
                        else
                        {
                            _features.Map.Write(context, i, row);
                        }
                    }
                    rows = batch;
                }
                if (_factor is null)
                {
                    RowForms.Compute(rows, d, _ridge.Design.Inverse, _ridge.Theta, mean[..n], uncertainty[..n]);
                }
                else
                {
                    var factor = CurrentFactor();
                    if (_precision == CatalogPrecision.Bits32)
                    {
                        TriangularForms.Compute(rows, d, factor.Upper32, _ridge.Theta, mean[..n], uncertainty[..n]);
                    }
                    else
                    {
                        TriangularForms.Compute(rows, d, factor.Upper, _ridge.Theta, mean[..n], uncertainty[..n]);
                    }
                }
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<double>.Shared.Return(rented);
                }
            }
            TensorPrimitives.Sqrt(uncertainty[..n], uncertainty[..n]);
            return;
        }
        double[]? scratch = item ? null : ArrayPool<double>.Shared.Rent(d);
        try
        {
            for (var i = 0; i < n; i++)
            {
                var x = Read(context, i, scratch.AsSpan(0, item ? 0 : d));
                mean[i] = _ridge.Predict(x);
                uncertainty[i] = _ridge.Width(x);
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<double>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>
    /// The features of candidate <paramref name="candidateIndex"/> as <see cref="FeatureReader.Read"/> gives them, mapped into
    /// the caller's <paramref name="scratch"/> (d values; unused for <see cref="FeatureMap.Item"/>, whose row is returned as it
    /// is), so concurrent estimates share no buffer.
    /// </summary>
    private ReadOnlySpan<double> Read(DecisionContext context, int candidateIndex, Span<double> scratch)
    {
        if (_features.Map == FeatureMap.Item)
        {
            return _features.Read(context, candidateIndex); // the row itself, no buffer
        }
        _features.Map.Write(context, candidateIndex, scratch);
        return scratch;
    }

    /// <summary>The factor of the current A, rebuilt from A first if A changed other than by <see cref="Update"/> (a load).</summary>
    private InverseCholesky CurrentFactor()
    {
        var factor = _factor!;
        var design = _ridge.Design;
        if (factor.Version != design.Version)
        {
            lock (factor)
            {
                if (factor.Version != design.Version)
                {
                    factor.Reset(design.Matrix);
                    factor.Version = design.Version;
                }
            }
        }
        return factor;
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
            var x = _features.Read(f.Context, f.CandidateIndex);
            var before = _ridge.Design.Version;
            var update = _ridge.Add(x, f.Reward);
            _cache?.Apply(update);
            if (_factor is not null)
            {
                if (update.Refactored || _factor.Version != before)
                {
                    _factor.Reset(_ridge.Design.Matrix); // in step with A^-1's re-factorisation
                }
                else
                {
                    _factor.Update(x);
                }
                _factor.Version = _ridge.Design.Version;
            }
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
