using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.LinearAlgebra.Kernels;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>
/// The shared generalised bilinear model of S-N-GBLM-UCB: mean rho(x^T Theta z), width ||vec(x z^T)||_{W^-1} with
/// W = I + sum vec(x z^T) vec(x z^T)^T (d1 d2 x d1 d2). For a fixed user the width is computed as sqrt(x^T M_z x) with
/// M_z = sum_{j,k} z_j z_k B_jk (B_jk the d1 x d1 blocks of W^-1): M_z costs O((d1 d2)^2) once per round, then every item
/// costs d1^2, never a d1 d2-vector per item.
/// </summary>
/// <remarks>
/// Two-stage neural contextual bandits paper, section 3.3 (S-N-GBLM-UCB); rho = sigmoid; Theta takes a gradient step on
/// the logistic loss (learning rate eta, the paper's 0.001) in every update that holds a click, W grows with every shown
/// item by Sherman-Morrison. vec(x z^T) is indexed (i, j) -> i d2 + j.
/// Upper bounds on the scores (<see cref="IBoundedRewardModel"/>), from each catalogue row's norm alone:
/// x^T Theta z ≤ ||x|| ||Theta z|| and x^T M_z x = vec(x zᵀ)ᵀ W^-1 vec(x zᵀ) ≤ ||x||^2 ||z||^2 / lambda (W ≽ lambda I).
/// W^-1 is kept by <see cref="PairInverse"/> (issue 19): its lower block triangle, streamed once per user for M_z and the
/// projection that gives the next update's W^-1 vec(x z^T) without another pass, the Sherman-Morrison updates folded in
/// 32 at a time; with <see cref="CatalogPrecision.Bits32"/> it is kept in float32 only (no float64 copy beneath it). With a
/// <c>refactorEvery</c> the full W and W^-1 are kept and updated at every update as before.
/// </remarks>
public sealed class BilinearModel : IBoundedRewardModel
{
    private readonly int _d1, _d2;
    private readonly double _learningRate;
    private readonly double[] _theta;       // d1 x d2
    private readonly DesignMatrix? _w;      // (d1 d2)^2, eager: with re-factorisations (or on request)
    private readonly PairInverse? _lazy;    // lower block triangle, deferred updates: the default
    private readonly double[] _v;           // vec(x z^T) scratch
    private readonly double[] _partial;     // (d1 d2) x d1 scratch for M_z
    private readonly double[] _mz;          // d1 x d1
    private readonly double[] _thetaZ;      // Theta z (d1)
    private (ReadOnlyMemory<double> User, long Version) _mzFor = (ReadOnlyMemory<double>.Empty, -1);
    private (ReadOnlyMemory<double> User, long Version) _slopeFor = (ReadOnlyMemory<double>.Empty, -1);
    private double _slope;
    private readonly double[] _eigenScratch;
    private readonly CatalogPrecision _precision;
    private readonly float[] _mz32, _thetaZ32;
    private double[] _gather = [];
    private float[] _gather32 = [], _rows32 = [];
    private ItemCatalog? _rowsOf, _normsOf;
    private double[] _norms = [], _boundScratch = [];
    private int[] _ids = [];

    /// <summary>The largest d1 d2 the model accepts: its inverse design matrix then takes 2.1 GB.</summary>
    public const int MaxPairDimension = 16_384;

    /// <summary>
    /// Creates the model for item features of dimension <paramref name="itemDimension"/> (d1) and user features of
    /// <paramref name="userDimension"/> (d2). Candidates are scored in blocks by the fused kernel (x . Theta z and
    /// x^T M_z x from one read of each row, <see cref="RowForms"/>), over catalogue items in float32 with
    /// <paramref name="catalogPrecision"/> = <see cref="CatalogPrecision.Bits32"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No user features, or d1 d2 above <see cref="MaxPairDimension"/>.</exception>
    public BilinearModel(int itemDimension, int userDimension, double learningRate = 0.001, int refactorEvery = int.MaxValue, CatalogPrecision catalogPrecision = CatalogPrecision.Bits64)
        : this(itemDimension, userDimension, learningRate, refactorEvery, catalogPrecision, eagerInverse: false)
    {
    }

