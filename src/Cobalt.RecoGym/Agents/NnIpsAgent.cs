using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Layers;
using Cobalt.Neural.Tensors;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Agents;

/// <summary>Options of upstream's <c>NnIpsAgent</c> (<c>nn_ips_args</c>).</summary>
public sealed record NnIpsOptions : AgentOptions
{
    /// <summary>Hidden units per layer.</summary>
    [Description("Hidden units per layer.")]
    public int Hidden { get; init; } = 20;

    /// <summary>Full-batch SGD epochs.</summary>
    [Description("Full-batch SGD epochs.")]
    public int Epochs { get; init; } = 100;

    /// <summary>SGD learning rate.</summary>
    [Description("SGD learning rate.")]
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Threshold M of the ratio (see the agent's remarks).</summary>
    [Description("Threshold M of the ratio prob / ps.")]
    public double M { get; init; } = 111;

    /// <summary>Weight of the standard-error penalty.</summary>
    [Description("Weight of the standard-error penalty.")]
    public double Lambda { get; init; } = 0.01;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.AtLeast(Hidden, 1, nameof(Hidden));
        Require.AtLeast(Epochs, 0, nameof(Epochs));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.NonNegative(Lambda, nameof(Lambda));
    }
}

/// <summary>
/// Upstream's <c>NnIpsAgent</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/nn_ips.py</c>, select_randomly off):
/// pi(x) = softmax(L3 sig(L2 sig(L1 x))) on the view counts x, fitted by full-batch SGD on
/// mean(u) + lambda sqrt(var(u) / N) with u_ij = -c_i T(pi_j(x_i) / ps_i) over every row i and every product j, where
/// T is PyTorch's <c>nn.Threshold(M, M)</c>: T(r) = r if r &gt; M, else M. (So only ratios above M carry a gradient;
/// under RecoGym's protocol none does and the policy stays at its initial weights, as upstream's.) Recommends
/// argmax pi(x), propensity pi_a(x). Weights start U(-1/sqrt(fan-in), 1/sqrt(fan-in)) from numpy's stream of the seed.
/// </summary>
/// <remarks>
/// The network is three Cobalt.Neural <see cref="Linear{T}"/> layers (double) and the loss is recorded on a
/// <see cref="Tape{T}"/>, whose <see cref="Tape{T}.Backward"/> gives the gradient. Two pieces enter as constants taken
/// from the forward values, with the derivative they have there: T's mask 1[r &gt; M] (T is the identity above M and
/// constant below), and the square root, whose gradient lambda d sqrt(v / N) = lambda / (2 N se) dv is recorded as
/// k var(u) with k = lambda / (2 N se) (the tape has no square-root operation); the gradient is the same, the recorded
/// loss value is not the reported one. Inference (<see cref="Act"/>) evaluates the same layers without a tape.
/// </remarks>
public sealed class NnIpsAgent : FitOnceAgent
{
    private readonly NnIpsOptions _o;
    private readonly ParameterSet<double> _parameters = new();
    private readonly Linear<double> _l1, _l2, _l3;
    private readonly double[] _x, _h1, _h2, _out;

    /// <summary>Creates the agent.</summary>
    public NnIpsAgent(int products, NnIpsOptions options, ulong seed)
        : base("nn-ips", products, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _o = options;
        var rng = new NumpyRandomState(unchecked((uint)seed));
        _l1 = Layer("nn-ips.l1", products, options.Hidden, rng);
        _l2 = Layer("nn-ips.l2", options.Hidden, options.Hidden, rng);
        _l3 = Layer("nn-ips.l3", options.Hidden, products, rng);
        _x = new double[products];
        _h1 = new double[options.Hidden];
        _h2 = new double[options.Hidden];
        _out = new double[products];
    }

