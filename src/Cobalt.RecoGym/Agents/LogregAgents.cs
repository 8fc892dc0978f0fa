using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.RecoGym.Agents;

/// <summary>Options of upstream's <c>LogregPolyAgent</c>.</summary>
public sealed record LogregPolyOptions : AgentOptions
{
    /// <summary>Weight every logged row by 1 / propensity (upstream <c>with_ips</c>, its "Re-weighted" entry); off by default (its "Likelihood" entry).</summary>
    [Description("Weight rows by 1 / propensity (upstream with_ips).")]
    public bool WithIps { get; init; }

    /// <summary>Inverse L2 strength C (scikit-learn's default 1).</summary>
    [Description("Inverse L2 regularisation strength C.")]
    public double C { get; init; } = 1.0;

    /// <summary>L-BFGS iterations at most (upstream <c>max_iter</c>).</summary>
    [Description("L-BFGS iterations at most.")]
    public int MaxIterations { get; init; } = 5000;

    /// <summary>Also stop when the objective fell by less than this fraction over 10 iterations (0: only upstream's rules).</summary>
    [Description("Stop when the objective fell by less than this fraction over 10 iterations (0: only upstream's rules).")]
    public double RelativeTolerance { get; init; } = 1e-6;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.Positive(C, nameof(C));
        Require.AtLeast(MaxIterations, 1, nameof(MaxIterations));
        Require.NonNegative(RelativeTolerance, nameof(RelativeTolerance));
    }
}

/// <summary>Options of upstream's <c>LogregMulticlassIpsAgent</c>.</summary>
public sealed record LogregMulticlassIpsOptions : AgentOptions
{
    /// <summary>Inverse L2 strength C (scikit-learn's default 1).</summary>
    [Description("Inverse L2 regularisation strength C.")]
    public double C { get; init; } = 1.0;

    /// <summary>L-BFGS iterations at most (upstream <c>max_iter</c>).</summary>
    [Description("L-BFGS iterations at most.")]
    public int MaxIterations { get; init; } = 5000;

    /// <summary>Also stop when the objective fell by less than this fraction over 10 iterations (0: only upstream's rules).</summary>
    [Description("Stop when the objective fell by less than this fraction over 10 iterations (0: only upstream's rules).")]
    public double RelativeTolerance { get; init; } = 1e-5;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.Positive(C, nameof(C));
        Require.AtLeast(MaxIterations, 1, nameof(MaxIterations));
        Require.NonNegative(RelativeTolerance, nameof(RelativeTolerance));
    }
}

/// <summary>
/// The logged bandit rows of a training log as upstream's <c>AbstractFeatureProvider.train_data</c> builds them:
/// for every recommendation, the user's organic view counts so far (sparse), the action, the click and the propensity.
/// </summary>
internal sealed class BanditRows
{
    public List<int> Start { get; } = [0];

    public List<int> Index { get; } = [];

    public List<double> Value { get; } = [];

    public List<int> Action { get; } = [];

    public List<bool> Click { get; } = [];

    public List<double> Propensity { get; } = [];

    public int Count => Action.Count;

    public void Add(UserHistory history, int action, bool click, double propensity)
    {
        foreach (var p in history.Viewed)
        {
            Index.Add(p);
            Value.Add(history.Counts[p]);
        }
        Start.Add(Index.Count);
        Action.Add(action);
        Click.Add(click);
        Propensity.Add(propensity);
    }
}

/// <summary>
/// Upstream's <c>LogregPolyAgent</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/logreg_poly.py</c>): an
/// L2-regularised logistic regression of the click on [x, a, x (x) a] (x the user's view counts, a one-hot action,
/// x (x) a their Kronecker product) plus an unpenalised intercept, fitted once on the training log:
/// minimise sum_i w_i [log(1 + e^{z_i}) - c_i z_i] + ||theta||^2 / (2 C) (scikit-learn's objective, w_i = 1 or
/// 1 / propensity with <see cref="LogregPolyOptions.WithIps"/>); recommends argmax_a sigma(z(x, a)) (the lowest index on
/// ties), propensity 1. Like upstream's model-based agents it never refits after training, online or not.
/// </summary>
/// <remarks>Fitted by <see cref="Lbfgs"/> to max |gradient| &lt;= 1e-4 rather than by scipy's L-BFGS-B: the optimum is the same.</remarks>
public sealed class LogregPolyAgent : FitOnceAgent
{
    private readonly LogregPolyOptions _options;
    private readonly double[] _theta;
    private readonly double[] _scores;

