using System.Numerics.Tensors;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// A softmax policy pi_W(a | x) = exp(w_a . x) / sum_b exp(w_b . x) (x the user's views plus a constant 1)
/// trained by gradient ascent on the clipped IPS estimate of its click-through rate (Bottou et al. 2013;
/// Jeunen and Goethals 2020, "Policy learning"):
/// R(W) = (1/n) sum_t c_t min(1 / p_t, M) pi_W(a_t | x_t) - (lambda/2) ||W||^2, p_t the logging propensity.
/// Only clicked rows have a gradient: d/dw_b [pi(a|x)] = pi(a|x) (1[a = b] - pi(b|x)) x.
/// </summary>
/// <remarks>
/// Training takes <c>epochs</c> full-batch steps W += eta (g / N_clicked - lambda W) with g the summed gradient of
/// the clicked rows (the step is scaled per clicked row so that eta does not depend on the log's size). Online,
/// every clicked recommendation takes one stochastic step with its own propensity, min(1 / pi_t(a|x), M).
/// The agent samples its recommendation from pi (propensity pi(a|x)), or takes the most probable with <c>greedy</c>.
/// Logged rows without a propensity are refused.
/// </remarks>
public sealed class IpsSoftmaxAgent : RecoGymAgent
{
    private readonly IpsSoftmaxOptions _options;
    private readonly UserFeatures _features;
    private readonly double[] _weights; // feature-major: row i holds the weight of feature i for every action
    private readonly double[] _gradient;
    private readonly double[] _policy;
    private readonly double[] _step;
    private readonly List<(int[] Index, double[] Value, int Action, double Weight)> _clickedRows = [];
    private long _policyStamp = -1;
    private bool _trained;

    /// <summary>Creates the agent.</summary>
    public IpsSoftmaxAgent(int products, IpsSoftmaxOptions options, ulong seed)
        : base("ips-softmax", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _options = options;
        _features = new UserFeatures(products, bias: true);
        _weights = new double[_features.Dimension * products];
        _gradient = new double[_weights.Length];
        _policy = new double[products];
        _step = new double[products];
    }

    /// <summary>pi(· | x) for <paramref name="history"/>, written into <paramref name="destination"/>.</summary>
    public void Policy(UserHistory history, Span<double> destination)
    {
        _features.Fill(history, _options.Features);
        Softmax(_features.Index, _features.Value, destination);
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        if (!click)
        {
            return;
        }
        if (!(propensity > 0 && propensity <= 1))
        {
            throw new InvalidOperationException($"The IPS softmax policy needs the propensity of every clicked recommendation; got {propensity} for product {action}.");
        }
        var weight = Math.Min(1.0 / propensity, _options.Clip);
        _features.Fill(history, _options.Features);
        if (!_trained)
        {
            _clickedRows.Add((_features.Index.ToArray(), _features.Value.ToArray(), action, weight));
            return;
        }
        Softmax(_features.Index, _features.Value, _policy);
        Accumulate(_features.Index, _features.Value, action, weight, _options.OnlineLearningRate, _weights);
        _policyStamp = -1;
    }

    /// <inheritdoc />
    public override void EndTraining()
    {
        for (var epoch = 0; epoch < _options.Epochs && _clickedRows.Count > 0; epoch++)
        {
            Array.Clear(_gradient);
            foreach (var (index, value, action, weight) in _clickedRows)
            {
                Softmax(index, value, _policy);
                Accumulate(index, value, action, weight, 1.0, _gradient);
            }
            var scale = _options.LearningRate / _clickedRows.Count;
            TensorPrimitives.Multiply(_weights, 1 - (_options.LearningRate * _options.L2), _weights);
            TensorPrimitives.MultiplyAdd(_gradient, scale, _weights, _weights);
        }
        _clickedRows.Clear();
        _trained = true;
        _policyStamp = -1;
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (_policyStamp != history.Stamp)
        {
            _features.Fill(history, _options.Features);
            Softmax(_features.Index, _features.Value, _policy);
            _policyStamp = history.Stamp;
        }
        if (_options.Greedy)
        {
            var best = Choice.Argmax(_policy, Rng, out var ties);
            propensity = 1.0 / ties;
            return best;
        }
        var action = Choice.Sample(_policy, 1.0, Rng);
        propensity = _policy[action];
        return action;
    }

    /// <summary>pi = softmax(W^T x) for the sparse x.</summary>
    private void Softmax(ReadOnlySpan<int> index, ReadOnlySpan<double> value, Span<double> destination)
    {
        var p = Products;
        destination.Clear();
        for (var k = 0; k < index.Length; k++)
        {
            TensorPrimitives.MultiplyAdd(_weights.AsSpan(index[k] * p, p), value[k], destination, destination);
        }
        var max = TensorPrimitives.Max<double>(destination);
        TensorPrimitives.Subtract(destination, max, destination);
        TensorPrimitives.Exp(destination, destination);
        TensorPrimitives.Divide(destination, TensorPrimitives.Sum<double>(destination), destination);
    }

    /// <summary>target += rate * w pi_a (e_a - pi) (x) x, with pi in <see cref="_policy"/>.</summary>
    private void Accumulate(ReadOnlySpan<int> index, ReadOnlySpan<double> value, int action, double weight, double rate, double[] target)
    {
        var p = Products;
        var factor = weight * _policy[action];
        TensorPrimitives.Multiply(_policy, -factor, _step);
        _step[action] += factor;
        for (var k = 0; k < index.Length; k++)
        {
            var row = target.AsSpan(index[k] * p, p);
            TensorPrimitives.MultiplyAdd(_step, rate * value[k], row, row);
        }
    }
}
