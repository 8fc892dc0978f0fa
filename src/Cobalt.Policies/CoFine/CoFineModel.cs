using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.CoFine;

/// <summary>The constants of a <see cref="CoFineModel"/>.</summary>
/// <param name="Ridge">lambda: M = lambda I + sum x x^T, and the strength of the pull towards U w~ + w_bar.</param>
/// <param name="SubspaceRidge">lambda~: M~ = lambda~ I + sum x~ x~^T.</param>
/// <param name="Alpha">alpha_t (a constant, or the multiplier of the theoretical alpha_t): the weight of the full-space width (already multiplied by any focus scale).</param>
/// <param name="AlphaSubspace">alpha~_t (a constant, or the multiplier of the theoretical alpha~_t): the weight of the subspace width.</param>
/// <param name="RefactorEvery">Rank-one updates between Cholesky re-factorisations of M^-1 and M~^-1.</param>
public sealed record CoFineSettings(double Ridge = 1.0, double SubspaceRidge = 1.0, double Alpha = 1.0, double AlphaSubspace = 1.0, int RefactorEvery = 1000)
{
    /// <summary>Constant weights, or Lemma 1's (see <see cref="ExplorationSchedule.Theoretical"/>).</summary>
    public ExplorationSchedule Schedule { get; init; } = ExplorationSchedule.Constant;

    /// <summary>delta: the theoretical intervals hold for all rounds with probability 1 - delta.</summary>
    public double Delta { get; init; } = 0.05;

    /// <summary>S_perp: bound on ||w*_perp|| (||w*|| without a subspace).</summary>
    public double ResidualBound { get; init; } = 1.0;

    /// <summary>S~: bound on ||w~*||.</summary>
    public double SubspaceBound { get; init; } = 1.0;

    /// <summary>r: width of the reward range.</summary>
    public double RewardRange { get; init; } = 1.0;
}

/// <summary>
/// The reward model of CoFineUCB (Yue, Hong and Guestrin 2012, Algorithm 1) and of the baselines that share
/// its machinery (LinUCB, Mean-Regularized, Reshape, SubspaceUCB; see <see cref="FeatureHierarchy"/>).
/// </summary>
/// <remarks>
/// With x the (reshaped) features, x~ = U^T x, and sums over earlier rounds:
/// <list type="number">
/// <item>M~ = lambda~ I + sum x~ x~^T, w~ = M~^-1 sum x~ y (ridge regression in the subspace);</item>
/// <item>M = lambda I + sum x x^T, w = M^-1 (sum x y + lambda (U w~ + w_bar)), the minimiser of
/// sum (w^T x - y)^2 + lambda ||w - U w~ - w_bar||^2;</item>
/// <item>mean = w^T x; width = c(x) + c~(x) with c(x) = alpha sqrt(x^T M^-1 x) and
/// c~(x) = alpha~ ||lambda U^T M^-1 x||_{M~^-1} = alpha~ lambda sqrt(v^T U M~^-1 U^T v), v = M^-1 x.</item>
/// </list>
/// The exploration strategy adds the width with weight 1 (score = w^T x + c(x) + c~(x)). With the theoretical
/// schedule, alpha and alpha~ multiply Lemma 1's alpha_t = r sqrt(log(det(M_t)^{1/2} det(lambda I)^{-1/2} / delta)) +
/// lambda^{1/2} S_perp and alpha~_t (the same with M~_t, lambda~, S~); log(det M_t / det(lambda I)) = sum log(1 + x^T M^-1 x)
/// over the updates (matrix determinant lemma) is kept alongside M^-1. M^-1 and M~^-1
/// are kept by Sherman-Morrison rank-one updates (<see cref="DesignMatrix"/>); one update costs O(D^2 + K^2)
/// and one candidate O(D^2) (O(D D') more when features are reshaped), with no allocation.
/// With U = 0 and w_bar = 0 this is exactly LinUCB with exploration weight alpha.
/// </remarks>
public sealed class CoFineModel : IRewardModel
{
    private readonly FeatureReader _features;
    private readonly DesignMatrix _full;
    private readonly DesignMatrix? _coarse;
    private readonly double[] _response, _weights, _coarseResponse, _coarseWeights;
    private readonly double[] _x, _v, _p, _rhs, _lift;
    private double _logDetRatio, _subspaceLogDetRatio;

