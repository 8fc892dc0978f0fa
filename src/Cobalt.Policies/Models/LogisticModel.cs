using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// A generalised linear model with logistic link: mean rho(theta^T x) with rho the sigmoid, width
/// ||x||_{V^-1} with V = lambda I + sum x x^T (GLM-UCB, Filippi et al. 2010); posterior draws from
/// the Laplace approximation N(theta, H^-1) for logistic Thompson sampling (Chapelle and Li 2011).
/// </summary>
public sealed class LogisticModel : IRewardModel, IPosteriorSampler
{
    private readonly FeatureReader _features;
    private readonly OnlineLogisticRegression _regression;
    private readonly DesignMatrix _design;
    private readonly CatalogWidthCache? _cache;
    private readonly double[] _draw;

    /// <summary>Creates the model.</summary>
    public LogisticModel(FeatureMap map, int userDimension, int itemDimension, LogisticSolver solver, double ridge = 1.0, double learningRate = 0.01, bool cacheCatalog = true, int refactorEvery = 1000)
    {
        _features = new FeatureReader(map, userDimension, itemDimension);
        _regression = new OnlineLogisticRegression(_features.Dimension, solver, ridge, learningRate, refactorEvery);
        _design = new DesignMatrix(_features.Dimension, ridge, refactorEvery);
        _cache = cacheCatalog && map == FeatureMap.Item ? new CatalogWidthCache(_design) : null;
        _draw = new double[_features.Dimension];
    }

    /// <summary>The fitted logistic regression.</summary>
    public OnlineLogisticRegression Regression => _regression;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        var forms = ReadOnlySpan<double>.Empty;
        var cached = _cache is not null && _cache.TryGetForms(candidates, out forms);
        for (var i = 0; i < candidates.Count; i++)
        {
            var x = _features.Read(context, i);
            mean[i] = _regression.Predict(x);
            uncertainty[i] = Math.Sqrt(cached ? forms[candidates.Ids[i]] : _design.QuadraticForm(x));
        }
    }

    /// <inheritdoc />
    public void SamplePosterior(DecisionContext context, Span<double> draws, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        _regression.DrawTheta(_draw, rng);
        for (var i = 0; i < context.Candidates.Count; i++)
        {
            draws[i] = OnlineLogisticRegression.Sigmoid(System.Numerics.Tensors.TensorPrimitives.Dot(_draw, _features.Read(context, i)));
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        RewardRange.RequireUnitInterval(feedback, "A logistic model");
        foreach (var f in feedback)
        {
            var x = _features.Read(f.Context, f.CandidateIndex);
            _regression.Add(x, f.Reward);
            var update = _design.AddOuter(x);
            _cache?.Apply(update);
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("logistic-model");
        _regression.WriteState(writer);
        _design.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("logistic-model");
        _regression.ReadState(reader);
        _design.ReadState(reader);
        _cache?.Reset();
    }
}
