using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>
/// The shared generalised additive linear model of S-N-GALM-UCB: one theta_x for item features and one theta_z for user
/// features, shared by every user and item. Mean rho(gamma x^T theta_x + (1 - gamma) theta_z^T z), width
/// gamma ||x||_{A_x^-1} + (1 - gamma) ||z||_{A_z^-1} with A_x = I + sum x x^T, A_z = I + sum z z^T over shown items.
/// </summary>
/// <remarks>
/// Two-stage neural contextual bandits paper, section 3.3 (S-N-GALM-UCB); rho = sigmoid. The coefficients take a gradient
/// step on the logistic loss (learning rate eta) in every update that holds a click; A_x and A_z grow with every shown
/// item. Over catalogue items, scores and widths come from the model's copy of the catalogue (float64, or float32 with
/// <see cref="CatalogPrecision.Bits32"/>) in one pass per scored row, with each row's width brought up to date lazily
/// (<see cref="CatalogForms{T}"/>: the few rank-one updates it missed in O(d) each, or O(d^2) afresh), so a round touches only
/// the items it scores. With <see cref="CacheCatalog"/> off they are computed in float64 in O(d^2) each.
/// Upper bounds on the scores (<see cref="IBoundedRewardModel"/>) come from each catalogue row's last dot and form:
/// x . theta_x moves by at most ||x|| times the summed norms of theta_x's gradient steps since, and the form only shrinks.
/// </remarks>
public sealed class AdditiveModel : IBoundedRewardModel
{
    private readonly int _itemDimension, _userDimension;
    private readonly double _gamma, _learningRate;
    private readonly double[] _thetaX, _thetaZ;
    private readonly DesignMatrix _ax, _az;
    private readonly CatalogScorer _cache;
    private bool _cacheCatalog;
    private double[] _dotBound = [], _formBound = [], _meanPad = [], _widthPad = [];
    private int[] _ids = [];

    /// <summary>
    /// Creates the model for item features of dimension <paramref name="itemDimension"/> and user features of
    /// <paramref name="userDimension"/>; <paramref name="catalogPrecision"/> is the element type of its scoring copy of the catalogue.
    /// </summary>
    public AdditiveModel(int itemDimension, int userDimension, double gamma = 0.5, double learningRate = 0.01, int refactorEvery = 1000, bool cacheCatalog = true,
        CatalogPrecision catalogPrecision = CatalogPrecision.Bits64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemDimension);
        if (userDimension <= 0)
        {
            throw new ArgumentException("The additive model (S-N-GALM-UCB) needs user features; this world offers none.", nameof(userDimension));
        }
        if (!(gamma is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma weighs item against user terms and must be in [0, 1].");
        }
        _itemDimension = itemDimension;
        _userDimension = userDimension;
        _gamma = gamma;
        _learningRate = learningRate;
        _thetaX = new double[itemDimension];
        _thetaZ = new double[userDimension];
        _ax = new DesignMatrix(itemDimension, 1.0, refactorEvery);
        _az = new DesignMatrix(userDimension, 1.0, refactorEvery);
        _cache = new CatalogScorer(_ax, catalogPrecision);
        _cacheCatalog = cacheCatalog;
    }