    /// <summary>Creates the model for raw features built by <paramref name="map"/> from the given dimensions.</summary>
    public CoFineModel(FeatureHierarchy hierarchy, CoFineSettings settings, FeatureMap map, int userDimension, int itemDimension)
    {
        ArgumentNullException.ThrowIfNull(hierarchy);
        ArgumentNullException.ThrowIfNull(settings);
        Validate(settings);
        _features = new FeatureReader(map, userDimension, itemDimension);
        if (_features.Dimension != hierarchy.InputDimension)
        {
            throw new ArgumentException($"The hierarchy was built for {hierarchy.InputDimension} features; the feature map gives {_features.Dimension}.", nameof(hierarchy));
        }
        Hierarchy = hierarchy;
        Settings = settings;
        int d = hierarchy.Dimension, k = hierarchy.Rank;
        _full = new DesignMatrix(d, settings.Ridge, settings.RefactorEvery);
        _coarse = k > 0 ? new DesignMatrix(k, settings.SubspaceRidge, settings.RefactorEvery) : null;
        _response = new double[d];
        _weights = new double[d];
        _coarseResponse = new double[k];
        _coarseWeights = new double[k];
        _x = new double[d];
        _v = new double[d];
        _p = new double[k];
        _rhs = new double[d];
        _lift = new double[d];
        Solve();
    }

    /// <summary>The prior knowledge (reshaping, subspace, prior mean).</summary>
    public FeatureHierarchy Hierarchy { get; }

    /// <summary>The constants.</summary>
    public CoFineSettings Settings { get; }

    /// <summary>D: the raw feature dimension this model reads.</summary>
    public int InputDimension => Hierarchy.InputDimension;

    /// <summary>w_t (in the reshaped space).</summary>
    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>w~_t (K entries; empty when there is no subspace).</summary>
    public ReadOnlySpan<double> SubspaceWeights => _coarseWeights;

    /// <summary>M_t and M_t^-1 (full space).</summary>
    public DesignMatrix FullSpace => _full;

    /// <summary>M~_t and M~_t^-1 (subspace), or null when there is no subspace.</summary>
    public DesignMatrix? Subspace => _coarse;

    /// <summary>The current full-space weight alpha_t (the constant alpha, or alpha times Lemma 1's radius).</summary>
    public double FullSpaceAlpha => Settings.Schedule == ExplorationSchedule.Theoretical
        ? Settings.Alpha * Radius(_logDetRatio, Settings.Ridge, Settings.ResidualBound)
        : Settings.Alpha;

    /// <summary>The current subspace weight alpha~_t (the constant alpha~, or alpha~ times Lemma 1's radius).</summary>
    public double SubspaceAlpha => Settings.Schedule == ExplorationSchedule.Theoretical
        ? Settings.AlphaSubspace * Radius(_subspaceLogDetRatio, Settings.SubspaceRidge, Settings.SubspaceBound)
        : Settings.AlphaSubspace;

    /// <summary>Mean w^T x' and width c(x) + c~(x) of one raw feature vector x (dimension <see cref="InputDimension"/>).</summary>
    public (double Mean, double Width) Score(ReadOnlySpan<double> raw)
    {
        Hierarchy.Reshape(raw, _x);
        var mean = TensorPrimitives.Dot(_weights, _x);
        var alpha = FullSpaceAlpha;
        var alphaSubspace = SubspaceAlpha;
        if (_coarse is null || alphaSubspace == 0)
        {
            // x^T M^-1 x exactly as LinUCB computes it, so that U = 0 gives LinUCB's numbers bit for bit.
            return (mean, alpha > 0 ? alpha * Math.Sqrt(_full.QuadraticForm(_x)) : 0);
        }
        _full.MultiplyInverse(_x, _v);
        var width = alpha > 0 ? alpha * Math.Sqrt(Math.Max(TensorPrimitives.Dot(_x, _v), 0)) : 0;
        Hierarchy.ProjectTransposed(_v, _p);
        width += alphaSubspace * Settings.Ridge * Math.Sqrt(_coarse.QuadraticForm(_p));
        return (mean, width);
    }

    /// <summary>r sqrt(log(det(M)^{1/2} det(ridge I)^{-1/2} / delta)) + ridge^{1/2} bound, with log(det M / det(ridge I)) = <paramref name="logDetRatio"/>.</summary>
    private double Radius(double logDetRatio, double ridge, double bound) =>
        Settings.RewardRange * Math.Sqrt(Math.Max(0.5 * logDetRatio - Math.Log(Settings.Delta), 0)) + Math.Sqrt(ridge) * bound;

