using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Layers;
using Cobalt.Neural.Optimisers;
using Cobalt.Neural.Tensors;

namespace Cobalt.Evaluation.Learning;

/// <summary>The off-policy objective of <see cref="NeuralPolicyLearner"/> (OBP's off_policy_objective).</summary>
public enum NeuralPolicyObjective
{
    /// <summary>IPW: maximise (1/n) sum_t pi(a_t | x_t) / p_t r_t.</summary>
    Ipw,

    /// <summary>OBP's 'snipw': IPW with the reward shifted by lambda, (1/n) sum_t pi(a_t | x_t) / p_t (r_t - lambda) (BanditNet's
    /// translation, Joachims et al. 2018).</summary>
    Snipw,

    /// <summary>DR: maximise (1/n) sum_t [ pi(a_t | x_t) / p_t (r_t - q-hat(x_t, a_t)) + sum_a pi(a | x_t) q-hat(x_t, a) ].</summary>
    Dr,
}

/// <summary>Options of <see cref="NeuralPolicyLearner"/>.</summary>
public sealed record NeuralPolicyOptions : IValidatable
{
    /// <summary>Objective.</summary>
    [Description("Off-policy objective: ipw, snipw or dr.")]
    public NeuralPolicyObjective Objective { get; init; } = NeuralPolicyObjective.Ipw;

    /// <summary>Hidden width.</summary>
    [Description("Units of the one hidden layer.")]
    public int HiddenUnits { get; init; } = 100;

    /// <summary>Hidden activation.</summary>
    [Description("Hidden activation: relu (OBP's default) or tanh.")]
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Adam step size.</summary>
    [Description("Adam step size (OBP's learning_rate_init is 1e-4; 1e-3 converges in fewer epochs on small logs).")]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Weight decay.</summary>
    [Description("L2 weight decay (OBP's alpha), decoupled as in Cobalt.Neural's Adam.")]
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Epochs.</summary>
    [Description("Passes over the log (OBP's max_iter).")]
    public int Epochs { get; init; } = 200;

    /// <summary>Mini-batch size.</summary>
    [Description("Rounds per mini-batch (OBP's 'auto': min(200, n)).")]
    public int BatchSize { get; init; } = 200;

    /// <summary>Reward shift of snipw.</summary>
    [Description("lambda, the reward shift of the snipw objective (OBP's lambda_, 0 by default).")]
    public double Lambda { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        Require.Defined(Objective, nameof(Objective));
        Require.AtLeast(HiddenUnits, 1, nameof(HiddenUnits));
        Require.Defined(Activation, nameof(Activation));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.NonNegative(WeightDecay, nameof(WeightDecay));
        Require.AtLeast(Epochs, 1, nameof(Epochs));
        Require.AtLeast(BatchSize, 1, nameof(BatchSize));
        Require.NonNegative(Lambda, nameof(Lambda));
    }
}

/// <summary>
/// A neural softmax policy pi_theta(. | x) = softmax(MLP(x)) (one hidden layer) learned off-policy by Adam on mini-batches.
/// The loss is OBP's policy-gradient surrogate -(1/B) sum_t sum_a W_ta log pi_theta(a | x_t), with weights W computed from the
/// current policy held fixed (no gradient): ipw W_t,a_t = pi(a_t)/p_t r_t; snipw W_t,a_t = pi(a_t)/p_t (r_t - lambda); dr
/// W_t,a_t = pi(a_t)/p_t (r_t - q-hat_t(a_t)) plus W_ta += pi(a) q-hat_t(a) for every a. Since grad pi = pi grad log pi, the
/// surrogate's gradient is exactly minus the gradient of the objective's off-policy estimate of the policy's value
/// (<see cref="ObjectiveValue"/>), which the tests check by finite differences.
/// </summary>
/// <remarks>Ported from NNPolicyLearner (obp/policy/offline.py, st-tech/zr-obp @ 8cbd5fa) with hidden_layer_size = (H,):
/// objectives ipw, snipw, dr and their _estimate_policy_gradient surrogates. Not ported: the dm, ipw-os and ipw-subgauss
/// objectives, the policy and variance regularisers, early stopping, and OBP's own neural q-function for dr (here any
/// reward predictions, e.g. cross-fitted). Weight decay is decoupled (AdamW) where torch's Adam adds it to the gradient.</remarks>
public sealed class NeuralPolicyLearner
{
    private readonly NeuralPolicyOptions _options;
    private readonly Mlp<double> _network;
    private readonly Rng _rng;