    /// <summary>The network's parameters (weights [in, out], biases), in layer order.</summary>
    internal IReadOnlyList<Parameter<double>> Parameters => _parameters.All;

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureFitted();
        Array.Clear(_x);
        foreach (var j in history.Viewed)
        {
            _x[j] = history.Counts[j];
        }
        Apply(_l1, _x, _h1);
        Sigmoid(_h1);
        Apply(_l2, _h1, _h2);
        Sigmoid(_h2);
        Apply(_l3, _h2, _out);
        var max = double.NegativeInfinity;
        foreach (var z in _out)
        {
            max = Math.Max(max, z);
        }
        var sum = 0.0;
        for (var k = 0; k < _out.Length; k++)
        {
            _out[k] = Math.Exp(_out[k] - max);
            sum += _out[k];
        }
        for (var k = 0; k < _out.Length; k++)
        {
            _out[k] /= sum;
        }
        var a = UpstreamMath.ArgmaxFirst(_out);
        propensity = _out[a];
        return a;
    }

    private protected override void Fit()
    {
        var loss = new NnIpsLoss(this, Rows);
        if (loss.Clicked == 0)
        {
            return; // every u is 0: no gradient
        }
        for (var epoch = 0; epoch < _o.Epochs; epoch++)
        {
            if (!loss.Gradient())
            {
                continue; // no ratio above M: the gradient is zero
            }
            foreach (var parameter in _parameters.All)
            {
                var value = parameter.Value;
                var gradient = parameter.Gradient;
                for (var i = 0; i < value.Length; i++)
                {
                    value[i] -= _o.LearningRate * gradient[i];
                }
            }
        }
    }

    /// <summary>A layer with PyTorch's default initialisation drawn from numpy's stream: W (out x in, row-major draws), then b.</summary>
    private Linear<double> Layer(string name, int inputs, int outputs, NumpyRandomState rng)
    {
        var layer = new Linear<double>(_parameters, name, inputs, outputs, bias: true, new Rng(0));
        var bound = 1.0 / Math.Sqrt(inputs);
        var w = layer.Weight.Value;
        for (var o = 0; o < outputs; o++)
        {
            for (var i = 0; i < inputs; i++)
            {
                w[(i * outputs) + o] = (rng.RandomSample() * 2 * bound) - bound;
            }
        }
        var b = layer.Bias!.Value;
        for (var o = 0; o < outputs; o++)
        {
            b[o] = (rng.RandomSample() * 2 * bound) - bound;
        }
        return layer;
    }

    private static void Apply(Linear<double> layer, ReadOnlySpan<double> x, Span<double> y)
    {
        var w = layer.Weight.Value;
        var outputs = layer.Outputs;
        layer.Bias!.Value.CopyTo(y);
        for (var i = 0; i < x.Length; i++)
        {
            var xi = x[i];
            if (xi == 0)
            {
                continue;
            }
            var row = i * outputs;
            for (var o = 0; o < outputs; o++)
            {
                y[o] += w[row + o] * xi;
            }
        }
    }

    private static void Sigmoid(Span<double> v)
    {
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = LogregPolyAgent.Sigmoid(v[i]);
        }
    }

    /// <summary>Upstream's loss on the clicked rows of a training log, recorded on a tape (see the agent's remarks).</summary>
    internal sealed class NnIpsLoss
    {
        private readonly NnIpsAgent _agent;
        private readonly Tape<double> _tape = new();
        private readonly double[] _x;
        private readonly double[] _inversePropensity;
        private readonly double[] _mask;
        private readonly double[] _floor;
        private readonly int _n;

        public NnIpsLoss(NnIpsAgent agent, BanditRows rows)
        {
            _agent = agent;
            var p = agent.Products;
            _n = rows.Count;
            var clicked = Enumerable.Range(0, rows.Count).Where(i => rows.Click[i]).ToArray();
            Clicked = clicked.Length;
            _x = new double[Clicked * p];
            _inversePropensity = new double[Clicked];
            for (var r = 0; r < Clicked; r++)
            {
                var i = clicked[r];
                for (var k = rows.Start[i]; k < rows.Start[i + 1]; k++)
                {
                    _x[(r * p) + rows.Index[k]] = rows.Value[k];
                }
                _inversePropensity[r] = 1.0 / rows.Propensity[i];
            }
            _mask = new double[Clicked * p];
            _floor = new double[Clicked * p];
        }

        /// <summary>Clicked rows (the only ones with u != 0).</summary>
        public int Clicked { get; }

        /// <summary>The loss mean(u) + lambda sqrt(var(u) / N) at the current weights, as upstream reports it.</summary>
        public double Value { get; private set; }

        /// <summary>Zeroes the parameters' gradients and fills them with d loss / d theta; false when no ratio exceeds M (zero gradient).</summary>
        public bool Gradient()
        {
            var o = _agent._o;
            var p = _agent.Products;
            var total = (double)_n * p;
            foreach (var parameter in _agent._parameters.All)
            {
                parameter.ZeroGradient();
            }
            var t = _tape;
            t.Reset();
            var x = t.Constant(Shape.Of(Clicked, p), _x);
            var h1 = t.Sigmoid(_agent._l1.Forward(t, x));
            var h2 = t.Sigmoid(_agent._l2.Forward(t, h1));
            var pi = t.Softmax(_agent._l3.Forward(t, h2));
            var ratio = t.Multiply(pi, t.Constant(Shape.Of(Clicked, 1), _inversePropensity));
            // T(r) = r above M, M elsewhere: u = -(mask r + (1 - mask) M), mask taken from the forward values.
            var r = ratio.Data;
            var active = false;
            for (var k = 0; k < r.Length; k++)
            {
                var above = r[k] > o.M;
                active |= above;
                _mask[k] = above ? -1.0 : 0.0;
                _floor[k] = above ? 0.0 : -o.M;
            }
            var u = t.Add(t.Multiply(ratio, t.Constant(ratio.Shape, _mask)), t.Constant(ratio.Shape, _floor));
            var sumU = t.Sum(u);
            var sumU2 = t.Sum(t.Multiply(u, u));
            var mean = sumU.Data[0] / total;
            var variance = (sumU2.Data[0] - (total * mean * mean)) / (total - 1);
            var se = Math.Sqrt(Math.Max(variance, 0) / _n);
            Value = mean + (o.Lambda * se);
            if (!active)
            {
                return false;
            }
            // mean(u) + k var(u), var(u) = (Σu² - (Σu)² / total) / (total - 1), k = lambda / (2 N se): the gradient of mean(u) + lambda se.
            var k2 = se > 0 ? o.Lambda / (2 * se * _n) : 0;
            var varianceNode = t.Scale(t.Add(sumU2, t.Scale(t.Multiply(sumU, sumU), -1.0 / total)), 1.0 / (total - 1));
            var surrogate = t.Add(t.Scale(sumU, 1.0 / total), t.Scale(varianceNode, k2));
            t.Backward(surrogate);
            return true;
        }
    }
}
