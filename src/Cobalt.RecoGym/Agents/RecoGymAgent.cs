using Cobalt.Core.Randomness;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// An agent of the RecoGym A/B test. The same calls feed it offline (replaying a log) and online (facing
/// simulated users): <see cref="BeginUser"/>, then organic views and recommendations in the order they happen,
/// then <see cref="EndUser"/>. <see cref="Act"/> is only called online. The runner keeps the user's
/// <see cref="UserHistory"/>; agents read it and never change it.
/// </summary>
public abstract class RecoGymAgent
{
    /// <summary>Creates the agent; <paramref name="seed"/> fixes its random stream (tie-breaking, exploration).</summary>
    protected RecoGymAgent(string kind, int products, bool online, ulong seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentOutOfRangeException.ThrowIfLessThan(products, 2);
        Kind = kind;
        Products = products;
        Online = online;
        Rng = new Rng(seed);
    }

    /// <summary>The registry name of the agent's kind.</summary>
    public string Kind { get; }

    /// <summary>P.</summary>
    public int Products { get; }

    /// <summary>Whether the agent keeps learning from what it sees during the A/B test.</summary>
    public bool Online { get; }

    /// <summary>The agent's own random stream.</summary>
    protected Rng Rng { get; }

    /// <summary>Offline training is about to replay <paramref name="log"/> (agents may read its totals, e.g. the logged click rate).</summary>
    public virtual void BeginTraining(Logs.InteractionLog log)
    {
    }

    /// <summary>A new user arrives (always called, offline and online).</summary>
    public virtual void BeginUser(UserHistory history)
    {
    }

    /// <summary>The user viewed <paramref name="product"/>; <paramref name="history"/> already includes the view.</summary>
    public virtual void ObserveOrganic(UserHistory history, int product)
    {
    }

    /// <summary>Chooses the product to recommend now; <paramref name="propensity"/> is its probability under the agent (NaN when it has no closed form).</summary>
    public abstract int Act(UserHistory history, out double propensity);

    /// <summary>The outcome of recommending <paramref name="action"/> with probability <paramref name="propensity"/> (NaN when unknown).</summary>
    public virtual void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
    }

    /// <summary>The user left.</summary>
    public virtual void EndUser(UserHistory history)
    {
    }

    /// <summary>The offline log has been replayed: fit whatever is fitted in batch.</summary>
    public virtual void EndTraining()
    {
    }
}

/// <summary>An agent that reads the simulator's hidden state (only the oracle, a reference for the best achievable CTR).</summary>
public interface ISimulatorAware
{
    /// <summary>Gives the agent the simulator its users come from.</summary>
    void Attach(Environment.UserSimulator simulator);
}
