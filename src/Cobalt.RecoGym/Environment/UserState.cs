namespace Cobalt.RecoGym.Environment;

/// <summary>The states of a user's Markov chain (upstream's magic numbers organic = 0, bandit = 1, stop = 2).</summary>
public enum UserState
{
    /// <summary>Browsing: the user views products.</summary>
    Organic = 0,

    /// <summary>Waiting for a recommendation: the agent acts, the user clicks or not.</summary>
    Bandit = 1,

    /// <summary>Gone (absorbing).</summary>
    Leave = 2,
}
