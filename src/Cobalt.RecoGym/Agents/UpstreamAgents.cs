using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Agents;

/// <summary>Options of upstream's <c>RandomAgent</c> (nothing to set).</summary>
public sealed record UpstreamRandomOptions : AgentOptions;

/// <summary>Options of upstream's <c>OrganicCount</c> (nothing to set).</summary>
public sealed record OrganicCountOptions : AgentOptions;

/// <summary>Options of upstream's <c>OrganicUserEventCounterAgent</c>.</summary>
public sealed record OrganicUserCountOptions : AgentOptions
{
    /// <summary>Probability of exploring uniformly over the products this user has not viewed (upstream <c>epsilon</c>, default 0).</summary>
    [Description("Probability of exploring uniformly over the products the user has not viewed.")]
    public double Epsilon { get; init; }

    /// <summary>Sample the action (upstream <c>select_randomly</c>, default true); false recommends the most viewed product.</summary>
    [Description("Sample the action in proportion to the views (false: the most viewed product).")]
    public bool SelectRandomly { get; init; } = true;

    /// <inheritdoc />
    public override void Validate() => Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
}

/// <summary>Options of upstream's <c>BanditCount</c>.</summary>
public sealed record UpstreamBanditCountOptions : AgentOptions
{
    /// <summary>
    /// Upstream's training pairs each logged action with the last product viewed before the <em>previous</em> action
    /// (its <c>train</c> reads <c>last_product_viewed</c> before updating it, across users too, and updates a whole
    /// column the very first time). True (default) reproduces that; false pairs each action with its own context.
    /// </summary>
    [Description("Reproduce upstream's stale context in training (false: pair each action with its own last view).")]
    public bool StaleContext { get; init; } = true;
}

/// <summary>Options of upstream's <c>EpsilonGreedy</c> around <c>BanditCount</c>.</summary>
public sealed record UpstreamEpsilonGreedyOptions : AgentOptions
{
    /// <summary>Exploration probability (upstream <c>epsilon_greedy_args</c>: 0.01).</summary>
    [Description("Exploration probability.")]
    public double Epsilon { get; init; } = 0.01;

    /// <summary>Explore among the products other than the greedy one (upstream <c>epsilon_pure_new</c>, default true).</summary>
    [Description("Explore only among products other than the greedy one.")]
    public bool PureNew { get; init; } = true;

    /// <summary>The wrapped bandit count's stale-context switch.</summary>
    [Description("The wrapped bandit count's stale-context switch.")]
    public bool StaleContext { get; init; } = true;

    /// <inheritdoc />
    public override void Validate() => Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
}

/// <summary>
/// Upstream's <c>RandomAgent</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/random_agent.py</c>):
/// <c>RandomState(seed).choice(P)</c> at every act, propensity 1/P. In RecoGym's protocol the seed is the world's.
/// </summary>
public sealed class UpstreamRandomAgent : RecoGymAgent
{
    private readonly NumpyRandomState _numpy;

    /// <summary>Creates the agent; <paramref name="seed"/>'s low 32 bits seed numpy's stream.</summary>
    public UpstreamRandomAgent(int products, ulong seed)
        : base("random", products, online: false, seed) => _numpy = new NumpyRandomState(unchecked((uint)seed));

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        propensity = 1.0 / Products;
        return _numpy.Choice(Products);
    }
}

/// <summary>
/// Upstream's <c>OrganicCount</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/organic_count.py</c>):
/// for every chunk of organic views between two training calls, co_counts += b b^T with b the chunk's view counts;
/// recommends argmax_a co_counts[v, a] for the last viewed product v (the lowest index on ties), propensity 1.
/// </summary>
/// <remarks>A training call is upstream's <c>train(observation, ...)</c>: here every logged action and every user's end.</remarks>
public sealed class OrganicCountAgent : RecoGymAgent
{
    private readonly double[] _coCounts;
    private readonly int[] _chunk;
    private readonly List<int> _chunkProducts = [];

    /// <summary>Creates the agent.</summary>
    public OrganicCountAgent(int products, ulong seed)
        : base("organic-count", products, online: false, seed)
    {
        _coCounts = new double[products * products];
        _chunk = new int[products];
    }