    /// <summary>Learns from one observation (raw features x, reward y).</summary>
    public void Add(ReadOnlySpan<double> raw, double reward)
    {
        if (!double.IsFinite(reward))
        {
            throw new ArgumentOutOfRangeException(nameof(reward), reward, "Rewards must be finite.");
        }
        Hierarchy.Reshape(raw, _x);
        if (Settings.Schedule == ExplorationSchedule.Theoretical)
        {
            // det(M + x x^T) = det(M) (1 + x^T M^-1 x).
            _logDetRatio += double.LogP1(Math.Max(_full.QuadraticForm(_x), 0));
        }
        _full.AddOuter(_x);
        TensorPrimitives.MultiplyAdd(_x, reward, _response, _response);
        if (_coarse is not null)
        {
            Hierarchy.ProjectTransposed(_x, _p);
            if (Settings.Schedule == ExplorationSchedule.Theoretical)
            {
                _subspaceLogDetRatio += double.LogP1(Math.Max(_coarse.QuadraticForm(_p), 0));
            }
            _coarse.AddOuter(_p);
            TensorPrimitives.MultiplyAdd(_p, reward, _coarseResponse, _coarseResponse);
        }
        Solve();
    }

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var i = 0; i < context.Candidates.Count; i++)
        {
            (mean[i], uncertainty[i]) = Score(_features.Read(context, i));
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        foreach (var f in feedback)
        {
            Add(_features.Read(f.Context, f.CandidateIndex), f.Reward);
        }
    }

    /// <summary>w~ = M~^-1 b~, then w = M^-1 (b + lambda (U w~ + w_bar)).</summary>
    private void Solve()
    {
        _response.CopyTo(_rhs, 0);
        if (_coarse is not null)
        {
            _coarse.MultiplyInverse(_coarseResponse, _coarseWeights);
            Hierarchy.Lift(_coarseWeights, _lift);
            TensorPrimitives.MultiplyAdd(_lift, Settings.Ridge, _rhs, _rhs);
        }
        if (Hierarchy.HasPriorMean)
        {
            TensorPrimitives.MultiplyAdd(Hierarchy.PriorMean, Settings.Ridge, _rhs, _rhs);
        }
        _full.MultiplyInverse(_rhs, _weights);
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("cofine");
        writer.Write(Hierarchy.Rank);
        _full.WriteState(writer);
        writer.Write(_response);
        _coarse?.WriteState(writer);
        writer.Write(_coarseResponse);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("cofine");
        var rank = reader.ReadInt32();
        if (rank != Hierarchy.Rank)
        {
            throw new InvalidDataException($"The saved CoFine model has a subspace of rank {rank}; this one has rank {Hierarchy.Rank}.");
        }
        _full.ReadState(reader);
        reader.ReadInto(_response, "full-space response b");
        _coarse?.ReadState(reader);
        reader.ReadInto(_coarseResponse, "subspace response b~");
        _logDetRatio = LogDetRatio(_full);
        _subspaceLogDetRatio = _coarse is null ? 0 : LogDetRatio(_coarse);
        Solve();
    }

    /// <summary>log det(M) - log det(ridge I), from a Cholesky factorisation of the kept matrix M.</summary>
    private static double LogDetRatio(DesignMatrix design)
    {
        var n = design.Dimension;
        var l = design.Matrix.ToArray();
        var logDet = 0.0;
        for (var j = 0; j < n; j++)
        {
            var diagonal = l[j * n + j];
            for (var k = 0; k < j; k++)
            {
                diagonal -= l[j * n + k] * l[j * n + k];
            }
            if (!(diagonal > 0))
            {
                throw new InvalidDataException("The saved design matrix is not positive definite.");
            }
            var root = Math.Sqrt(diagonal);
            l[j * n + j] = root;
            logDet += 2 * Math.Log(root);
            for (var i = j + 1; i < n; i++)
            {
                var value = l[i * n + j];
                for (var k = 0; k < j; k++)
                {
                    value -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = value / root;
            }
        }
        return logDet - n * Math.Log(design.Ridge);
    }

    private static void Validate(CoFineSettings s)
    {
        if (!(s.Ridge > 0) || !double.IsFinite(s.Ridge) || !(s.SubspaceRidge > 0) || !double.IsFinite(s.SubspaceRidge))
        {
            throw new ArgumentOutOfRangeException(nameof(s), "Both ridges (lambda, lambda~) must be finite and positive.");
        }
        if (!(s.Alpha >= 0) || !double.IsFinite(s.Alpha) || !(s.AlphaSubspace >= 0) || !double.IsFinite(s.AlphaSubspace))
        {
            throw new ArgumentOutOfRangeException(nameof(s), "Both exploration weights (alpha, alpha~) must be finite and non-negative.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s.RefactorEvery);
        if (!(s.Delta > 0 && s.Delta < 1) || !(s.ResidualBound >= 0) || !(s.SubspaceBound >= 0) || !(s.RewardRange > 0) || !double.IsFinite(s.ResidualBound + s.SubspaceBound + s.RewardRange))
        {
            throw new ArgumentOutOfRangeException(nameof(s), "The theoretical schedule needs 0 < delta < 1, finite bounds S_perp, S~ >= 0 and a reward range r > 0.");
        }
    }
}
