namespace Cobalt.Evaluation.RewardModels;

/// <summary>
/// Features of (context, action, slot) for reward models: phi = [x, onehot(a), onehot(p), x ⊗ onehot(a) (optional), 1].
/// The interaction block lets the model give each action its own slope on the context; it is used when d x K is small.
/// </summary>
public sealed class RewardFeatures
{
    /// <summary>Creates the map for a log's shape; interactions are included when <paramref name="interactions"/> is true.</summary>
    public RewardFeatures(int contextDimension, int actions, int positions, bool interactions)
    {
        ContextDimension = contextDimension;
        Actions = actions;
        Positions = positions;
        Interactions = interactions;
        Dimension = contextDimension + actions + positions + (interactions ? contextDimension * actions : 0) + 1;
    }

    /// <summary>The map for <paramref name="log"/>, with interactions when d x K &lt;= <paramref name="maxInteractions"/>.</summary>
    public static RewardFeatures For(BanditLog log, int maxInteractions = 400)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new RewardFeatures(log.Contexts.Columns, log.ActionCount, log.PositionCount, log.Contexts.Columns * log.ActionCount <= maxInteractions);
    }

    /// <summary>d.</summary>
    public int ContextDimension { get; }

    /// <summary>K.</summary>
    public int Actions { get; }

    /// <summary>L.</summary>
    public int Positions { get; }

    /// <summary>Whether x ⊗ onehot(a) is included.</summary>
    public bool Interactions { get; }

    /// <summary>Length of phi.</summary>
    public int Dimension { get; }

    /// <summary>Writes phi(x_t, a, p_t) for round <paramref name="round"/> of <paramref name="log"/>.</summary>
    public void Write(BanditLog log, int round, int action, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(log);
        destination.Clear();
        var x = log.Contexts.Row(round);
        x.CopyTo(destination);
        var offset = x.Length;
        destination[offset + action] = 1;
        offset += Actions;
        destination[offset + log.Positions[round]] = 1;
        offset += Positions;
        if (Interactions)
        {
            x.CopyTo(destination.Slice(offset + action * x.Length, x.Length));
            offset += Actions * x.Length;
        }
        destination[offset] = 1;
    }
}

/// <summary>A reward model q-hat(x, a, p) that can be fitted on some rounds of a log and predict others.</summary>
public interface IRewardRegressor
{
    /// <summary>Display name.</summary>
    string Name { get; }

    /// <summary>Fits on the rounds <paramref name="rounds"/> of <paramref name="log"/> (their logged action and reward).</summary>
    void Fit(BanditLog log, IReadOnlyList<int> rounds);

    /// <summary>Writes q-hat(x_t, a, p_t) for every action a of round <paramref name="round"/>.</summary>
    void Predict(BanditLog log, int round, Span<double> predictions);
}
