using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;

namespace Cobalt.Evaluation.Obp;

/// <summary>Settings of <see cref="ObpBernoulliTs"/>; the defaults are OBP's OBD example (<c>--n_sim_to_compute_action_dist 1000000 --random_state 12345</c>).</summary>
/// <param name="Simulations">Monte-Carlo draws (<c>n_sim</c>).</param>
/// <param name="Seed">numpy RandomState seed (<c>random_state</c>).</param>
/// <param name="ListLength">Slots (<c>len_list</c>).</param>
public sealed record ObpBernoulliTsOptions(int Simulations = 1_000_000, uint Seed = 12345, int ListLength = 3)
{
    /// <summary>Checks every field.</summary>
    public ObpBernoulliTsOptions Validate()
    {
        Require.AtLeast(Simulations, 1, nameof(Simulations));
        Require.AtLeast(ListLength, 1, nameof(ListLength));
        return this;
    }
}

/// <summary>
/// Open Bandit Pipeline's Bernoulli Thompson sampling policy with the ZOZOTOWN prior, as its OBD benchmark evaluates it
/// (<c>obp/policy/contextfree.py</c> <c>BernoulliTS(is_zozotown_prior=True).compute_batch_action_dist</c>, prior from
/// <c>obp/policy/conf/prior_bts.yaml</c>, st-tech/zr-obp @ 8cbd5fa, Apache-2.0): with no updates, every simulation draws
/// theta_a ~ Beta(alpha_a, beta_a) for all actions (numpy RandomState's legacy beta, one (a, b) pair after another) and
/// puts the top <c>len_list</c> actions in descending theta in slots 0, 1, 2; pi(a | slot) = count / n_sim.
/// </summary>
/// <remarks>
/// The draws are numpy's own stream (<see cref="NumpyRandomState.Beta"/>), so the counts equal OBP's exactly for the same
/// seed and n_sim (pinned by the parity tests).
/// </remarks>
public static class ObpBernoulliTs
{
    /// <summary>The ZOZOTOWN prior (alpha, beta) of a campaign ("all", "men" or "women").</summary>
    public static (double[] Alpha, double[] Beta) ZozotownPrior(string campaign) => campaign switch
    {
        "all" => ([47, 8, 62, 142, 3, 14, 7, 857, 12, 15, 6, 100, 48, 23, 71, 61, 13, 16, 518, 30, 7, 4, 23, 8, 10, 11, 11, 18, 121, 11, 11, 10, 14, 9, 204, 58, 3, 19, 42, 1013, 2, 328, 15, 31, 14, 138, 45, 55, 23, 38, 10, 401, 52, 6, 3, 6, 5, 32, 35, 133, 52, 820, 43, 195, 8, 42, 40, 4, 32, 30, 9, 22, 6, 23, 5, 54, 8, 22, 65, 246],
            [12198, 3566, 15993, 35522, 2367, 4609, 3171, 181745, 4372, 4951, 3100, 24665, 13210, 7061, 18061, 17449, 5644, 6787, 111326, 8776, 3334, 2271, 7389, 2659, 3665, 4724, 3561, 5085, 27407, 4601, 4756, 4120, 4736, 3788, 45292, 14719, 2189, 5589, 11995, 222255, 2308, 70034, 4801, 8274, 5421, 31912, 12213, 13576, 6230, 10382, 4141, 85731, 12811, 2707, 2250, 2668, 2886, 9581, 9465, 28336, 12062, 162793, 12107, 41240, 3162, 11604, 10818, 2923, 8897, 8654, 4000, 6580, 3174, 6766, 2602, 14506, 3968, 7523, 16532, 51964]),
        "men" => ([47, 8, 62, 142, 3, 6, 100, 48, 23, 71, 61, 13, 16, 518, 30, 7, 4, 23, 8, 10, 11, 11, 18, 121, 11, 4, 32, 30, 9, 22, 6, 23, 5, 54],
            [12198, 3566, 15993, 35522, 2367, 3100, 24665, 13210, 7061, 18061, 17449, 5644, 6787, 111326, 8776, 3334, 2271, 7389, 2659, 3665, 4724, 3561, 5085, 27407, 4601, 2923, 8897, 8654, 4000, 6580, 3174, 6766, 2602, 14506]),
        "women" => ([12, 7, 984, 13, 15, 15, 11, 14, 9, 200, 72, 3, 14, 49, 1278, 3, 325, 14, 27, 14, 169, 48, 47, 18, 40, 12, 447, 46, 5, 3, 5, 7, 35, 34, 99, 30, 880, 51, 182, 6, 45, 39, 10, 24, 72, 229],
            [3612, 3173, 204484, 4517, 4765, 5331, 4131, 4728, 4028, 44280, 17918, 2309, 4339, 12922, 270771, 2480, 68475, 5129, 7367, 5819, 38026, 13047, 11604, 5394, 10912, 4439, 94485, 10700, 2679, 2319, 2578, 3288, 9566, 9775, 20120, 7317, 172026, 13673, 37329, 3365, 10911, 10734, 4278, 7574, 16826, 47462]),
        _ => throw new ArgumentException($"Unknown campaign '{campaign}'; the ZOZOTOWN prior covers all, men and women.", nameof(campaign)),
    };

    /// <summary>pi(a | slot) of BernoulliTS with the ZOZOTOWN prior of <paramref name="campaign"/>: one array per slot.</summary>
    public static double[][] ActionDistribution(string campaign, ObpBernoulliTsOptions? options = null)
    {
        var (alpha, beta) = ZozotownPrior(campaign);
        return ActionDistribution(alpha, beta, options);
    }

    /// <summary>pi(a | slot) of BernoulliTS with prior Beta(<paramref name="alpha"/>, <paramref name="beta"/>) and no updates.</summary>
    public static double[][] ActionDistribution(double[] alpha, double[] beta, ObpBernoulliTsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(alpha);
        ArgumentNullException.ThrowIfNull(beta);
        options = (options ?? new ObpBernoulliTsOptions()).Validate();
        if (alpha.Length != beta.Length || alpha.Length < options.ListLength)
        {
            throw new ArgumentException($"alpha ({alpha.Length}) and beta ({beta.Length}) need one entry per action, at least len_list = {options.ListLength}.", nameof(alpha));
        }
        var k = alpha.Length;
        var slots = options.ListLength;
        var counts = new long[slots * k];
        var theta = new double[k];
        var top = new int[slots];
        var rng = new NumpyRandomState(options.Seed);
        for (var s = 0; s < options.Simulations; s++)
        {
            for (var a = 0; a < k; a++)
            {
                theta[a] = rng.Beta(alpha[a], beta[a]);
            }
            // argsort()[::-1][:len_list]: the largest first (ties have probability zero).
            for (var l = 0; l < slots; l++)
            {
                var best = -1;
                for (var a = 0; a < k; a++)
                {
                    if ((best < 0 || theta[a] > theta[best]) && Array.IndexOf(top, a, 0, l) < 0)
                    {
                        best = a;
                    }
                }
                top[l] = best;
                counts[(l * k) + best]++;
            }
        }
        return Enumerable.Range(0, slots).Select(l => Enumerable.Range(0, k).Select(a => counts[(l * k) + a] / (double)options.Simulations).ToArray()).ToArray();
    }
}