    /// <summary>Whether item widths come from the catalogue cache (switching it on rebuilds the cache on the next estimate).</summary>
    public bool CacheCatalog
    {
        get => _cacheCatalog;
        set
        {
            if (value && !_cacheCatalog)
            {
                _cache.Forget();
            }
            _cacheCatalog = value;
        }
    }

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var z = User(context);
        var candidates = context.Candidates;
        if (candidates.Dimension != _itemDimension)
        {
            throw new ArgumentException($"Candidates have {candidates.Dimension} features; the model was built for {_itemDimension}.", nameof(context));
        }
        var userLogit = (1 - _gamma) * TensorPrimitives.Dot(_thetaZ, z);
        var userWidth = (1 - _gamma) * Math.Sqrt(_az.QuadraticForm(z));
        var n = candidates.Count;
        Span<double> logits = mean[..n], widths = uncertainty[..n];
        // Catalogue items: logits and squared widths from one read of each candidate's row.
        if (!(_cacheCatalog && _cache.TryScore(candidates, _thetaX, logits, widths)))
        {
            for (var i = 0; i < n; i++)
            {
                var x = candidates.Features(i);
                logits[i] = TensorPrimitives.Dot(_thetaX, x);
                widths[i] = _ax.QuadraticForm(x);
            }
        }
        Finish(logits, widths, userLogit, userWidth);
    }

    /// <summary>
    /// Vectorised over the candidates: mean = sigmoid(gamma x.theta_x + user logit), width = gamma sqrt(x^T A_x^-1 x) + user width.
    /// Every caller passes at least <see cref="VectorMinimum"/> values, so each one goes through the same vector code (and
    /// <see cref="EstimateAt"/> agrees with <see cref="Estimate"/> bit for bit).
    /// </summary>
    private void Finish(Span<double> logits, Span<double> widths, double userLogit, double userWidth)
    {
        TensorPrimitives.Multiply(logits, _gamma, logits);
        TensorPrimitives.Add(logits, userLogit, logits);
        TensorPrimitives.Sigmoid(logits, logits);
        TensorPrimitives.Sqrt(widths, widths);
        TensorPrimitives.Multiply(widths, _gamma, widths);
        TensorPrimitives.Add(widths, userWidth, widths);
    }

    /// <summary>Candidates whose bounds are finished together (32 KB of scratch per array).</summary>
    private const int BoundChunk = 4096;

    /// <summary>Fewest values <see cref="Finish"/> is given by the bounded path (a whole vector of the widest lanes, twice).</summary>
    private const int VectorMinimum = 16;

    /// <inheritdoc />
    public bool TryUpperBounds(DecisionContext context, double beta, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        var n = candidates.Count;
        if (!_cacheCatalog || !(beta >= 0) || !double.IsFinite(beta) || candidates.Dimension != _itemDimension || n < VectorMinimum)
        {
            return false;
        }
        var z = User(context);
        if (_dotBound.Length < BoundChunk)
        {
            _dotBound = new double[BoundChunk];
            _formBound = new double[BoundChunk];
        }
        var thetaNorm = Math.Sqrt(TensorPrimitives.Dot(_thetaX, _thetaX));
        var userLogit = (1 - _gamma) * TensorPrimitives.Dot(_thetaZ, z);
        var userWidth = (1 - _gamma) * Math.Sqrt(_az.QuadraticForm(z));
        // Sigmoid, square root, products and sums are monotone (the vector sigmoid up to a few ulps: the margin below);
        // chunk by chunk, so the passes stay in the first-level cache. Means and widths are >= 0, so u (1 + 1e-12) + 1e-12
        // is the margin 1e-12 (1 + |u|).
        for (var start = 0; start < n; start += BoundChunk)
        {
            var count = Math.Min(BoundChunk, n - start);
            Span<double> d = _dotBound.AsSpan(0, count), f = _formBound.AsSpan(0, count), u = upper.Slice(start, count);
            if (!_cache.TryBound(candidates, _thetaX, thetaNorm, d, f, start))
            {
                return false;
            }
            Finish(d, f, userLogit, userWidth);
            if (beta > 0)
            {
                TensorPrimitives.MultiplyAdd(f, beta, d, u);
            }
            else
            {
                d.CopyTo(u);
            }
            TensorPrimitives.Multiply(u, 1 + 1e-12, u);
            TensorPrimitives.Add(u, 1e-12, u);
        }
        return true;
    }

    /// <inheritdoc />
    public void RefineUpperBounds(DecisionContext context, double beta, ReadOnlySpan<int> positions, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        var k = positions.Length;
        if (candidates.Catalog is not { } catalog)
        {
            return;
        }
        if (_ids.Length < k)
        {
            _ids = new int[k];
            _meanPad = new double[k];
            _widthPad = new double[k];
        }
        var all = candidates.Ids;
        for (var r = 0; r < k; r++)
        {
            _ids[r] = all[positions[r]];
        }
        Span<double> dots = _meanPad.AsSpan(0, k), forms = _widthPad.AsSpan(0, k);
        if (!_cache.TryRefine(catalog, _ids.AsSpan(0, k), _thetaX, dots, forms))
        {
            return;
        }
        var z = User(context);
        Finish(dots, forms, (1 - _gamma) * TensorPrimitives.Dot(_thetaZ, z), (1 - _gamma) * Math.Sqrt(_az.QuadraticForm(z)));
        for (var r = 0; r < k; r++)
        {
            var u = dots[r] + (beta > 0 ? beta * forms[r] : 0);
            u += 1e-12 * (1 + Math.Abs(u));
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
        var k = positions.Length;
        if (!_cacheCatalog || candidates.Catalog is not { } catalog || catalog.Dimension != _itemDimension)
        {
            throw new InvalidOperationException("EstimateAt needs catalogue candidates and the catalogue cache (TryUpperBounds said so first).");
        }
        var z = User(context);
        // At least VectorMinimum values (the first position repeated), so Finish takes the vector path as in Estimate.
        var padded = Math.Max(k, VectorMinimum);
        if (_ids.Length < padded)
        {
            _ids = new int[padded];
            _meanPad = new double[padded];
            _widthPad = new double[padded];
        }
        var all = candidates.Ids;
        for (var r = 0; r < padded; r++)
        {
            _ids[r] = all[positions[r < k ? r : 0]];
        }
        Span<double> logits = _meanPad.AsSpan(0, padded), widths = _widthPad.AsSpan(0, padded);
        _cache.Score(_ids.AsSpan(0, padded), _thetaX, logits, widths);
        var userLogit = (1 - _gamma) * TensorPrimitives.Dot(_thetaZ, z);
        var userWidth = (1 - _gamma) * Math.Sqrt(_az.QuadraticForm(z));
        Finish(logits, widths, userLogit, userWidth);
        logits[..k].CopyTo(mean);
        widths[..k].CopyTo(uncertainty);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        var clicked = false;
        foreach (var f in feedback)
        {
            User(f.Context);
            if (f.Features.Length != _itemDimension)
            {
                throw new ArgumentException($"Feedback for action {f.ActionId} has {f.Features.Length} features; the model was built for {_itemDimension}.", nameof(feedback));
            }
            clicked |= f.Reward > 0;
        }
        if (clicked)
        {
            foreach (var f in feedback)
            {
                var x = f.Features;
                var z = User(f.Context);
                var p = OnlineLogisticRegression.Sigmoid(_gamma * TensorPrimitives.Dot(_thetaX, x) + (1 - _gamma) * TensorPrimitives.Dot(_thetaZ, z));
                var step = _learningRate * (f.Reward - p);
                TensorPrimitives.MultiplyAdd(x, step * _gamma, _thetaX, _thetaX);
                // theta_x moved by |step gamma| ||x||: the bound on every stored dot widens by ||x_i|| times that.
                _cache.Drift += Math.Abs(step * _gamma) * Math.Sqrt(TensorPrimitives.Dot(x, x)) * (1 + 1e-12);
                TensorPrimitives.MultiplyAdd(z, step * (1 - _gamma), _thetaZ, _thetaZ);
            }
        }
        foreach (var f in feedback)
        {
            var change = _ax.AddOuter(f.Features);
            if (_cacheCatalog)
            {
                _cache.Apply(change);
            }
            _az.AddOuter(User(f.Context));
        }
    }

    private ReadOnlySpan<double> User(DecisionContext context) => context.UserFeaturesOf(_userDimension);

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("additive");
        writer.Write(_thetaX);
        writer.Write(_thetaZ);
        _ax.WriteState(writer);
        _az.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("additive");
        reader.ReadInto(_thetaX, "additive theta_x");
        reader.ReadInto(_thetaZ, "additive theta_z");
        _ax.ReadState(reader);
        _az.ReadState(reader);
        _cache.Forget();
        _cache.ForgetDots();
    }
}