    /// <summary>Creates the agent.</summary>
    public LogregPolyAgent(int products, LogregPolyOptions options, ulong seed)
        : base("logreg-poly", products, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _theta = new double[(2 * products) + (products * products) + 1];
        _scores = new double[products];
    }

    /// <summary>L-BFGS iterations of the fit.</summary>
    public int Iterations { get; private set; }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureFitted();
        var p = Products;
        var kron = 2 * p;
        var shared = _theta[^1];
        foreach (var j in history.Viewed)
        {
            shared += _theta[j] * history.Counts[j];
        }
        for (var a = 0; a < p; a++)
        {
            var z = shared + _theta[p + a];
            var row = kron + (a * p);
            foreach (var j in history.Viewed)
            {
                z += _theta[row + j] * history.Counts[j];
            }
            _scores[a] = z;
        }
        propensity = 1.0;
        return UpstreamMath.ArgmaxFirst(_scores);
    }

    private protected override void Fit()
    {
        if (Rows.Count == 0)
        {
            return;
        }
        var p = Products;
        var start = Rows.Start.ToArray();
        var index = Rows.Index.ToArray();
        var value = Rows.Value.ToArray();
        var action = Rows.Action.ToArray();
        var click = Rows.Click.ToArray();
        var weight = Rows.Propensity.Select(ps => _options.WithIps ? 1.0 / ps : 1.0).ToArray();
        var lambda = 1.0 / _options.C;
        var penalised = _theta.Length - 1;
        // The Hessian's diagonal at theta = 0: sum_i w_i / 4 * feature^2 + lambda.
        var diagonal = new double[_theta.Length];
        for (var i = 0; i < action.Length; i++)
        {
            var q = 0.25 * weight[i];
            var row = (2 * p) + (action[i] * p);
            diagonal[^1] += q;
            diagonal[p + action[i]] += q;
            for (var k = start[i]; k < start[i + 1]; k++)
            {
                diagonal[index[k]] += q * value[k] * value[k];
                diagonal[row + index[k]] += q * value[k] * value[k];
            }
        }
        for (var j = 0; j < diagonal.Length; j++)
        {
            diagonal[j] += j < penalised ? lambda : 1e-8;
        }
        Iterations = Lbfgs.Minimize((w, g) =>
        {
            g.Clear();
            var loss = 0.0;
            for (var i = 0; i < action.Length; i++)
            {
                var a = action[i];
                var row = (2 * p) + (a * p);
                var z = w[^1] + w[p + a];
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    z += (w[index[k]] + w[row + index[k]]) * value[k];
                }
                var y = click[i] ? 1.0 : 0.0;
                loss += weight[i] * (Softplus(z) - (y * z));
                var r = weight[i] * (Sigmoid(z) - y);
                g[^1] += r;
                g[p + a] += r;
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    g[index[k]] += r * value[k];
                    g[row + index[k]] += r * value[k];
                }
            }
            for (var j = 0; j < penalised; j++)
            {
                loss += 0.5 * lambda * w[j] * w[j];
                g[j] += lambda * w[j];
            }
            return loss;
        }, _theta, 1e-4, _options.MaxIterations, diagonal: diagonal, windowTolerance: _options.RelativeTolerance);
    }

    internal static double Sigmoid(double z) => z >= 0 ? 1.0 / (1.0 + Math.Exp(-z)) : Math.Exp(z) / (1.0 + Math.Exp(z));

    internal static double Softplus(double z) => z > 0 ? z + double.LogP1(Math.Exp(-z)) : double.LogP1(Math.Exp(z));
}

/// <summary>
/// Upstream's <c>LogregMulticlassIpsAgent</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/logreg_ips.py</c>,
/// select_randomly off): a multinomial logistic regression of the logged action on the view counts x, each row weighted
/// by click / propensity (so only clicked rows count), L2 on the weights with C = 1, unpenalised intercepts, classes the
/// actions present in the log; recommends the most probable class (the lowest on ties), propensity 1. Never refits.
/// </summary>
/// <remarks>Fitted by <see cref="Lbfgs"/> to max |gradient| &lt;= 1e-4; the optimum is scikit-learn's.</remarks>
public sealed class LogregMulticlassIpsAgent : FitOnceAgent
{
    private readonly LogregMulticlassIpsOptions _options;
    private int[] _classes = [];
    private double[] _theta = [];
    private double[] _scores = [];

