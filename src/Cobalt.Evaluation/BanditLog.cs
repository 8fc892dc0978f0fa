using System.Globalization;
using Cobalt.Core.Data;
using Cobalt.Data;
using Cobalt.Data.OpenBandit;

namespace Cobalt.Evaluation;

/// <summary>
/// Logged bandit feedback: for every round t the context x_t, the action a_t the logging policy took in
/// slot (position) p_t, the reward r_t, and the logging policy's probability of that action, P(a_t | x_t, p_t).
/// </summary>
public sealed class BanditLog
{
    /// <summary>Creates a log after checking every round: actions in [0, K), positions in [0, L), finite rewards, propensities in (0, 1].</summary>
    /// <exception cref="ArgumentException">The first bad round is named with what is wrong.</exception>
    public BanditLog(int actionCount, FeatureMatrix contexts, int[] actions, double[] rewards, double[] propensities, int[]? positions = null, int positionCount = 1)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(propensities);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(actionCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positionCount);
        positions ??= new int[actions.Length];
        var n = actions.Length;
        if (rewards.Length != n || propensities.Length != n || positions.Length != n || contexts.Rows != n)
        {
            throw new ArgumentException($"A log needs one action, reward, propensity, position and context row per round: got {n} actions, {rewards.Length} rewards, {propensities.Length} propensities, {positions.Length} positions, {contexts.Rows} contexts.", nameof(actions));
        }
        for (var t = 0; t < n; t++)
        {
            if ((uint)actions[t] >= (uint)actionCount)
            {
                throw new ArgumentException($"Round {t}: action {actions[t]} is outside the action set 0..{actionCount - 1}.", nameof(actions));
            }
            if ((uint)positions[t] >= (uint)positionCount)
            {
                throw new ArgumentException($"Round {t}: position {positions[t]} is outside 0..{positionCount - 1}.", nameof(positions));
            }
            if (!double.IsFinite(rewards[t]))
            {
                throw new ArgumentException($"Round {t}: the reward is {rewards[t]}; rewards must be finite.", nameof(rewards));
            }
            if (!(propensities[t] > 0 && propensities[t] <= 1))
            {
                throw new ArgumentException($"Round {t}: the propensity is {propensities[t]}; it must be in (0, 1] (a zero propensity means the logging policy could not have taken the action).", nameof(propensities));
            }
        }
        ActionCount = actionCount;
        PositionCount = positionCount;
        Contexts = contexts;
        Actions = actions;
        Rewards = rewards;
        Propensities = propensities;
        Positions = positions;
    }

    /// <summary>Number of actions K.</summary>
    public int ActionCount { get; }

    /// <summary>Number of slots L.</summary>
    public int PositionCount { get; }

    /// <summary>Contexts, one row per round (may have no columns).</summary>
    public FeatureMatrix Contexts { get; }

    /// <summary>Logged actions.</summary>
    public int[] Actions { get; }

    /// <summary>Logged rewards.</summary>
    public double[] Rewards { get; }

    /// <summary>P(a_t | x_t, p_t) under the logging policy.</summary>
    public double[] Propensities { get; }

    /// <summary>Logged slots (0-based).</summary>
    public int[] Positions { get; }

    /// <summary>Number of rounds.</summary>
    public int Count => Actions.Length;

    /// <summary>Mean logged reward: the logging policy's on-policy value.</summary>
    public double MeanReward => Rewards.Length == 0 ? 0 : Rewards.Average();

    /// <summary>The rounds <paramref name="rounds"/> as a log of their own.</summary>
    public BanditLog Subset(IReadOnlyList<int> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var d = Contexts.Columns;
        var contexts = new double[rounds.Count * d];
        for (var i = 0; i < rounds.Count; i++)
        {
            Contexts.Row(rounds[i]).CopyTo(contexts.AsSpan(i * d, d));
        }
        return new BanditLog(ActionCount, new FeatureMatrix(rounds.Count, d, contexts),
            rounds.Select(t => Actions[t]).ToArray(), rounds.Select(t => Rewards[t]).ToArray(), rounds.Select(t => Propensities[t]).ToArray(),
            rounds.Select(t => Positions[t]).ToArray(), PositionCount);
    }

    /// <summary>An Open Bandit Dataset campaign log.</summary>
    public static BanditLog From(LoggedBanditDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new BanditLog(data.ItemCount, data.Contexts, data.Actions, data.Rewards, data.Propensities, data.Positions, Math.Max(data.SlotCount, 1));
    }

    /// <summary>
    /// Reads the CSV schema of <c>cobalt evaluate --log</c>: a header with the columns <c>action</c> (0-based), <c>reward</c>,
    /// <c>propensity</c>, optionally <c>position</c> (0-based), any number of context columns <c>x_*</c>, and optionally the
    /// evaluation policy's probabilities <c>pi_0</c> .. <c>pi_{K-1}</c>. The action count K is the largest action + 1, or the
    /// number of <c>pi_</c> columns.
    /// </summary>
    public static (BanditLog Log, ActionDistribution? Policy) ReadCsv(string path)
    {
        using var csv = new CsvLines(path, "action", "reward", "propensity");
        var contextColumns = csv.Header.Where(h => h.StartsWith("x_", StringComparison.Ordinal)).ToArray();
        var policyColumns = csv.Header.Where(h => h.StartsWith("pi_", StringComparison.Ordinal))
            .OrderBy(h => int.TryParse(h[3..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k : int.MaxValue).ToArray();
        for (var k = 0; k < policyColumns.Length; k++)
        {
            if (policyColumns[k] != $"pi_{k}")
            {
                throw new DataFormatException(Path.GetFileName(path), 1, $"policy columns must be pi_0 .. pi_{policyColumns.Length - 1}; found {policyColumns[k]} where pi_{k} was expected.");
            }
        }
        var hasPosition = csv.Has("position");
        var actions = new List<int>();
        var rewards = new List<double>();
        var propensities = new List<double>();
        var positions = new List<int>();
        var contexts = new List<double>();
        var policy = new List<double>();
        while (csv.Read())
        {
            var action = csv.WholeNumber("action");
            if (action < 0 || (policyColumns.Length > 0 && action >= policyColumns.Length))
            {
                throw csv.Error($"action {action} is outside the action set 0..{(policyColumns.Length > 0 ? policyColumns.Length - 1 : int.MaxValue)}.");
            }
            var propensity = csv.Number("propensity");
            if (!(propensity > 0 && propensity <= 1))
            {
                throw csv.Error($"propensity {propensity} must be in (0, 1].");
            }
            var position = hasPosition ? csv.WholeNumber("position") : 0;
            if (position < 0)
            {
                throw csv.Error($"position {position} must be 0 or more.");
            }
            actions.Add((int)action);
            rewards.Add(csv.Number("reward"));
            propensities.Add(propensity);
            positions.Add((int)position);
            foreach (var c in contextColumns)
            {
                contexts.Add(csv.Number(c));
            }
            foreach (var c in policyColumns)
            {
                policy.Add(csv.Number(c));
            }
        }
        if (actions.Count == 0)
        {
            throw new DataFormatException(Path.GetFileName(path), 0, "the log has no rounds.");
        }
        var actionCount = policyColumns.Length > 0 ? policyColumns.Length : actions.Max() + 1;
        var log = new BanditLog(actionCount, new FeatureMatrix(actions.Count, contextColumns.Length, [.. contexts]), [.. actions], [.. rewards], [.. propensities], [.. positions], positions.Max() + 1);
        return (log, policyColumns.Length > 0 ? new ActionDistribution(actions.Count, actionCount, [.. policy]) : null);
    }
}
