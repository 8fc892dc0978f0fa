using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Agents;

/// <summary>Options of upstream's <c>OrganicMFSquare</c> and <c>BanditMFSquare</c>.</summary>
public sealed record MatrixFactorisationOptions : AgentOptions
{
    /// <summary>Embedding dimension (upstream <c>embed_dim</c>).</summary>
    [Description("Embedding dimension.")]
    public int EmbedDim { get; init; } = 5;

    /// <summary>Training calls per RMSprop step (upstream <c>mini_batch_size</c>).</summary>
    [Description("Training calls per RMSprop step.")]
    public int MiniBatchSize { get; init; } = 32;

    /// <summary>RMSprop learning rate.</summary>
    [Description("RMSprop learning rate.")]
    public double LearningRate { get; init; } = 0.01;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.AtLeast(EmbedDim, 1, nameof(EmbedDim));
        Require.AtLeast(MiniBatchSize, 1, nameof(MiniBatchSize));
        Require.Positive(LearningRate, nameof(LearningRate));
    }
}

/// <summary>PyTorch's RMSprop with its defaults (alpha 0.99, eps 1e-8, no momentum): s = alpha s + (1 - alpha) g^2, w -= lr g / (sqrt s + eps).</summary>
internal sealed class RmsProp(int size, double learningRate)
{
    private readonly double[] _square = new double[size];

    public void Step(Span<double> w, ReadOnlySpan<double> g)
    {
        for (var i = 0; i < w.Length; i++)
        {
            _square[i] = (0.99 * _square[i]) + (0.01 * g[i] * g[i]);
            w[i] -= learningRate * g[i] / (Math.Sqrt(_square[i]) + 1e-8);
        }
    }
}

/// <summary>
/// Upstream's <c>OrganicMFSquare</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/organic_mf.py</c>): logits of the
/// next organic view = V E[v] + c (E a P x d embedding, V, c a linear layer); every training call adds the organic chunk
/// since the previous call, except every <c>mini_batch_size</c>-th call, which instead takes one RMSprop step on the
/// summed cross-entropy of each chunk's consecutive views and drops the batch (and its own chunk). Recommends
/// argmax of the logits of the last viewed product, propensity 1. Initial weights: E ~ N(0, 1), V, c ~ U(-1/sqrt d, 1/sqrt d)
/// as PyTorch draws them, from numpy's stream of the seed.
/// </summary>
public sealed class OrganicMfSquareAgent : RecoGymAgent
{
    private readonly int _d;
    private readonly int _batch;
    private readonly double[] _w; // E (P x d), V (P x d), c (P)
    private readonly double[] _g;
    private readonly RmsProp _optimizer;
    private readonly List<int[]> _chunks = [];
    private readonly List<int> _chunk = [];
    private readonly double[] _logits;
    private long _step;
    private bool _sawBandit;

    /// <summary>Creates the agent.</summary>
    public OrganicMfSquareAgent(int products, MatrixFactorisationOptions options, ulong seed)
        : base("organic-mf-square", products, online: false, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _d = options.EmbedDim;
        _batch = options.MiniBatchSize;
        _w = new double[(2 * products * _d) + products];
        _g = new double[_w.Length];
        _logits = new double[products];
        _optimizer = new RmsProp(_w.Length, options.LearningRate);
        var rng = new NumpyRandomState(unchecked((uint)seed));
        var bound = 1.0 / Math.Sqrt(_d);
        for (var i = 0; i < _w.Length; i++)
        {
            _w[i] = i < products * _d ? rng.Gauss() : (rng.RandomSample() * 2 * bound) - bound;
        }
    }

    /// <inheritdoc />
    public override void BeginUser(UserHistory history) => _sawBandit = false;

    /// <inheritdoc />
    public override void ObserveOrganic(UserHistory history, int product) => _chunk.Add(product);

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        _sawBandit = true;
        TrainCall();
    }

    /// <inheritdoc />
    public override void EndUser(UserHistory history)
    {
        if (!_sawBandit)
        {
            TrainCall(); // an organic-only user: upstream's single train(observation, None, None, True)
        }
        _chunk.Clear();
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        propensity = 1.0;
        Logits(Math.Max(0, history.LastViewed), _w, _logits);
        return UpstreamMath.ArgmaxFirst(_logits);
    }

    private void TrainCall()
    {
        _step++;
        if (_step % _batch == 0)
        {
            Update();
            _chunks.Clear();
        }
        else
        {
            _chunks.Add([.. _chunk]);
        }
        _chunk.Clear();
    }

    private void Logits(int product, ReadOnlySpan<double> w, Span<double> logits)
    {
        var p = Products;
        var e = w.Slice(product * _d, _d);
        for (var a = 0; a < p; a++)
        {
            var z = w[(2 * p * _d) + a];
            var v = w.Slice((p * _d) + (a * _d), _d);
            for (var k = 0; k < _d; k++)
            {
                z += v[k] * e[k];
            }
            logits[a] = z;
        }
    }

    private void Update()
    {
        var p = Products;
        Array.Clear(_g);
        foreach (var chunk in _chunks)
        {
            for (var i = 0; i + 1 < chunk.Length; i++)
            {
                var from = chunk[i];
                var to = chunk[i + 1];
                Logits(from, _w, _logits);
                var max = double.NegativeInfinity;
                foreach (var z in _logits)
                {
                    max = Math.Max(max, z);
                }
                var sum = 0.0;
                for (var a = 0; a < p; a++)
                {
                    _logits[a] = Math.Exp(_logits[a] - max);
                    sum += _logits[a];
                }
                for (var a = 0; a < p; a++)
                {
                    var r = (_logits[a] / sum) - (a == to ? 1.0 : 0.0);
                    _g[(2 * p * _d) + a] += r;
                    for (var k = 0; k < _d; k++)
                    {
                        _g[(p * _d) + (a * _d) + k] += r * _w[(from * _d) + k];
                        _g[(from * _d) + k] += r * _w[(p * _d) + (a * _d) + k];
                    }
                }
            }
        }
        _optimizer.Step(_w, _g);
    }
}

