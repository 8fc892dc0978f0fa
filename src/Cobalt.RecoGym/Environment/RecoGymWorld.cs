using Cobalt.Core.Randomness;

namespace Cobalt.RecoGym.Environment;

/// <summary>
/// The static parameters of one RecoGym environment, drawn once per environment seed:
/// Gamma (P x K, entries N(0, 1)), mu_organic (P values N(0, sigma_mu_organic^2)), the bandit embeddings
/// beta and mu_bandit (equal to the organic ones unless products are flipped), and the transition matrix.
/// Immutable after construction and safe to share between threads.
/// </summary>
/// <remarks>
/// Flips (upstream <c>generate_beta</c>): among the off-diagonal entries of Gamma Gamma^T, from the largest down,
/// a pair (i, j) whose products are both unused swaps rows i and j of beta and entries i and j of mu_bandit,
/// until <c>number-of-flips</c> pairs are swapped. <c>normalize-beta</c> then scales every beta row to unit norm.
/// </remarks>
public sealed class RecoGymWorld
{
    private readonly double[] _gamma;
    private readonly double[] _muOrganic;
    private readonly double[] _beta;
    private readonly double[] _muBandit;
    private readonly int[] _bandit;

    /// <summary>Draws the world of <paramref name="seed"/> from Cobalt's own streams.</summary>
    public RecoGymWorld(RecoGymOptions options, ulong seed)
        : this(options, seed, DrawCobalt(options, seed))
    {
    }

    private RecoGymWorld(RecoGymOptions options, ulong seed, (double[] Gamma, double[] Mu) drawn)
    {
        Options = options;
        Seed = seed;
        Products = options.Products;
        LatentFactors = options.LatentFactors;
        Click = options.Click;
        _gamma = drawn.Gamma;
        _muOrganic = drawn.Mu;
        _bandit = FlipIndex(_gamma, Products, LatentFactors, options.NumberOfFlips);
        _beta = new double[_gamma.Length];
        _muBandit = new double[Products];
        for (var i = 0; i < Products; i++)
        {
            var source = _bandit[i];
            _gamma.AsSpan(source * LatentFactors, LatentFactors).CopyTo(_beta.AsSpan(i * LatentFactors, LatentFactors));
            _muBandit[i] = _muOrganic[source];
            if (options.NormalizeBeta)
            {
                var row = _beta.AsSpan(i * LatentFactors, LatentFactors);
                var norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<double>(row));
                if (norm > 0)
                {
                    System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
                }
            }
        }
        Transitions = new TransitionMatrix(options);
    }

    /// <summary>
    /// RecoGym's own world for integer seed <paramref name="seed"/>, bit for bit: <c>RandomState(seed)</c> draws
    /// Gamma = normal(size=(P, K)) row-major, then mu_organic = normal(0, sigma_mu_organic, size=(P, 1))
    /// (criteo-research/reco-gym f8553d1, <c>recogym/envs/reco_env_v1.py</c> <c>set_static_params</c>;
    /// <c>abstract.py</c> <c>init_gym</c> seeds with <c>config.random_seed</c>).
    /// </summary>
    public static RecoGymWorld FromNumpySeed(RecoGymOptions options, uint seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rng = new NumpyRandomState(seed);
        var gamma = new double[options.Products * options.LatentFactors];
        for (var i = 0; i < gamma.Length; i++)
        {
            gamma[i] = rng.Gauss();
        }
        var mu = new double[options.Products];
        for (var i = 0; i < mu.Length; i++)
        {
            mu[i] = rng.Normal(0, options.SigmaMuOrganic);
        }
        return new RecoGymWorld(options, seed, (gamma, mu));
    }

    private static (double[] Gamma, double[] Mu) DrawCobalt(RecoGymOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rng = Seeds.Stream(seed, "recogym/world");
        var gamma = new double[options.Products * options.LatentFactors];
        rng.FillGaussian(gamma);
        var mu = new double[options.Products];
        for (var i = 0; i < mu.Length; i++)
        {
            mu[i] = options.SigmaMuOrganic * rng.NextGaussian();
        }
        return (gamma, mu);
    }

    /// <summary>The options the world was drawn from.</summary>
    public RecoGymOptions Options { get; }

    /// <summary>The environment seed.</summary>
    public ulong Seed { get; }

    /// <summary>P.</summary>
    public int Products { get; }

    /// <summary>K.</summary>
    public int LatentFactors { get; }

    /// <summary>ff.</summary>
    public ClickFunction Click { get; }

    /// <summary>The Markov chain over organic, bandit and leave.</summary>
    public TransitionMatrix Transitions { get; }

    /// <summary>Gamma, row-major P x K.</summary>
    public ReadOnlySpan<double> Gamma => _gamma;

    /// <summary>mu_organic.</summary>
    public ReadOnlySpan<double> MuOrganic => _muOrganic;

    /// <summary>beta, row-major P x K.</summary>
    public ReadOnlySpan<double> Beta => _beta;

    /// <summary>mu_bandit.</summary>
    public ReadOnlySpan<double> MuBandit => _muBandit;

    /// <summary>For every product, the product whose organic parameters it took as bandit parameters (itself unless flipped).</summary>
    public ReadOnlySpan<int> BanditSource => _bandit;

    /// <summary>The greedy flip permutation of upstream's <c>generate_beta</c>.</summary>
    internal static int[] FlipIndex(double[] gamma, int products, int k, int flips)
    {
        var index = new int[products];
        for (var i = 0; i < products; i++)
        {
            index[i] = i;
        }
        if (flips == 0)
        {
            return index;
        }
        var pairs = new List<(double Covariance, int I, int J)>(products * (products - 1) / 2);
        for (var i = 0; i < products; i++)
        {
            for (var j = i + 1; j < products; j++)
            {
                var c = System.Numerics.Tensors.TensorPrimitives.Dot<double>(gamma.AsSpan(i * k, k), gamma.AsSpan(j * k, k));
                pairs.Add((c, i, j));
            }
        }
        // Largest covariance first; ties (measure zero) broken by position so the order is deterministic.
        pairs.Sort((a, b) => b.Covariance != a.Covariance ? b.Covariance.CompareTo(a.Covariance) : (a.I, a.J).CompareTo((b.I, b.J)));
        var used = new bool[products];
        var done = 0;
        foreach (var (_, i, j) in pairs)
        {
            if (used[i] || used[j])
            {
                continue;
            }
            index[i] = j;
            index[j] = i;
            used[i] = used[j] = true;
            if (++done == flips)
            {
                break;
            }
        }
        return index;
    }
}
