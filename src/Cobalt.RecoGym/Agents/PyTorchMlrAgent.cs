using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Agents;

/// <summary>The objective of upstream's <c>PyTorchMLRAgent</c>, one per leaderboard entry.</summary>
public enum MlrObjective
{
    /// <summary><c>pytorch_CB.py</c>: maximise the IPS estimate mean_i (1 / ps_i) softmax(W x_i)_{a_i} over clicked rows.</summary>
    Ips,

    /// <summary><c>pytorch_CB_log.py</c> (logIPS): maximise mean_i (1 / ps_i) log softmax(W x_i)_{a_i} over clicked rows.</summary>
    LogIps,

    /// <summary>
    /// <c>pytorch_likelihood.py</c> (alpha = 1): minimise mean_i w_i BCE(sigma(x_i . W_{a_i} + b), c_i) over all rows, with
    /// w_i = 1 / ps_i because that entry's <c>ll_IPS = False,</c> is a (truthy) tuple upstream.
    /// </summary>
    Likelihood,
}

/// <summary>Options of upstream's <c>PyTorchMLRAgent</c>.</summary>
public sealed record PyTorchMlrOptions : AgentOptions
{
    /// <summary>L-BFGS steps (upstream runs a fixed 200).</summary>
    [Description("L-BFGS steps (upstream: a fixed 200).")]
    public int Steps { get; init; } = 200;

    /// <summary>Weight the likelihood by 1 / propensity (upstream's effective behaviour, see <see cref="MlrObjective.Likelihood"/>).</summary>
    [Description("Weight the likelihood objective by 1 / propensity.")]
    public bool LikelihoodIps { get; init; } = true;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.AtLeast(Steps, 1, nameof(Steps));
    }
}

/// <summary>
/// Upstream's <c>PyTorchMLRAgent</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/pytorch_mlr.py</c>; entries
/// <c>leaderboard_entries/pytorch_CB.py</c>, <c>pytorch_CB_log.py</c>, <c>pytorch_likelihood.py</c>): a P x P weight
/// matrix W (no regularisation) fitted once by 200 full-batch L-BFGS steps from W, b ~ U(-1/sqrt(P), 1/sqrt(P))
/// (PyTorch's kaiming_uniform(a = sqrt 5)), then greedy: argmax_a (W x)_a, propensity 1. The bias b only enters the
/// likelihood objective, as upstream. The initial draw comes from numpy's stream of the seed, not PyTorch's, and the line
/// search is Armijo backtracking rather than hjmshi's Wolfe search: same objective, not the same iterates. The objectives
/// and their gradients are recorded on Cobalt.Neural's tape (<see cref="MlrTapeObjective"/>).
/// </summary>
public sealed class PyTorchMlrAgent : FitOnceAgent
{
    private readonly PyTorchMlrOptions _options;
    private readonly MlrObjective _objective;
    private readonly double[] _theta;
    private readonly double[] _scores;

    /// <summary>Creates the agent of <paramref name="objective"/> under <paramref name="kind"/>.</summary>
    public PyTorchMlrAgent(string kind, MlrObjective objective, int products, PyTorchMlrOptions options, ulong seed)
        : base(kind, products, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _objective = objective;
        _theta = new double[(products * products) + 1];
        _scores = new double[products];
        var rng = new NumpyRandomState(unchecked((uint)seed));
        var bound = 1.0 / Math.Sqrt(products);
        for (var i = 0; i < _theta.Length; i++)
        {
            _theta[i] = rng.RandomSample() * 2 * bound - bound;
        }
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureFitted();
        var p = Products;
        for (var a = 0; a < p; a++)
        {
            var z = 0.0;
            foreach (var j in history.Viewed)
            {
                z += _theta[(a * p) + j] * history.Counts[j];
            }
            _scores[a] = z;
        }
        propensity = 1.0;
        return UpstreamMath.ArgmaxFirst(_scores);
    }

    private protected override void Fit()
    {
        var objective = new MlrTapeObjective(_objective, Rows, Products, _options.LikelihoodIps);
        if (objective.Rows == 0)
        {
            return;
        }
        Lbfgs.Minimize(objective.Evaluate, _theta, 0, _options.Steps);
    }
}
