namespace Cobalt.RecoGym.Agents;

/// <summary>
/// An agent that, as RecoGym's model-based agents do (criteo-research/reco-gym f8553d1, recogym/agents: logreg_poly.py, logreg_ips.py,
/// pytorch_mlr.py, nn_ips.py), collects the logged bandit rows while training and fits once, at the end of training or at
/// its first recommendation, whichever comes first; it never refits.
/// </summary>
public abstract class FitOnceAgent : RecoGymAgent
{
    private bool _fitted;

    /// <summary>Creates the agent (offline: it learns nothing during the test).</summary>
    protected FitOnceAgent(string kind, int products, ulong seed)
        : base(kind, products, online: false, seed)
    {
    }

    /// <summary>The logged bandit rows seen before the fit.</summary>
    private protected BanditRows Rows { get; } = new();

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        if (!_fitted)
        {
            Rows.Add(history, action, click, propensity);
        }
    }

    /// <inheritdoc />
    public override void EndTraining() => EnsureFitted();

    /// <summary>Fits on <see cref="Rows"/> unless that happened already.</summary>
    protected void EnsureFitted()
    {
        if (_fitted)
        {
            return;
        }
        _fitted = true;
        Fit();
    }

    /// <summary>The agent's one fit on <see cref="Rows"/>.</summary>
    private protected abstract void Fit();
}