    /// <summary>Creates the agent.</summary>
    public LogregMulticlassIpsAgent(int products, LogregMulticlassIpsOptions options, ulong seed)
        : base("logreg-multiclass-ips", products, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureFitted();
        propensity = 1.0;
        if (_classes.Length == 0)
        {
            return 0;
        }
        var p = Products;
        var stride = p + 1;
        for (var c = 0; c < _classes.Length; c++)
        {
            var row = c * stride;
            var z = _theta[row + p];
            foreach (var j in history.Viewed)
            {
                z += _theta[row + j] * history.Counts[j];
            }
            _scores[c] = z;
        }
        return _classes[UpstreamMath.ArgmaxFirst(_scores)];
    }

    private protected override void Fit()
    {
        _classes = Rows.Action.Distinct().Order().ToArray();
        var classOf = new int[Products];
        for (var c = 0; c < _classes.Length; c++)
        {
            classOf[_classes[c]] = c;
        }
        var p = Products;
        var stride = p + 1;
        var classes = _classes.Length;
        _theta = new double[classes * stride];
        _scores = new double[classes];
        // Only clicked rows carry weight (delta / ps).
        var used = Enumerable.Range(0, Rows.Count).Where(i => Rows.Click[i]).ToArray();
        if (classes == 0 || used.Length == 0)
        {
            return;
        }
        var start = Rows.Start;
        var index = Rows.Index;
        var value = Rows.Value;
        var label = used.Select(i => classOf[Rows.Action[i]]).ToArray();
        var weight = used.Select(i => 1.0 / Rows.Propensity[i]).ToArray();
        var lambda = 1.0 / _options.C;
        var z = new double[classes];
        // The Hessian's diagonal at theta = 0: sum_i w_i (1/C)(1 - 1/C) feature^2 + lambda.
        var diagonal = new double[_theta.Length];
        var q0 = (1.0 / classes) * (1 - (1.0 / classes));
        for (var u = 0; u < used.Length; u++)
        {
            var i = used[u];
            for (var c = 0; c < classes; c++)
            {
                var row = c * stride;
                diagonal[row + p] += weight[u] * q0;
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    diagonal[row + index[k]] += weight[u] * q0 * value[k] * value[k];
                }
            }
        }
        for (var t = 0; t < diagonal.Length; t++)
        {
            diagonal[t] += (t % stride) == p ? 1e-8 : lambda;
        }
        Iterations = Lbfgs.Minimize((w, g) =>
        {
            g.Clear();
            var loss = 0.0;
            for (var u = 0; u < used.Length; u++)
            {
                var i = used[u];
                var max = double.NegativeInfinity;
                for (var c = 0; c < classes; c++)
                {
                    var row = c * stride;
                    var s = w[row + p];
                    for (var k = start[i]; k < start[i + 1]; k++)
                    {
                        s += w[row + index[k]] * value[k];
                    }
                    z[c] = s;
                    max = Math.Max(max, s);
                }
                var y = label[u];
                var zy = z[y] - max;
                var sum = 0.0;
                for (var c = 0; c < classes; c++)
                {
                    z[c] = Math.Exp(z[c] - max);
                    sum += z[c];
                }
                var logSoftmax = zy - Math.Log(sum);
                loss -= weight[u] * logSoftmax;
                for (var c = 0; c < classes; c++)
                {
                    var r = weight[u] * ((z[c] / sum) - (c == y ? 1.0 : 0.0));
                    var row = c * stride;
                    g[row + p] += r;
                    for (var k = start[i]; k < start[i + 1]; k++)
                    {
                        g[row + index[k]] += r * value[k];
                    }
                }
            }
            for (var c = 0; c < classes; c++)
            {
                for (var j = 0; j < p; j++)
                {
                    var t = (c * stride) + j;
                    loss += 0.5 * lambda * w[t] * w[t];
                    g[t] += lambda * w[t];
                }
            }
            return loss;
        }, _theta, 1e-4, _options.MaxIterations, diagonal: diagonal, windowTolerance: _options.RelativeTolerance);
    }

    /// <summary>L-BFGS iterations of the fit.</summary>
    public int Iterations { get; private set; }
}