    /// <summary>
    /// The same, with <paramref name="eagerInverse"/> choosing the full W^-1 updated by Sherman-Morrison at every update and
    /// read whole for every M_z (the model before issue 19's deferred updates; kept as the reference of the tests). With
    /// <paramref name="refactorEvery"/> set the full W and W^-1 are kept in any case (W is re-factorised).
    /// </summary>
    internal BilinearModel(int itemDimension, int userDimension, double learningRate, int refactorEvery, CatalogPrecision catalogPrecision, bool eagerInverse)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemDimension);
        if (userDimension <= 0)
        {
            throw new ArgumentException("The bilinear model (S-N-GBLM-UCB) needs user features; this world offers none.", nameof(userDimension));
        }
        var size = (long)itemDimension * userDimension;
        if (size > MaxPairDimension)
        {
            throw new ArgumentException(
                $"The bilinear model (S-N-GBLM-UCB) keeps a (d1 d2) x (d1 d2) matrix: d1 = {itemDimension} item and d2 = {userDimension} user features "
                + $"need {size * size * 8 / 1e9:0.#} GB; it allows d1 d2 <= {MaxPairDimension} ({(double)MaxPairDimension * MaxPairDimension * 8 / 1e9:0.#} GB). Use fewer features (the paper's are 64-dimensional).",
                nameof(itemDimension));
        }
        _d1 = itemDimension;
        _d2 = userDimension;
        _learningRate = learningRate;
        _theta = new double[_d1 * _d2];
        if (eagerInverse || refactorEvery != int.MaxValue)
        {
            _w = new DesignMatrix(_d1 * _d2, 1.0, refactorEvery, keepMatrix: refactorEvery != int.MaxValue);
            _partial = new double[_d1 * _d2 * _d1];
        }
        else
        {
            _lazy = new PairInverse(_d1, _d2, 1.0, single32: catalogPrecision == CatalogPrecision.Bits32);
            _partial = [];
        }
        _v = new double[_d1 * _d2];
        _mz = new double[_d1 * _d1];
        _thetaZ = new double[_d1];
        _eigenScratch = new double[_d1 * (_d1 + 2)];
        _precision = catalogPrecision;
        _mz32 = new float[_d1 * _d1];
        _thetaZ32 = new float[_d1];
    }

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var z = User(context);
        var candidates = context.Candidates;
        if (candidates.Dimension != _d1)
        {
            throw new ArgumentException($"Candidates have {candidates.Dimension} features; the model was built for {_d1}.", nameof(context));
        }
        // M_z is reused while neither the user nor W has changed (a two-stage round asks once per group).
        Prepare(context, z);
        var n = candidates.Count;
        if (_precision == CatalogPrecision.Bits32 && candidates.Catalog is { } catalog)
        {
            Score32(ReferenceEquals(candidates, catalog.All()) ? ReadOnlySpan<int>.Empty : candidates.Ids, catalog, mean[..n], uncertainty[..n]);
        }
        else
        {
            Score64(candidates, mean[..n], uncertainty[..n]);
        }
        Finish(mean[..n], uncertainty[..n]);
    }

    /// <summary>mean = sigmoid(logit), width = sqrt(max(form, 0)), element by element (no vector code: the same value wherever it stands).</summary>
    private static void Finish(Span<double> mean, Span<double> uncertainty)
    {
        for (var c = 0; c < mean.Length; c++)
        {
            mean[c] = OnlineLogisticRegression.Sigmoid(mean[c]);
            uncertainty[c] = Math.Sqrt(Math.Max(uncertainty[c], 0));
        }
    }

    /// <summary>Theta z into the model's buffer; M_z rebuilt unless it is for this user and this W already.</summary>
    private void Prepare(DecisionContext context, ReadOnlySpan<double> z)
    {
        for (var i = 0; i < _d1; i++)
        {
            _thetaZ[i] = TensorPrimitives.Dot(_theta.AsSpan(i * _d2, _d2), z);
        }
        var user = context.UserFeatures;
        if (!_mzFor.User.Equals(user) || _mzFor.Version != Version)
        {
            if (_lazy is not null)
            {
                _lazy.Prepare(z, _mz);
            }
            else
            {
                BuildUserMatrix(z);
            }
            _mzFor = (user, Version);
        }
    }

    /// <summary>Changes whenever W does.</summary>
    private long Version => _lazy?.Version ?? _w!.Version;

    /// <summary>lambda of W.</summary>
    private double Ridge => _lazy?.Ridge ?? _w!.Ridge;

    /// <summary>
    /// ||z|| / sqrt(lambda) with the rounding margins of the form: d^2 terms with M_z rounded to the scoring precision
    /// (<paramref name="unit"/>) and 1e-9 for W^-1's own float64 rounding; not used when W^-1 is stored in float32
    /// (<see cref="PairInverse.Single32"/>), whose folds round in float32 so that W^-1 ≼ I / lambda may fail in the last bits.
    /// </summary>
    /// <remarks>
    /// The smaller of that and a bound from the M_z the scoring uses (built here if not yet): x^T M_z x ≤ t ||x||^2 for any
    /// t with t I - M_z positive definite (t from a few power steps, checked by a Cholesky factorisation of t I - M_z), plus
    /// the scoring's rounding 2 (2 d1 + 3) d1 u max |M_z| ||x||^2 (the same margin, taken relative to the entries of M_z).
    /// Once W has grown this is far below ||z||^2 / lambda, so the bounds keep pruning as the model learns.
    /// </remarks>
    private double WidthSlope(DecisionContext context, ReadOnlySpan<double> z, double unit)
    {
        var loose = _lazy is { Single32: true }
            ? double.PositiveInfinity
            : TensorPrimitives.Dot(z, z) / Ridge * (1 + 2.0 * (2 * _d1 + 3) * _d1 * unit + 1e-9);
        Prepare(context, z);
        if (!_slopeFor.Equals(_mzFor))
        {
            var largest = TensorPrimitives.MaxMagnitude<double>(_mz);
            _slope = EigenvalueBound(_mz, _d1, _eigenScratch) + 2.0 * (2 * _d1 + 3) * _d1 * unit * largest;
            _slopeFor = _mzFor;
        }
        return Math.Sqrt(Math.Min(loose, _slope));
    }

    /// <summary>
    /// A number t ≥ the largest eigenvalue of the symmetric <paramref name="m"/> (d x d): a power-iteration estimate
    /// raised by 1 % plus 1e-9 max |m|, kept once t I - m factorises by Cholesky (raised further otherwise); infinity if
    /// none is found.
    /// </summary>
    internal static double EigenvalueBound(ReadOnlySpan<double> m, int d, double[] scratch)
    {
        var largest = TensorPrimitives.MaxMagnitude(m);
        if (!(largest > 0))
        {
            return double.IsFinite(largest) ? 0 : double.PositiveInfinity;
        }
        Span<double> x = scratch.AsSpan(0, d), y = scratch.AsSpan(d, d);
        x.Fill(1.0 / Math.Sqrt(d));
        var estimate = 0.0;
        for (var step = 0; step < 40; step++)
        {
            for (var i = 0; i < d; i++)
            {
                y[i] = TensorPrimitives.Dot(m.Slice(i * d, d), x);
            }
            var norm = Math.Sqrt(TensorPrimitives.Dot<double>(y, y));
            if (!(norm > 0))
            {
                break;
            }
            estimate = norm;
            TensorPrimitives.Divide(y, norm, x);
        }
        var t = Math.Max(estimate, 0) * 1.01 + 1e-9 * largest * d;
        var factor = scratch.AsSpan(2 * d, d * d);
        for (var attempt = 0; attempt < 8; attempt++, t *= 1.5)
        {
            TensorPrimitives.Negate(m, factor);
            for (var i = 0; i < d; i++)
            {
                factor[i * d + i] += t;
            }
            if (Cobalt.Core.LinearAlgebra.Cholesky.TryFactor(factor, d))
            {
                return t;
            }
        }
        return double.PositiveInfinity;
    }

    /// <inheritdoc />
    public bool TryUpperBounds(DecisionContext context, double beta, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        if (candidates.Catalog is not { } catalog || candidates.Dimension != _d1 || !(beta >= 0) || !double.IsFinite(beta))
        {
            return false;
        }
        var z = User(context);
        var thetaZNorm = 0.0;
        for (var i = 0; i < _d1; i++)
        {
            var t = TensorPrimitives.Dot(_theta.AsSpan(i * _d2, _d2), z);
            thetaZNorm += t * t;
        }
        thetaZNorm = Math.Sqrt(thetaZNorm);
        if (!ReferenceEquals(catalog, _normsOf))
        {
            // ||x|| of the rows as scored (the float32 copy's own values under Bits32).
            _norms = new double[catalog.Count];
            for (var r = 0; r < catalog.Count; r++)
            {
                var sum = 0.0;
                foreach (var v in catalog.Features.Row(r))
                {
                    var x = _precision == CatalogPrecision.Bits32 ? (double)(float)v : v;
                    sum += x * x;
                }
                _norms[r] = Math.Sqrt(sum) * (1 + 1e-15);
            }
            _normsOf = catalog;
        }
        // Rounding margins (u the unit roundoff of the scoring precision): the dot of d products with Theta z rounded, and
        // the form of d^2 terms with M_z rounded, plus 1e-9 for W^-1's own rounding (|entries of M_z| <= ||z||^2 / lambda).
        var unit = _precision == CatalogPrecision.Bits32 ? Math.Pow(2, -24) : Math.Pow(2, -53);
        var logitSlope = thetaZNorm * (1 + 4.0 * (_d1 + 2) * unit);
        var widthSlope = WidthSlope(context, z, unit);
        var n = candidates.Count;
        if (_boundScratch.Length < n)
        {
            _boundScratch = new double[n];
        }
        Span<double> norms = _boundScratch.AsSpan(0, n), bound = upper[..n];
        if (ReferenceEquals(candidates, catalog.All()))
        {
            _norms.AsSpan(0, n).CopyTo(norms);
        }
        else
        {
            var ids = candidates.Ids;
            for (var r = 0; r < n; r++)
            {
                norms[r] = _norms[ids[r]];
            }
        }
        // sigmoid(||x|| ||Theta z||) + beta ||x|| ||z|| / sqrt(lambda), vectorised (the vector sigmoid within a few ulps: the margin).
        TensorPrimitives.Multiply(norms, logitSlope, bound);
        TensorPrimitives.Sigmoid(bound, bound);
        if (beta > 0)
        {
            TensorPrimitives.MultiplyAdd(norms, beta * widthSlope, bound, bound);
        }
        TensorPrimitives.Add(bound, 1e-12, bound);
        TensorPrimitives.Multiply(bound, 1 + 1e-12, bound);
        return true;
    }

    /// <inheritdoc />
    public void RefineUpperBounds(DecisionContext context, double beta, ReadOnlySpan<int> positions, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        if (!ReferenceEquals(candidates.Catalog, _normsOf) || candidates.Catalog is null)
        {
            return;
        }
        var z = User(context);
        var thetaZNorm = 0.0;
        for (var i = 0; i < _d1; i++)
        {
            _thetaZ[i] = TensorPrimitives.Dot(_theta.AsSpan(i * _d2, _d2), z);
            thetaZNorm += _thetaZ[i] * _thetaZ[i];
        }
        thetaZNorm = Math.Sqrt(thetaZNorm);
        // The logit in float64 from the catalogue's rows: within 4 (d + 2) u ||x|| ||Theta z|| of the one scored (either precision).
        var unit = _precision == CatalogPrecision.Bits32 ? Math.Pow(2, -24) : Math.Pow(2, -53);
        var margin = 8.0 * (_d1 + 2) * unit * thetaZNorm;
        var widthSlope = WidthSlope(context, z, unit);
        var ids = candidates.Ids;
        var features = candidates.Catalog.Features;
        for (var r = 0; r < positions.Length; r++)
        {
            var id = ids[positions[r]];
            var norm = _norms[id];
            var logit = TensorPrimitives.Dot(features.Row(id), _thetaZ) + margin * norm;
            var u = OnlineLogisticRegression.Sigmoid(logit) + (beta > 0 ? beta * norm * widthSlope : 0);
            u = u * (1 + 1e-12) + 1e-12;
            if (u < upper[r])
            {
                upper[r] = u;
            }
        }
    }

    /// <inheritdoc />
    public void EstimateAt(DecisionContext context, ReadOnlySpan<int> positions, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        var z = User(context);
        if (candidates.Dimension != _d1)
        {
            throw new ArgumentException($"Candidates have {candidates.Dimension} features; the model was built for {_d1}.", nameof(context));
        }
        Prepare(context, z);
        var k = positions.Length;
        if (candidates.Catalog is { } catalog)
        {
            // Catalogue rows by id: no candidate subset allocated per call (the pruned scoring calls this for small groups).
            if (_ids.Length < k)
            {
                _ids = new int[k];
            }
            var all = candidates.Ids;
            for (var r = 0; r < k; r++)
            {
                _ids[r] = all[positions[r]];
            }
            if (_precision == CatalogPrecision.Bits32)
            {
                Score32(_ids.AsSpan(0, k), catalog, mean[..k], uncertainty[..k]);
            }
            else
            {
                Score64(_ids.AsSpan(0, k), catalog.Features, mean[..k], uncertainty[..k]);
            }
        }
        else
        {
            Score64(candidates.Subset(positions), mean[..k], uncertainty[..k]);
        }
        Finish(mean[..k], uncertainty[..k]);
    }

    /// <summary>Candidates scored together by the fused kernel (their rows gathered into one block when not contiguous).</summary>
    private const int Block = 256;

    /// <summary>logits x . Theta z and forms x^T M_z x in float64, block by block through <see cref="RowForms"/>.</summary>
    private void Score64(CandidateSet candidates, Span<double> logits, Span<double> forms)
    {
        var n = candidates.Count;
        var contiguous = candidates.ContiguousFeatures;
        if (!contiguous.IsEmpty)
        {
            RowForms.Compute(contiguous, _d1, _mz, _thetaZ, logits, forms);
            return;
        }
        _gather = _gather.Length >= Block * _d1 ? _gather : new double[Block * _d1];
        for (var start = 0; start < n; start += Block)
        {
            var count = Math.Min(Block, n - start);
            for (var r = 0; r < count; r++)
            {
                candidates.Features(start + r).CopyTo(_gather.AsSpan(r * _d1, _d1));
            }
            RowForms.Compute(_gather.AsSpan(0, count * _d1), _d1, _mz, _thetaZ, logits.Slice(start, count), forms.Slice(start, count));
        }
    }

    /// <summary>The same for the catalogue rows <paramref name="ids"/>, gathered block by block (the same values as through a candidate subset).</summary>
    private void Score64(ReadOnlySpan<int> ids, FeatureMatrix features, Span<double> logits, Span<double> forms)
    {
        var n = ids.Length;
        _gather = _gather.Length >= Block * _d1 ? _gather : new double[Block * _d1];
        for (var start = 0; start < n; start += Block)
        {
            var count = Math.Min(Block, n - start);
            for (var r = 0; r < count; r++)
            {
                features.Row(ids[start + r]).CopyTo(_gather.AsSpan(r * _d1, _d1));
            }
            RowForms.Compute(_gather.AsSpan(0, count * _d1), _d1, _mz, _thetaZ, logits.Slice(start, count), forms.Slice(start, count));
        }
    }

    /// <summary>The same in float32 over the model's float32 copy of the catalogue (made on first sight of it).</summary>
    private void Score32(ReadOnlySpan<int> ids, ItemCatalog catalog, Span<double> logits, Span<double> forms)
    {
        if (!ReferenceEquals(catalog, _rowsOf))
        {
            var values = catalog.Features.Values;
            _rows32 = new float[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                _rows32[i] = (float)values[i];
            }
            _rowsOf = catalog;
        }
        for (var i = 0; i < _mz.Length; i++)
        {
            _mz32[i] = (float)_mz[i];
        }
        for (var i = 0; i < _d1; i++)
        {
            _thetaZ32[i] = (float)_thetaZ[i];
        }
        var all = ids.IsEmpty;
        var n = logits.Length;
        _gather32 = _gather32.Length >= Block * _d1 ? _gather32 : new float[Block * _d1];
        Span<float> dots = stackalloc float[Block];
        Span<float> squares = stackalloc float[Block];
        for (var start = 0; start < n; start += Block)
        {
            var count = Math.Min(Block, n - start);
            ReadOnlySpan<float> rows;
            if (all)
            {
                rows = _rows32.AsSpan(start * _d1, count * _d1);
            }
            else
            {
                for (var r = 0; r < count; r++)
                {
                    _rows32.AsSpan(ids[start + r] * _d1, _d1).CopyTo(_gather32.AsSpan(r * _d1, _d1));
                }
                rows = _gather32.AsSpan(0, count * _d1);
            }
            RowForms.Compute(rows, _d1, _mz32, _thetaZ32, dots[..count], squares[..count]);
            for (var r = 0; r < count; r++)
            {
                logits[start + r] = dots[r];
                forms[start + r] = squares[r];
            }
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        var clicked = false;
        foreach (var f in feedback)
        {
            User(f.Context);
            if (f.Features.Length != _d1)
            {
                throw new ArgumentException($"Feedback for action {f.ActionId} has {f.Features.Length} features; the model was built for {_d1}.", nameof(feedback));
            }
            clicked |= f.Reward > 0;
        }
        foreach (var f in feedback)
        {
            var z = User(f.Context);
            Outer(f.Features, z, _v);
            if (clicked)
            {
                var p = OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(_theta, _v));
                TensorPrimitives.MultiplyAdd(_v, _learningRate * (f.Reward - p), _theta, _theta);
            }
            if (_lazy is not null)
            {
                _lazy.AddOuter(f.Features, z);
            }
            else
            {
                _w!.AddOuter(_v);
            }
        }
    }

    /// <summary>M_z[i, i'] = sum_{j, j'} z_j z_j' W^-1[(i, j), (i', j')], in O((d1 d2)^2).</summary>
    /// <param name="inverse">W^-1, row-major (d1 d2) x (d1 d2), index (i, j) = i d2 + j.</param>
    /// <param name="d1">Item dimension.</param>
    /// <param name="d2">User dimension.</param>
    /// <param name="z">The user's features (d2).</param>
    /// <param name="partial">Scratch of (d1 d2) x d1.</param>
    /// <param name="mz">The result, d1 x d1.</param>
    internal static void BuildUserMatrix(ReadOnlySpan<double> inverse, int d1, int d2, ReadOnlySpan<double> z, Span<double> partial, Span<double> mz)
    {
        var n = d1 * d2;
        // partial[r, i'] = sum_j' W^-1[r, i' d2 + j'] z_j'
        for (var r = 0; r < n; r++)
        {
            var row = inverse.Slice(r * n, n);
            for (var i2 = 0; i2 < d1; i2++)
            {
                partial[r * d1 + i2] = TensorPrimitives.Dot(row.Slice(i2 * d2, d2), z);
            }
        }
        // M_z[i, :] = sum_j z_j partial[(i, j), :]
        mz.Clear();
        for (var i = 0; i < d1; i++)
        {
            var target = mz.Slice(i * d1, d1);
            for (var j = 0; j < d2; j++)
            {
                TensorPrimitives.MultiplyAdd(partial.Slice((i * d2 + j) * d1, d1), z[j], target, target);
            }
        }
    }

    /// <summary>M_z for <paramref name="z"/> into the model's buffer (see <see cref="BilinearModel.BuildUserMatrix(ReadOnlySpan{double}, int, int, ReadOnlySpan{double}, Span{double}, Span{double})"/>).</summary>
    private void BuildUserMatrix(ReadOnlySpan<double> z) => BuildUserMatrix(_w!.Inverse, _d1, _d2, z, _partial, _mz);

    private void Outer(ReadOnlySpan<double> x, ReadOnlySpan<double> z, Span<double> destination)
    {
        for (var i = 0; i < _d1; i++)
        {
            TensorPrimitives.Multiply(z, x[i], destination.Slice(i * _d2, _d2));
        }
    }

    private ReadOnlySpan<double> User(DecisionContext context) => context.UserFeaturesOf(_d2);

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("bilinear");
        writer.Write(_theta);
        if (_lazy is not null)
        {
            _lazy.WriteState(writer);
        }
        else
        {
            _w!.WriteState(writer);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("bilinear");
        reader.ReadInto(_theta, "bilinear Theta");
        if (_lazy is not null)
        {
            _lazy.ReadState(reader);
        }
        else
        {
            _w!.ReadState(reader);
        }
        _mzFor = (ReadOnlyMemory<double>.Empty, -1);
        _slopeFor = (ReadOnlyMemory<double>.Empty, -1);
    }
}
