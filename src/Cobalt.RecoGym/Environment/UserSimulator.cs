using System.Numerics.Tensors;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;

namespace Cobalt.RecoGym.Environment;

/// <summary>
/// One user of a <see cref="RecoGymWorld"/> at a time, stepped exactly as upstream's <c>RecoEnv1</c>:
/// <list type="bullet">
/// <item>arrival: omega ~ N(0, sigma_omega_initial^2 I_K), state organic, time 0;</item>
/// <item>organic view: v ~ softmax(Gamma omega + mu_organic);</item>
/// <item>transition: next state from the chain, time + 1; if the new state is organic (or always, with
/// change-omega-for-bandits) omega &lt;- omega + N(0, sigma_omega^2 I_K); entering the bandit state from another
/// state recomputes the click probabilities ff(beta omega + mu_bandit) (every transition with change-omega-for-bandits);</item>
/// <item>bandit step: click ~ Bernoulli(ff(beta_a . omega + mu_bandit_a)), then a transition, and after a click
/// the state is forced to organic (whatever was drawn, leave included).</item>
/// </list>
/// </summary>
/// <remarks>
/// Two sources of randomness. With Cobalt's streams (the first constructor) each user has four random streams derived from its own seed (omega, transitions, views, clicks), so that
/// agents facing the same user see the same draws for as long as their paths agree (common random numbers).
/// With upstream's stream (the second constructor) every draw of every user comes, in upstream's order, from one
/// numpy <see cref="NumpyRandomState"/>, exactly as <c>RecoEnv1</c> draws them (criteo-research/reco-gym f8553d1,
/// <c>recogym/envs/reco_env_v1.py</c> <c>reset</c>, <c>update_state</c>, <c>draw_click</c>, <c>update_product_view</c>):
/// omega = normal(0, sigma_omega_initial, K); a view = choice(P, p = exp(l - max l) / sum) with numpy's pairwise sum;
/// a transition = choice(3, p = row) and, into organic, omega = normal(omega, sigma_omega); a click =
/// choice([0, 1], p = [1 - ctr, ctr]). The user seed is then ignored: users follow one another on the stream.
/// One simulator is reused for many users without allocating; it is not thread-safe.
/// </remarks>
public sealed class UserSimulator
{
    private readonly RecoGymWorld _world;
    private readonly TransitionMatrix _transitions;
    private readonly double[] _omega;
    private readonly double[] _logits;
    private readonly double[] _clickProbabilities;
    private readonly Rng _omegaRng = new(1), _transitionRng = new(2), _viewRng = new(3), _clickRng = new(4);
    private readonly double _sigmaOmega;
    private readonly bool _changeOmegaForBandits;
    private readonly NumpyRandomState? _numpy;
    private readonly double[] _cdf;
    private readonly double[] _organicCdf = new double[3], _banditCdf = new double[3];

    /// <summary>Creates a simulator for users of <paramref name="world"/>.</summary>
    public UserSimulator(RecoGymWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        _world = world;
        _transitions = world.Transitions;
        _omega = new double[world.LatentFactors];
        _logits = new double[world.Products];
        _clickProbabilities = new double[world.Products];
        _sigmaOmega = world.Options.SigmaOmega;
        _changeOmegaForBandits = world.Options.ChangeOmegaForBandits;
        State = UserState.Leave;
        _cdf = new double[world.Products];
    }

    /// <summary>
    /// Creates a simulator that draws everything from <paramref name="stream"/> in upstream's order (for RecoGym's
    /// protocol the stream is <c>RandomState(world seed)</c>, fresh, as <c>init_gym</c> and <c>reset_random_seed</c> leave it).
    /// </summary>
    public UserSimulator(RecoGymWorld world, NumpyRandomState stream)
        : this(world)
    {
        _numpy = stream ?? throw new ArgumentNullException(nameof(stream));
        var o = world.Options;
        // Upstream builds each row with zeros on the diagonal, then sets it to 1 - sum(row) (Python's left-to-right sum).
        double[] organic = [0, o.ProbOrganicToBandit, o.ProbLeaveOrganic];
        organic[0] = 1 - ((organic[0] + organic[1]) + organic[2]);
        double[] bandit = [o.ProbBanditToOrganic, 0, o.EffectiveProbLeaveBandit];
        bandit[1] = 1 - ((bandit[0] + bandit[1]) + bandit[2]);
        NumpyRandomState.Cumulate(organic, _organicCdf);
        NumpyRandomState.Cumulate(bandit, _banditCdf);
    }

    /// <summary>True when every draw comes from one numpy stream in upstream's order.</summary>
    public bool IsUpstreamStream => _numpy is not null;

    /// <summary>The world.</summary>
    public RecoGymWorld World => _world;

    /// <summary>The current user's id.</summary>
    public int UserId { get; private set; }

    /// <summary>The current state.</summary>
    public UserState State { get; private set; }

    /// <summary>Time: 0 at arrival, + 1 at every transition.</summary>
    public long Time { get; private set; }

    /// <summary>The user's latent interests omega.</summary>
    public ReadOnlySpan<double> Omega => _omega;

    /// <summary>The click probability of every product, as cached when the user last entered the bandit state.</summary>
    public ReadOnlySpan<double> ClickProbabilities => _clickProbabilities;

    /// <summary>The seed of user <paramref name="userId"/> in the population named <paramref name="population"/> (for example "train", "test").</summary>
    public static ulong UserSeed(ulong environmentSeed, string population, int userId) =>
        Seeds.Derive(environmentSeed, "recogym/user/" + population, userId);