    /// <summary>A randomly initialised policy (from <paramref name="seed"/>) for d-dimensional contexts and K actions.</summary>
    public NeuralPolicyLearner(int contextDimension, int actions, NeuralPolicyOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextDimension);
        ArgumentOutOfRangeException.ThrowIfLessThan(actions, 2);
        _options = options;
        ContextDimension = contextDimension;
        Actions = actions;
        Parameters = new ParameterSet<double>();
        _network = new Mlp<double>(Parameters, "policy", [contextDimension, options.HiddenUnits, actions], options.Activation, Seeds.Stream(seed, "neural-policy/init"));
        _rng = Seeds.Stream(seed, "neural-policy/batches");
    }

    /// <summary>d.</summary>
    public int ContextDimension { get; }

    /// <summary>K.</summary>
    public int Actions { get; }

    /// <summary>The network's weights.</summary>
    public ParameterSet<double> Parameters { get; }

    /// <summary>Trains for the configured epochs on <paramref name="log"/>; <paramref name="predictions"/> q-hat are needed for dr.</summary>
    public void Fit(BanditLog log, RewardPredictions? predictions = null)
    {
        Check(log, predictions);
        var adam = new Adam<double>(new AdamOptions { LearningRate = _options.LearningRate, WeightDecay = _options.WeightDecay });
        var order = Enumerable.Range(0, log.Count).ToArray();
        var tape = new Tape<double>();
        for (var epoch = 0; epoch < _options.Epochs; epoch++)
        {
            _rng.Shuffle<int>(order);
            for (var start = 0; start < order.Length; start += _options.BatchSize)
            {
                var batch = new ArraySegment<int>(order, start, Math.Min(_options.BatchSize, order.Length - start));
                SurrogateLossAndGradient(tape, log, batch, predictions);
                adam.Step(Parameters);
            }
        }
    }

    /// <summary>
    /// Zeroes the gradients, records the surrogate loss on <paramref name="rounds"/> and back-propagates it into
    /// <see cref="Parameters"/>; returns the surrogate's value.
    /// </summary>
    public double SurrogateLossAndGradient(Tape<double> tape, BanditLog log, IReadOnlyList<int> rounds, RewardPredictions? predictions = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rounds);
        Check(log, predictions);
        tape.Reset();
        Parameters.ZeroGradients();
        int b = rounds.Count, k = Actions;
        var logPi = tape.LogSoftmax(_network.Forward(tape, Contexts(tape, log, rounds)));
        var weights = new double[b * k];
        var values = logPi.Data;
        for (var i = 0; i < b; i++)
        {
            var t = rounds[i];
            var a = log.Actions[t];
            var pi = Math.Exp(values[i * k + a]);
            var iw = pi / log.Propensities[t];
            switch (_options.Objective)
            {
                case NeuralPolicyObjective.Ipw:
                    weights[i * k + a] = iw * log.Rewards[t];
                    break;
                case NeuralPolicyObjective.Snipw:
                    weights[i * k + a] = iw * (log.Rewards[t] - _options.Lambda);
                    break;
                default:
                    var q = predictions!.Row(t);
                    for (var c = 0; c < k; c++)
                    {
                        weights[i * k + c] = Math.Exp(values[i * k + c]) * q[c];
                    }
                    weights[i * k + a] += iw * (log.Rewards[t] - q[a]);
                    break;
            }
        }
        var loss = tape.Scale(tape.Sum(tape.Multiply(tape.Constant(Shape.Of(b, k), weights), logPi)), -1.0 / b);
        var value = loss.Data[0];
        tape.Backward(loss);
        return value;
    }

    /// <summary>The objective's off-policy estimate of the current policy's value on <paramref name="rounds"/> (what training ascends).</summary>
    public double ObjectiveValue(BanditLog log, IReadOnlyList<int> rounds, RewardPredictions? predictions = null)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        Check(log, predictions);
        var pi = new double[Actions];
        var sum = 0.0;
        foreach (var t in rounds)
        {
            Probabilities(log.Contexts.Row(t), pi);
            var a = log.Actions[t];
            var iw = pi[a] / log.Propensities[t];
            sum += _options.Objective switch
            {
                NeuralPolicyObjective.Ipw => iw * log.Rewards[t],
                NeuralPolicyObjective.Snipw => iw * (log.Rewards[t] - _options.Lambda),
                _ => iw * (log.Rewards[t] - predictions![t, a]) + DirectTerm(pi, predictions!.Row(t)),
            };
        }
        return sum / rounds.Count;
    }

    /// <summary>pi(. | x) into <paramref name="probabilities"/>.</summary>
    public void Probabilities(ReadOnlySpan<double> x, Span<double> probabilities)
    {
        if (x.Length != ContextDimension)
        {
            throw new ArgumentException($"The policy takes {ContextDimension} context features; got {x.Length}.", nameof(x));
        }
        var tape = new Tape<double> { RecordsGradients = false };
        var p = tape.Softmax(_network.Forward(tape, tape.Constant(Shape.Of(1, ContextDimension), x)));
        p.Data.CopyTo(probabilities);
    }

    /// <summary>The policy's probabilities on every round of <paramref name="log"/>.</summary>
    public ActionDistribution On(BanditLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Check(log, null, needsPredictions: false);
        var tape = new Tape<double> { RecordsGradients = false };
        var p = tape.Softmax(_network.Forward(tape, Contexts(tape, log, Enumerable.Range(0, log.Count).ToArray())));
        return new ActionDistribution(log.Count, Actions, p.Data.ToArray());
    }

    private static double DirectTerm(ReadOnlySpan<double> pi, ReadOnlySpan<double> q)
    {
        var s = 0.0;
        for (var a = 0; a < pi.Length; a++)
        {
            s += pi[a] * q[a];
        }
        return s;
    }

    private Node<double> Contexts(Tape<double> tape, BanditLog log, IReadOnlyList<int> rounds)
    {
        var x = new double[rounds.Count * ContextDimension];
        for (var i = 0; i < rounds.Count; i++)
        {
            log.Contexts.Row(rounds[i]).CopyTo(x.AsSpan(i * ContextDimension, ContextDimension));
        }
        return tape.Constant(Shape.Of(rounds.Count, ContextDimension), x);
    }

    private void Check(BanditLog log, RewardPredictions? predictions, bool needsPredictions = true)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.ActionCount != Actions || log.Contexts.Columns != ContextDimension)
        {
            throw new ArgumentException($"The policy has {Actions} actions and {ContextDimension} context features; the log has {log.ActionCount} and {log.Contexts.Columns}.", nameof(log));
        }
        if (needsPredictions && _options.Objective == NeuralPolicyObjective.Dr && (predictions is null || predictions.Rounds != log.Count || predictions.Actions != Actions))
        {
            throw new ArgumentException("The dr objective needs reward predictions for every round and action of the log.", nameof(predictions));
        }
    }
}