    /// <summary>The co-count of <paramref name="viewed"/> and <paramref name="action"/>.</summary>
    public double CoCount(int viewed, int action) => _coCounts[(viewed * Products) + action];

    /// <inheritdoc />
    public override void ObserveOrganic(UserHistory history, int product)
    {
        if (_chunk[product]++ == 0)
        {
            _chunkProducts.Add(product);
        }
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click) => Flush();

    /// <inheritdoc />
    public override void EndUser(UserHistory history) => Flush();

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        propensity = 1.0;
        return UpstreamMath.ArgmaxFirst(_coCounts.AsSpan(Math.Max(0, history.LastViewed) * Products, Products));
    }

    private void Flush()
    {
        foreach (var i in _chunkProducts)
        {
            foreach (var j in _chunkProducts)
            {
                _coCounts[(i * Products) + j] += (double)_chunk[i] * _chunk[j];
            }
        }
        foreach (var i in _chunkProducts)
        {
            _chunk[i] = 0;
        }
        _chunkProducts.Clear();
    }
}

/// <summary>
/// Upstream's <c>OrganicUserEventCounterAgent</c> (criteo-research/reco-gym f8553d1,
/// <c>recogym/agents/organic_user_count.py</c>, exploit_explore on): with x the user's view counts, first
/// explore = <c>rng.choice([True, False], p=[epsilon, 1 - epsilon])</c>; exploring, p = 1 / #unviewed over the
/// products not viewed, otherwise p = x / sum x; then a = <c>rng.choice(P, p=p)</c> (or argmax p without
/// select_randomly) with propensity (epsilon or 1 - epsilon) p_a. RecoGym's competition logs with epsilon = 0.05;
/// its numpy stream is <c>RandomState(world seed)</c>.
/// </summary>
public sealed class OrganicUserCountAgent : RecoGymAgent
{
    private readonly NumpyRandomState _numpy;
    private readonly double _epsilon;
    private readonly bool _selectRandomly;
    private readonly double[] _p, _cdf;

    /// <summary>Creates the agent under <paramref name="kind"/> (organic-user-count, or logging for the logging policy).</summary>
    public OrganicUserCountAgent(string kind, int products, OrganicUserCountOptions options, ulong seed)
        : base(kind, products, online: false, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _epsilon = options.Epsilon;
        _selectRandomly = options.SelectRandomly;
        _numpy = new NumpyRandomState(unchecked((uint)seed));
        _p = new double[products];
        _cdf = new double[products];
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        var explore = _numpy.ChooseTrue(_epsilon);
        var counts = history.Counts;
        if (explore)
        {
            var unviewed = Products - history.DistinctCount;
            for (var i = 0; i < Products; i++)
            {
                _p[i] = counts[i] == 0 ? 1.0 / unviewed : 0.0;
            }
        }
        else if (history.Total == 0)
        {
            _p.AsSpan().Fill(1.0 / Products); // upstream would divide by zero; never reached in its protocol
        }
        else
        {
            double total = history.Total;
            for (var i = 0; i < Products; i++)
            {
                _p[i] = counts[i] / total;
            }
        }
        if (!_selectRandomly)
        {
            propensity = 1.0;
            return UpstreamMath.ArgmaxFirst(_p);
        }
        var action = _numpy.Choice(_p, _cdf);
        propensity = (explore ? _epsilon : 1 - _epsilon) * _p[action];
        return action;
    }
}

/// <summary>
/// Upstream's <c>BanditCount</c> (criteo-research/reco-gym f8553d1, <c>recogym/agents/bandit_count.py</c>):
/// ctr[v, a] = (clicks + 1) / (pulls + 2) per (last viewed product v, action a); recommends argmax_a ctr[v, a]
/// (the lowest index on ties) with "propensity" ctr[v, a] as upstream reports it. Training reproduces upstream's
/// stale context unless <see cref="UpstreamBanditCountOptions.StaleContext"/> is off.
/// </summary>
public sealed class UpstreamBanditCountAgent : RecoGymAgent
{
    private readonly double[] _pulls, _clicks, _ctr;
    private readonly bool _stale;
    private int _lastProductViewed = -1;

