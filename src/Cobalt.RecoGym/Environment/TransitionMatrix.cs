namespace Cobalt.RecoGym.Environment;

/// <summary>
/// The 3 x 3 transition matrix of a user's Markov chain over (organic, bandit, leave), built as upstream does:
/// row organic = (1 - p_ob - p_lo, p_ob, p_lo); row bandit = (p_bo, 1 - p_bo - q, q) with q = prob_leave_organic
/// (upstream's defect) or prob_leave_bandit (fixed); leave is absorbing.
/// </summary>
public sealed class TransitionMatrix
{
    private readonly double[] _p = new double[9];

    /// <summary>Builds the matrix of <paramref name="options"/>.</summary>
    public TransitionMatrix(RecoGymOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Set(UserState.Organic, UserState.Bandit, options.ProbOrganicToBandit);
        Set(UserState.Organic, UserState.Leave, options.ProbLeaveOrganic);
        Set(UserState.Organic, UserState.Organic, 1 - options.ProbOrganicToBandit - options.ProbLeaveOrganic);
        Set(UserState.Bandit, UserState.Organic, options.ProbBanditToOrganic);
        Set(UserState.Bandit, UserState.Leave, options.EffectiveProbLeaveBandit);
        Set(UserState.Bandit, UserState.Bandit, 1 - options.ProbBanditToOrganic - options.EffectiveProbLeaveBandit);
        Set(UserState.Leave, UserState.Leave, 1);
    }

    /// <summary>P(to | from).</summary>
    public double this[UserState from, UserState to] => _p[(3 * (int)from) + (int)to];

    /// <summary>The next state for a uniform draw <paramref name="u"/> in [0, 1): the first state whose cumulative probability exceeds u (as numpy's choice).</summary>
    public UserState Next(UserState from, double u)
    {
        var row = 3 * (int)from;
        var cumulative = _p[row];
        if (u < cumulative)
        {
            return UserState.Organic;
        }
        cumulative += _p[row + 1];
        return u < cumulative ? UserState.Bandit : UserState.Leave;
    }

    private void Set(UserState from, UserState to, double p) => _p[(3 * (int)from) + (int)to] = p;
}
