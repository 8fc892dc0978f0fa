using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Agents;

/// <summary>Recommends a product uniformly at random (propensity 1/P).</summary>
public sealed class RandomAgent(int products, ulong seed) : RecoGymAgent("random", products, online: false, seed)
{
    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        propensity = 1.0 / Products;
        return Rng.NextInt(Products);
    }
}

/// <summary>
/// The logging policy of the challenge, upstream's "organic user count": recommends a with probability
/// x_a / sum_j x_j, x the user's organic view counts so far (no support on unviewed products when epsilon = 0);
/// with epsilon &gt; 0, the mixture (1 - epsilon) x_a / sum x + epsilon / P. Learns nothing.
/// </summary>
public sealed class LoggingPolicyAgent : RecoGymAgent
{
    private readonly double _epsilon;

    /// <summary>Creates the policy.</summary>
    public LoggingPolicyAgent(int products, LoggingPolicyOptions options, ulong seed)
        : base("logging", products, online: false, seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _epsilon = options.Epsilon;
    }

    /// <summary>p(a | x) = (1 - epsilon) x_a / sum x + epsilon / P (uniform before any view).</summary>
    public double Probability(UserHistory history, int action)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Total == 0
            ? 1.0 / Products
            : ((1 - _epsilon) * history.Counts[action] / history.Total) + (_epsilon / Products);
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        int action;
        if (history.Total == 0 || (_epsilon > 0 && Rng.NextDouble() < _epsilon))
        {
            action = Rng.NextInt(Products);
        }
        else
        {
            // Sample from the counts over the viewed products only.
            var target = Rng.NextInt(history.Total);
            action = history.Viewed[^1];
            foreach (var p in history.Viewed)
            {
                target -= history.Counts[p];
                if (target < 0)
                {
                    action = p;
                    break;
                }
            }
        }
        propensity = Probability(history, action);
        return action;
    }
}

/// <summary>
/// Organic popularity: recommends the product viewed most often organically by all users seen (training log,
/// and test users when online); ties broken at random. Not personalised.
/// </summary>
public sealed class PopularityAgent : RecoGymAgent
{
    private readonly double[] _counts;

    /// <summary>Creates the agent.</summary>
    public PopularityAgent(int products, PopularityAgentOptions options, ulong seed)
        : base("popularity", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        _counts = new double[products];
    }

    /// <inheritdoc />
    public override void ObserveOrganic(UserHistory history, int product) => _counts[product]++;

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        var action = Choice.Argmax(_counts, Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }
}

/// <summary>
/// Bandit count per last-viewed product (upstream's <c>BanditCount</c>): for the pair (last viewed v, action a)
/// the smoothed click rate (clicks + alpha) / (shows + alpha + beta), Beta(1, 1) by default; recommends the
/// largest for the user's last viewed product (ties at random).
/// </summary>
public sealed class BanditCountAgent : RecoGymAgent
{
    private readonly double[] _shows, _clicks, _rates;
    private readonly double _alpha, _beta;

    /// <summary>Creates the agent.</summary>
    public BanditCountAgent(int products, BanditCountOptions options, ulong seed)
        : base("bandit-count-fresh", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _alpha = options.PriorAlpha;
        _beta = options.PriorBeta;
        _shows = new double[products * products];
        _clicks = new double[products * products];
        _rates = new double[products * products];
        _rates.AsSpan().Fill(_alpha / (_alpha + _beta));
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.LastViewed < 0)
        {
            return;
        }
        var cell = (history.LastViewed * Products) + action;
        _shows[cell]++;
        if (click)
        {
            _clicks[cell]++;
        }
        _rates[cell] = (_clicks[cell] + _alpha) / (_shows[cell] + _alpha + _beta);
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        var row = Math.Max(0, history.LastViewed);
        var action = Choice.Argmax(_rates.AsSpan(row * Products, Products), Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }
}

/// <summary>The oracle: recommends the product with the largest true click probability for the user now (a reference for the attainable CTR).</summary>
public sealed class OracleAgent(int products, ulong seed) : RecoGymAgent("oracle", products, online: false, seed), ISimulatorAware
{
    private UserSimulator? _simulator;

    /// <inheritdoc />
    public void Attach(UserSimulator simulator) => _simulator = simulator ?? throw new ArgumentNullException(nameof(simulator));

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        var simulator = _simulator ?? throw new InvalidOperationException("The oracle must be attached to the simulator first.");
        var action = Choice.Argmax(simulator.ClickProbabilities, Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }
}
