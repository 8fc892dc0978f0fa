using Cobalt.Core.LinearAlgebra;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// Disjoint LinUCB (Li et al. 2010, Algorithm 1) with the user's organic views x (plus a constant 1) as context:
/// one ridge regression per action (Core's <see cref="RidgeRegression"/>, A_a = lambda I + sum x x^T,
/// theta_a = A_a^-1 b_a, fitted to the click minus c0, the training log's click rate, so that the prior mean of
/// every action is c0) and score c0 + theta_a . x + alpha sqrt(x^T A_a^-1 x), the largest winning (ties at random).
/// This is ridge regression on x (x) a, whose design matrix is block diagonal. Trained on the log's
/// recommendations and then online.
/// </summary>
public sealed class LinUcbAgent : RecoGymAgent
{
    private readonly LinUcbAgentOptions _options;
    private readonly RidgeRegression[] _models;
    private readonly UserFeatures _features;
    private readonly double[] _dense, _scores;
    private long _scoredStamp = -1;

    /// <summary>Creates the agent.</summary>
    public LinUcbAgent(int products, LinUcbAgentOptions options, ulong seed)
        : base("linucb", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _options = options;
        _features = new UserFeatures(products, bias: true);
        _models = new RidgeRegression[products];
        for (var a = 0; a < products; a++)
        {
            _models[a] = new RidgeRegression(_features.Dimension, options.Ridge);
        }
        _dense = new double[_features.Dimension];
        _scores = new double[products];
    }

    /// <summary>The prior mean c0 of every action's click rate: the training log's click rate (Beta(1, 1)-smoothed).</summary>
    public double Offset { get; private set; }

    /// <inheritdoc />
    public override void BeginTraining(Logs.InteractionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Offset = (log.ClickCount + 1.0) / (log.BanditCount + 2.0);
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        _features.Fill(history, _options.Features);
        _features.Scatter(_dense);
        _models[action].Add(_dense, (click ? 1.0 : 0.0) - Offset);
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
        var action = Choice.Argmax(_scores, Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }

    private void Score(int a)
    {
        var model = _models[a];
        _scores[a] = Offset + _features.Dot(model.Theta) + (_options.Alpha * Math.Sqrt(_features.QuadraticForm(model.Design.Inverse)));
    }
}
