using System.ComponentModel;
using Cobalt.Core.Configuration;
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
public sealed class NnIpsAgent : FitOnceAgent
{
    private readonly NnIpsOptions _o;
    private readonly Layer _l1, _l2, _l3;
    private readonly double[] _h1, _h2, _out;

    /// <summary>Creates the agent.</summary>
    public NnIpsAgent(int products, NnIpsOptions options, ulong seed)
        : base("nn-ips", products, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _o = options;
        var rng = new NumpyRandomState(unchecked((uint)seed));
        _l1 = new Layer(products, options.Hidden, rng);
        _l2 = new Layer(options.Hidden, options.Hidden, rng);
        _l3 = new Layer(options.Hidden, products, rng);
        _h1 = new double[options.Hidden];
        _h2 = new double[options.Hidden];
        _out = new double[products];
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureFitted();
        var x = new double[Products];
        foreach (var j in history.Viewed)
        {
            x[j] = history.Counts[j];
        }
        Forward(x, _h1, _h2, _out);
        var a = UpstreamMath.ArgmaxFirst(_out);
        propensity = _out[a];
        return a;
    }

    private void Forward(ReadOnlySpan<double> x, Span<double> h1, Span<double> h2, Span<double> pi)
    {
        _l1.Apply(x, h1);
        Sigmoid(h1);
        _l2.Apply(h1, h2);
        Sigmoid(h2);
        _l3.Apply(h2, pi);
        var max = double.NegativeInfinity;
        foreach (var z in pi)
        {
            max = Math.Max(max, z);
        }
        var sum = 0.0;
        for (var k = 0; k < pi.Length; k++)
        {
            pi[k] = Math.Exp(pi[k] - max);
            sum += pi[k];
        }
        for (var k = 0; k < pi.Length; k++)
        {
            pi[k] /= sum;
        }
    }

    private protected override void Fit()
    {
        var n = Rows.Count;
        var p = Products;
        var clicked = Enumerable.Range(0, n).Where(i => Rows.Click[i]).ToArray();
        if (clicked.Length == 0)
        {
            return; // every u is 0: no gradient
        }
        var total = (double)n * p;
        var h = _o.Hidden;
        var xs = clicked.Select(i =>
        {
            var x = new double[p];
            for (var k = Rows.Start[i]; k < Rows.Start[i + 1]; k++)
            {
                x[Rows.Index[k]] = Rows.Value[k];
            }
            return x;
        }).ToArray();
        var h1 = xs.Select(_ => new double[h]).ToArray();
        var h2 = xs.Select(_ => new double[h]).ToArray();
        var pi = xs.Select(_ => new double[p]).ToArray();
        var gz = new double[p];
        var g2 = new double[h];
        var g1 = new double[h];
        for (var epoch = 0; epoch < _o.Epochs; epoch++)
        {
            // u_ij = -T(pi_ij / ps_i) on clicked rows, 0 elsewhere.
            var sumU = 0.0;
            var sumU2 = 0.0;
            for (var r = 0; r < xs.Length; r++)
            {
                Forward(xs[r], h1[r], h2[r], pi[r]);
                var ps = Rows.Propensity[clicked[r]];
                for (var j = 0; j < p; j++)
                {
                    var ratio = pi[r][j] / ps;
                    var u = -(ratio > _o.M ? ratio : _o.M);
                    sumU += u;
                    sumU2 += u * u;
                }
            }
            var mean = sumU / total;
            var variance = (sumU2 - (total * mean * mean)) / (total - 1);
            var se = Math.Sqrt(Math.Max(variance, 0) / n);
            _l1.ZeroGrad();
            _l2.ZeroGrad();
            _l3.ZeroGrad();
            var any = false;
            for (var r = 0; r < xs.Length; r++)
            {
                var ps = Rows.Propensity[clicked[r]];
                var dot = 0.0;
                Array.Clear(gz);
                var active = false;
                for (var j = 0; j < p; j++)
                {
                    var ratio = pi[r][j] / ps;
                    if (ratio <= _o.M)
                    {
                        continue; // T is constant there
                    }
                    active = true;
                    var u = -ratio;
                    var dLdu = (1.0 / total) + (se > 0 ? _o.Lambda / (2 * se) / n * 2 * (u - mean) / (total - 1) : 0);
                    gz[j] = dLdu * (-1.0 / ps); // d loss / d pi_j
                }
                if (!active)
                {
                    continue;
                }
                any = true;
                for (var j = 0; j < p; j++)
                {
                    dot += gz[j] * pi[r][j];
                }
                for (var j = 0; j < p; j++)
                {
                    gz[j] = pi[r][j] * (gz[j] - dot); // through the softmax
                }
                _l3.Backward(h2[r], gz, g2);
                for (var k = 0; k < h; k++)
                {
                    g2[k] *= h2[r][k] * (1 - h2[r][k]);
                }
                _l2.Backward(h1[r], g2, g1);
                for (var k = 0; k < h; k++)
                {
                    g1[k] *= h1[r][k] * (1 - h1[r][k]);
                }
                _l1.Backward(xs[r], g1, Span<double>.Empty);
            }
            if (!any)
            {
                continue;
            }
            _l1.Step(_o.LearningRate);
            _l2.Step(_o.LearningRate);
            _l3.Step(_o.LearningRate);
        }
    }

    private static void Sigmoid(Span<double> v)
    {
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = LogregPolyAgent.Sigmoid(v[i]);
        }
    }

    /// <summary>A dense layer y = W x + b with PyTorch's default initialisation.</summary>
    private sealed class Layer
    {
        private readonly int _in, _out;
        private readonly double[] _w, _b, _gw, _gb;

        public Layer(int inputs, int outputs, NumpyRandomState rng)
        {
            _in = inputs;
            _out = outputs;
            _w = new double[inputs * outputs];
            _b = new double[outputs];
            _gw = new double[_w.Length];
            _gb = new double[outputs];
            var bound = 1.0 / Math.Sqrt(inputs);
            for (var i = 0; i < _w.Length; i++)
            {
                _w[i] = (rng.RandomSample() * 2 * bound) - bound;
            }
            for (var i = 0; i < _b.Length; i++)
            {
                _b[i] = (rng.RandomSample() * 2 * bound) - bound;
            }
        }

        public void Apply(ReadOnlySpan<double> x, Span<double> y)
        {
            for (var o = 0; o < _out; o++)
            {
                var s = _b[o];
                var row = o * _in;
                for (var i = 0; i < _in; i++)
                {
                    s += _w[row + i] * x[i];
                }
                y[o] = s;
            }
        }

        public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> gy, Span<double> gx)
        {
            if (!gx.IsEmpty)
            {
                gx.Clear();
            }
            for (var o = 0; o < _out; o++)
            {
                var g = gy[o];
                if (g == 0)
                {
                    continue;
                }
                _gb[o] += g;
                var row = o * _in;
                for (var i = 0; i < _in; i++)
                {
                    _gw[row + i] += g * x[i];
                    if (!gx.IsEmpty)
                    {
                        gx[i] += g * _w[row + i];
                    }
                }
            }
        }

        public void ZeroGrad()
        {
            Array.Clear(_gw);
            Array.Clear(_gb);
        }

        public void Step(double lr)
        {
            for (var i = 0; i < _w.Length; i++)
            {
                _w[i] -= lr * _gw[i];
            }
            for (var i = 0; i < _b.Length; i++)
            {
                _b[i] -= lr * _gb[i];
            }
        }
    }
}