    /// <summary>Creates the agent.</summary>
    public UpstreamBanditCountAgent(int products, UpstreamBanditCountOptions options, ulong seed)
        : base("bandit-count", products, online: false, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        _stale = options.StaleContext;
        _pulls = new double[products * products];
        _clicks = new double[products * products];
        _ctr = new double[products * products];
        _ctr.AsSpan().Fill(0.5);
    }

    /// <summary>ctr[v, a].</summary>
    public double Ctr(int viewed, int action) => _ctr[(viewed * Products) + action];

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        ArgumentNullException.ThrowIfNull(history);
        var ix = _stale ? _lastProductViewed : history.LastViewed;
        if (history.LastViewed >= 0)
        {
            _lastProductViewed = history.LastViewed;
        }
        if (ix < 0)
        {
            // Upstream indexes with None here: the whole column of the action is updated.
            for (var v = 0; v < Products; v++)
            {
                Update((v * Products) + action, click);
            }
            return;
        }
        Update((ix * Products) + action, click);
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.LastViewed >= 0)
        {
            _lastProductViewed = history.LastViewed;
        }
        var row = _ctr.AsSpan(Math.Max(0, _lastProductViewed) * Products, Products);
        var action = UpstreamMath.ArgmaxFirst(row);
        propensity = row[action];
        return action;
    }

    private void Update(int cell, bool click)
    {
        _pulls[cell]++;
        if (click)
        {
            _clicks[cell]++;
        }
        _ctr[cell] = (_clicks[cell] + 1) / (_pulls[cell] + 2);
    }
}

/// <summary>
/// Upstream's <c>EpsilonGreedy</c> wrapped around <c>BanditCount</c> (criteo-research/reco-gym f8553d1,
/// <c>recogym/agents/epsilon_greedy.py</c>): the inner agent proposes a; with <c>rng.choice([True, False],
/// p=[epsilon, 1 - epsilon])</c> the agent instead draws uniformly among the other products (epsilon_pure_new),
/// propensity epsilon / (P - 1); otherwise a with propensity (1 - epsilon) times the inner one.
/// </summary>
public sealed class UpstreamEpsilonGreedyAgent : RecoGymAgent
{
    private readonly UpstreamBanditCountAgent _inner;
    private readonly NumpyRandomState _numpy;
    private readonly double _epsilon;
    private readonly bool _pureNew;
    private readonly double[] _p, _cdf;

    /// <summary>Creates the agent.</summary>
    public UpstreamEpsilonGreedyAgent(int products, UpstreamEpsilonGreedyOptions options, ulong seed)
        : base("epsilon-greedy", products, online: false, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _inner = new UpstreamBanditCountAgent(products, new UpstreamBanditCountOptions { StaleContext = options.StaleContext }, seed);
        _numpy = new NumpyRandomState(unchecked((uint)seed));
        _epsilon = options.Epsilon;
        _pureNew = options.PureNew;
        _p = new double[products];
        _cdf = new double[products];
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click) =>
        _inner.ObserveBandit(history, action, propensity, click);

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        var greedy = _inner.Act(history, out var greedyPropensity);
        if (!_numpy.ChooseTrue(_epsilon))
        {
            propensity = (1 - _epsilon) * greedyPropensity;
            return greedy;
        }
        _p.AsSpan().Fill(1.0);
        if (_pureNew)
        {
            _p[greedy] = 0;
        }
        var sum = 0.0;
        foreach (var x in _p)
        {
            sum += x;
        }
        for (var i = 0; i < _p.Length; i++)
        {
            _p[i] /= sum;
        }
        var action = _numpy.Choice(_p, _cdf);
        propensity = _epsilon * _p[action];
        return action;
    }
}

/// <summary>numpy conventions the ports rely on.</summary>
internal static class UpstreamMath
{
    /// <summary><c>np.argmax</c>: the first index of the largest value.</summary>
    public static int ArgmaxFirst(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