    /// <summary>A new user arrives: omega is drawn, the state is organic, time is 0.</summary>
    public void Start(ulong userSeed, int userId)
    {
        if (_numpy is { } numpy)
        {
            var s0 = _world.Options.SigmaOmegaInitial;
            for (var k = 0; k < _omega.Length; k++)
            {
                _omega[k] = numpy.Normal(0, s0);
            }
            UserId = userId;
            State = UserState.Organic;
            Time = 0;
            return;
        }
        StreamSeeding.Reseed(_omegaRng, Seeds.Derive(userSeed, "omega"));
        StreamSeeding.Reseed(_transitionRng, Seeds.Derive(userSeed, "transition"));
        StreamSeeding.Reseed(_viewRng, Seeds.Derive(userSeed, "view"));
        StreamSeeding.Reseed(_clickRng, Seeds.Derive(userSeed, "click"));
        var sigma = _world.Options.SigmaOmegaInitial;
        for (var k = 0; k < _omega.Length; k++)
        {
            _omega[k] = sigma * _omegaRng.NextGaussian();
        }
        UserId = userId;
        State = UserState.Organic;
        Time = 0;
    }

    /// <summary>The organic view probabilities softmax(Gamma omega + mu_organic) for the current omega.</summary>
    public void OrganicProbabilities(Span<double> destination)
    {
        if (destination.Length != _world.Products)
        {
            throw new ArgumentException($"Expected {_world.Products} entries.", nameof(destination));
        }
        ComputeLogits(destination);
        var max = TensorPrimitives.Max<double>(destination);
        TensorPrimitives.Subtract(destination, max, destination);
        TensorPrimitives.Exp(destination, destination);
        var sum = TensorPrimitives.Sum<double>(destination);
        TensorPrimitives.Divide(destination, sum, destination);
    }

    /// <summary>The user views a product v ~ softmax(Gamma omega + mu_organic); the state must be organic.</summary>
    public int ViewProduct()
    {
        if (State != UserState.Organic)
        {
            throw new InvalidOperationException($"Only an organic user views products (the state is {State}).");
        }
        var weights = _logits.AsSpan();
        ComputeLogits(weights);
        if (_numpy is { } numpy)
        {
            return NumpyView(numpy, weights);
        }
        var max = TensorPrimitives.Max<double>(weights);
        TensorPrimitives.Subtract(weights, max, weights);
        TensorPrimitives.Exp(weights, weights);
        var target = _viewRng.NextDouble() * TensorPrimitives.Sum<double>(weights);
        var cumulative = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (target < cumulative)
            {
                return i;
            }
        }
        return weights.LastIndexOfAnyExcept(0.0); // rounding left the target at the total
    }

    /// <summary>
    /// One step of the chain (upstream <c>update_state</c>): the next state is drawn, time advances, omega walks
    /// if the new state is organic (or always with change-omega-for-bandits), and the click probabilities are
    /// recomputed on entering the bandit state.
    /// </summary>
    public void Transition()
    {
        var old = State;
        if (_numpy is { } numpy)
        {
            State = old switch
            {
                UserState.Organic => (UserState)NumpyRandomState.SearchSortedRight(_organicCdf, numpy.RandomSample()),
                UserState.Bandit => (UserState)NumpyRandomState.SearchSortedRight(_banditCdf, numpy.RandomSample()),
                _ => UserState.Leave,
            };
        }
        else
        {
            State = _transitions.Next(old, _transitionRng.NextDouble());
        }
        Time++;
        if (_changeOmegaForBandits || State == UserState.Organic)
        {
            for (var k = 0; k < _omega.Length; k++)
            {
                _omega[k] = _numpy is { } n ? n.Normal(_omega[k], _sigmaOmega) : _omega[k] + (_sigmaOmega * _omegaRng.NextGaussian());
            }
        }
        if (State == UserState.Bandit && (old != State || _changeOmegaForBandits))
        {
            ComputeClickProbabilities();
        }
    }

    /// <summary>Draws the click on <paramref name="action"/>: Bernoulli(ff(beta_a . omega + mu_bandit_a)); the state must be bandit.</summary>
    public bool Click(int action)
    {
        if (State != UserState.Bandit)
        {
            throw new InvalidOperationException($"Only a user in the bandit state can click (the state is {State}).");
        }
        if ((uint)action >= (uint)_world.Products)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, $"Actions are products 0 to {_world.Products - 1}.");
        }
        return _numpy is { } numpy ? numpy.Bernoulli(_clickProbabilities[action]) : _clickRng.NextDouble() < _clickProbabilities[action];
    }

    /// <summary>What follows a recommendation: a transition, then organic whatever was drawn if the user clicked.</summary>
    public void AfterRecommendation(bool clicked)
    {
        Transition();
        if (clicked)
        {
            State = UserState.Organic;
        }
    }

    private int NumpyView(NumpyRandomState numpy, Span<double> logits)
    {
        // log_uprob - max(log_uprob); uprob = exp; p = uprob / uprob.sum(); choice(P, p=p).
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = Math.Exp(logits[i] - max);
        }
        var total = NumpyMath.Sum(logits); // numpy's pairwise sum, as RecoGym's softmax normalises
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] /= total;
        }
        return numpy.Choice(logits, _cdf);
    }

    private void ComputeLogits(Span<double> destination)
    {
        var k = _omega.Length;
        var gamma = _world.Gamma;
        var mu = _world.MuOrganic;
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = TensorPrimitives.Dot<double>(gamma.Slice(i * k, k), _omega) + mu[i];
        }
    }

    private void ComputeClickProbabilities()
    {
        var k = _omega.Length;
        var beta = _world.Beta;
        var mu = _world.MuBandit;
        var ff = _world.Click;
        for (var i = 0; i < _clickProbabilities.Length; i++)
        {
            _clickProbabilities[i] = ff.Evaluate(TensorPrimitives.Dot<double>(beta.Slice(i * k, k), _omega) + mu[i]);
        }
    }
}
