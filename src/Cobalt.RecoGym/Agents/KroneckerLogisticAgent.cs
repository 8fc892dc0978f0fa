using Cobalt.Core.LinearAlgebra;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// Logistic regression on the Kronecker features x (x) a (x the user's organic views, extended by a constant 1
/// for a per-action bias; a the one-hot action): P(click | x, a) = sigmoid(o + theta . (x (x) a)) = sigmoid(o + theta_a . x),
/// with the fixed offset o = logit of the training log's click rate (the prior mean of every action's bias).
/// Because a is one-hot, both the log-likelihood and the Gaussian prior N(0, lambda^-1 I) split into one
/// logistic regression per action, and the Hessian of the Laplace approximation is block diagonal with one
/// (P+1) x (P+1) block per action; each block takes online-Newton steps H += p(1-p) x x^T, theta += H^-1 x (y - p)
/// on Core's <see cref="DesignMatrix"/>, trained by one pass over the log and then online.
/// </summary>
/// <remarks>
/// Decisions: greedy on theta_a . x; epsilon-greedy (uniform with probability epsilon); or Thompson sampling with
/// the Laplace posterior (Chapelle and Li 2011): theta~_a ~ N(theta_a, H_a^-1) gives the score
/// theta~_a . x ~ N(theta_a . x, x^T H_a^-1 x) exactly, independent across actions, so the draw needs only the
/// sparse quadratic form, not an O(d^3) factorisation.
/// </remarks>
public sealed class KroneckerLogisticAgent : RecoGymAgent
{
    private readonly LogisticAgentOptions _options;
    private readonly OffsetLogisticRegression[] _models;
    private readonly UserFeatures _features;
    private readonly double[] _dense;
    private readonly double[] _means, _variances, _draws;
    private long _scoredStamp = -1;

    /// <summary>Creates the agent; <paramref name="kind"/> is its registry name.</summary>
    public KroneckerLogisticAgent(string kind, int products, LogisticAgentOptions options, ulong seed)
        : base(kind, products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _options = options;
        _features = new UserFeatures(products, options.Bias);
        _models = new OffsetLogisticRegression[products];
        for (var a = 0; a < products; a++)
        {
            _models[a] = new OffsetLogisticRegression(_features.Dimension, options.PriorPrecision);
        }
        _dense = new double[_features.Dimension];
        _means = new double[products];
        _variances = new double[products];
        _draws = new double[products];
    }

    /// <summary>The offset o = logit of the logged click rate (Beta(1, 1)-smoothed), 0 before training.</summary>
    public double Offset { get; private set; }

    /// <summary>The estimated click probability of <paramref name="action"/> for <paramref name="history"/>.</summary>
    public double Predict(UserHistory history, int action)
    {
        _features.Fill(history, _options.Features);
        return OnlineLogisticRegression.Sigmoid(Offset + _features.Dot(_models[action].Theta));
    }

    /// <inheritdoc />
    public override void BeginTraining(Logs.InteractionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var rate = (log.ClickCount + 1.0) / (log.BanditCount + 2.0);
        Offset = Math.Log(rate / (1 - rate));
        foreach (var model in _models)
        {
            model.Offset = Offset;
        }
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        _features.Fill(history, _options.Features);
        _features.Scatter(_dense);
        _models[action].Add(_dense, click ? 1.0 : 0.0);
        if (_scoredStamp == history.Stamp)
        {
            Score(action);
        }
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        _features.Fill(history, _options.Features);
        if (_scoredStamp != history.Stamp)
        {
            for (var a = 0; a < Products; a++)
            {
                Score(a);
            }
            _scoredStamp = history.Stamp;
        }
        switch (_options.Decision)
        {
            case LogisticDecision.Thompson:
                var scale = _options.PosteriorScale;
                for (var a = 0; a < Products; a++)
                {
                    _draws[a] = _means[a] + (scale * Math.Sqrt(_variances[a]) * Rng.NextGaussian());
                }
                propensity = double.NaN;
                return Choice.Argmax(_draws, Rng, out _);
            case LogisticDecision.EpsilonGreedy:
                var epsilon = _options.Epsilon;
                var greedy = Choice.Argmax(_means, Rng, out var ties);
                var action = Rng.NextDouble() < epsilon ? Rng.NextInt(Products) : greedy;
                propensity = (epsilon / Products) + (_means[action] == _means[greedy] ? (1 - epsilon) / ties : 0.0);
                return action;
            default:
                var best = Choice.Argmax(_means, Rng, out var count);
                propensity = 1.0 / count;
                return best;
        }
    }

    private void Score(int a)
    {
        var model = _models[a];
        _means[a] = _features.Dot(model.Theta);
        if (_options.Decision == LogisticDecision.Thompson)
        {
            _variances[a] = _features.QuadraticForm(model.Hessian.Inverse);
        }
    }
}