/// <summary>
/// Upstream's <c>BanditMFSquare</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/bandit_mf.py</c>): the click logit
/// of action a after last view v is A[a] . U[v] (two P x d embeddings, N(0, 1) initially, drawn here from numpy's stream of
/// the seed); every training call first takes the last view of its chunk, then adds (v, a, click), except every
/// <c>mini_batch_size</c>-th call, which takes one RMSprop step on the batch's mean logistic loss and drops it (and its own
/// row). Recommends argmax_a A[a] . U[v] for the last viewed v, propensity 1.
/// </summary>
public sealed class BanditMfSquareAgent : RecoGymAgent
{
    private readonly int _d;
    private readonly int _batch;
    private readonly double[] _w; // A (P x d), U (P x d)
    private readonly double[] _g;
    private readonly RmsProp _optimizer;
    private readonly List<(int View, int Action, bool Click)> _rows = [];
    private readonly double[] _logits;
    private long _step;
    private bool _sawBandit;
    private int _lastProductViewed;

    /// <summary>Creates the agent.</summary>
    public BanditMfSquareAgent(int products, MatrixFactorisationOptions options, ulong seed)
        : base("bandit-mf-square", products, online: false, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _d = options.EmbedDim;
        _batch = options.MiniBatchSize;
        _w = new double[2 * products * _d];
        _g = new double[_w.Length];
        _logits = new double[products];
        _optimizer = new RmsProp(_w.Length, options.LearningRate);
        var rng = new NumpyRandomState(unchecked((uint)seed));
        for (var i = 0; i < _w.Length; i++)
        {
            _w[i] = rng.Gauss();
        }
    }

    /// <inheritdoc />
    public override void BeginUser(UserHistory history) => _sawBandit = false;

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        ArgumentNullException.ThrowIfNull(history);
        _sawBandit = true;
        TrainCall(history, (action, click));
    }

    /// <inheritdoc />
    public override void EndUser(UserHistory history)
    {
        if (!_sawBandit)
        {
            TrainCall(history, null);
        }
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.LastViewed >= 0)
        {
            _lastProductViewed = history.LastViewed;
        }
        var p = Products;
        var u = _w.AsSpan((p * _d) + (_lastProductViewed * _d), _d);
        for (var a = 0; a < p; a++)
        {
            var z = 0.0;
            for (var k = 0; k < _d; k++)
            {
                z += _w[(a * _d) + k] * u[k];
            }
            _logits[a] = z;
        }
        propensity = 1.0;
        return UpstreamMath.ArgmaxFirst(_logits);
    }

    private void TrainCall(UserHistory history, (int Action, bool Click)? row)
    {
        if (history.LastViewed >= 0)
        {
            _lastProductViewed = history.LastViewed;
        }
        _step++;
        if (_step % _batch == 0)
        {
            Update();
            _rows.Clear();
        }
        else if (row is { } r)
        {
            _rows.Add((_lastProductViewed, r.Action, r.Click));
        }
    }

    private void Update()
    {
        if (_rows.Count == 0)
        {
            return;
        }
        var p = Products;
        Array.Clear(_g);
        foreach (var (view, action, click) in _rows)
        {
            var z = 0.0;
            for (var k = 0; k < _d; k++)
            {
                z += _w[(action * _d) + k] * _w[(p * _d) + (view * _d) + k];
            }
            var r = (LogregPolyAgent.Sigmoid(z) - (click ? 1.0 : 0.0)) / _rows.Count;
            for (var k = 0; k < _d; k++)
            {
                var a = _w[(action * _d) + k];
                var u = _w[(p * _d) + (view * _d) + k];
                _g[(action * _d) + k] += r * u;
                _g[(p * _d) + (view * _d) + k] += r * a;
            }
        }
        _optimizer.Step(_w, _g);
    }
}
