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
            rounds.Select(t => Positions[t]).ToArray(), PositionCount)
        {
            Source = Source is { } s ? new LogSource(s.File, rounds.Select(t => s.Lines[t]).ToArray()) : null,
        };
    }

    /// <summary>An Open Bandit Dataset campaign log.</summary>
    public static BanditLog From(LoggedBanditDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new BanditLog(data.ItemCount, data.Contexts, data.Actions, data.Rewards, data.Propensities, data.Positions, Math.Max(data.SlotCount, 1));
    }

    /// <summary>Where each round came from, for messages: the file name and each round's 1-based line (the header is line 1); null for logs built in memory.</summary>
    public LogSource? Source { get; init; }

    /// <summary>"FILE line N" for round <paramref name="t"/>, or "round t" (0-based) when the log has no source file.</summary>
    public string Where(int t) => Source is { } s ? $"{s.File} line {s.Lines[t]}" : $"round {t}";

    /// <summary>The largest number of slots a CSV log may name (positions 0 .. MaxPositions - 1): each slot gets a one-hot feature.</summary>
    public const int MaxPositions = 1024;

    /// <summary>The largest rounds x actions a CSV log may need (the evaluation policy and the reward predictions each hold that many doubles).</summary>
    public const long MaxCells = 1L << 27;

    /// <summary>
    /// Reads the CSV schema of <c>cobalt evaluate --log</c>: a header with the columns <c>action</c> (0-based), <c>reward</c>,
    /// <c>propensity</c>, optionally <c>position</c> (0-based), any number of context columns <c>x_*</c>, and optionally the
    /// evaluation policy's probabilities <c>pi_0</c> .. <c>pi_{K-1}</c>. Other columns are ignored. The action count K is the
    /// number of <c>pi_</c> columns, or <paramref name="actionCount"/> when there are none (it must then be given; when both
    /// are present they must agree).
    /// </summary>
    /// <remarks>
    /// Every cell is checked, and the first bad one is reported as a <see cref="DataFormatException"/> naming the file, the
    /// 1-based line (the header is line 1) and the column: actions must be whole numbers in [0, K), positions whole numbers in
    /// [0, <see cref="MaxPositions"/>), propensities in (0, 1], rewards and contexts finite (negative rewards are allowed: the
    /// estimators are linear in the reward and the reward models fall back to squared loss outside [0, 1]), each pi_* row in
    /// [0, 1] and summing to 1 within 1e-6. Records with more or fewer fields than the header, duplicated column names and a
    /// log with no rounds are refused.
    /// </remarks>
    public static (BanditLog Log, ActionDistribution? Policy) ReadCsv(string path, int? actionCount = null)
    {
        using var csv = new CsvLines(path, "action", "reward", "propensity");
        var duplicate = csv.Header.Select((name, i) => (name, i)).GroupBy(c => c.name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new DataFormatException(csv.File, 1, $"column '{duplicate.Key}' appears {duplicate.Count()} times (columns {string.Join(", ", duplicate.Select(c => c.i + 1))}); each column must be named once.");
        }
        var contextColumns = csv.Header.Where(h => h.StartsWith("x_", StringComparison.Ordinal)).ToArray();
        var policyColumns = csv.Header.Where(h => h.StartsWith("pi_", StringComparison.Ordinal))
            .OrderBy(h => int.TryParse(h[3..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k : int.MaxValue).ToArray();
        for (var k = 0; k < policyColumns.Length; k++)
        {
            if (policyColumns[k] != $"pi_{k}")
            {
                throw new DataFormatException(csv.File, 1, $"policy columns must be pi_0 .. pi_{policyColumns.Length - 1}; found {policyColumns[k]} where pi_{k} was expected.");
            }
        }
        if (actionCount is { } given && given < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(actionCount), given, "The number of actions K must be at least 1.");
        }
        if (policyColumns.Length > 0 && actionCount is { } stated && stated != policyColumns.Length)
        {
            throw new DataFormatException(csv.File, 1, $"the log has {policyColumns.Length} policy columns pi_0 .. pi_{policyColumns.Length - 1}, but the number of actions was given as {stated}.");
        }
        var k0 = policyColumns.Length > 0 ? policyColumns.Length
            : actionCount ?? throw new DataFormatException(csv.File, 1, "the log has no pi_* columns, so nothing says how many actions there are: pass the number of actions K (cobalt evaluate --actions K); actions are then checked to be in 0..K-1.");
        var hasPosition = csv.Has("position");
        int actionIndex = csv.IndexOf("action"), rewardIndex = csv.IndexOf("reward"), propensityIndex = csv.IndexOf("propensity"), positionIndex = hasPosition ? csv.IndexOf("position") : -1;
        var contextIndices = contextColumns.Select(csv.IndexOf).ToArray();
        var policyIndices = policyColumns.Select(csv.IndexOf).ToArray();
        var actions = new List<int>();
        var rewards = new List<double>();
        var propensities = new List<double>();
        var positions = new List<int>();
        var contexts = new List<double>();
        var policy = new List<double>();
        var lines = new List<long>();
        var row = new double[k0];
        while (csv.Read())
        {
            if (csv.FieldCount != csv.Header.Count)
            {
                throw csv.Error($"the record has {csv.FieldCount} fields; the header has {csv.Header.Count} ({string.Join(", ", csv.Header)}).");
            }
            var action = Whole(csv, actionIndex, "action");
            if (action < 0 || action >= k0)
            {
                throw csv.Error($"action {action} is outside the action set 0..{k0 - 1} ({(policyColumns.Length > 0 ? $"{k0} pi_* columns" : $"{k0} actions given")}).");
            }
            var reward = Finite(csv, rewardIndex, "reward");
            var propensity = Finite(csv, propensityIndex, "propensity");
            if (!(propensity > 0 && propensity <= 1))
            {
                throw csv.Error($"propensity {Show(propensity)} must be in (0, 1] (a zero propensity means the logging policy could not have taken the action).");
            }
            var position = hasPosition ? Whole(csv, positionIndex, "position") : 0;
            if (position < 0 || position >= MaxPositions)
            {
                throw csv.Error($"position {position} is outside 0..{MaxPositions - 1} (positions are 0-based slots; each slot gets its own feature).");
            }
            foreach (var (c, name) in contextIndices.Zip(contextColumns))
            {
                contexts.Add(Finite(csv, c, name));
            }
            if (policyColumns.Length > 0)
            {
                var sum = 0.0;
                for (var a = 0; a < k0; a++)
                {
                    var p = Finite(csv, policyIndices[a], policyColumns[a]);
                    if (!(p >= 0 && p <= 1))
                    {
                        throw csv.Error($"{policyColumns[a]} is {Show(p)}; the evaluation policy's probabilities must be in [0, 1].");
                    }
                    row[a] = p;
                    sum += p;
                }
                if (Math.Abs(sum - 1) > 1e-6)
                {
                    throw csv.Error($"pi_0 .. pi_{k0 - 1} sum to {Show(sum)}, not 1 (tolerance 1e-6): each row of the evaluation policy must be a probability distribution.");
                }
                policy.AddRange(row);
            }
            actions.Add((int)action);
            rewards.Add(reward);
            propensities.Add(propensity);
            positions.Add((int)position);
            lines.Add(csv.LineNumber);
        }
        if (actions.Count == 0)
        {
            throw new DataFormatException(csv.File, 0, "the log has a header but no rounds.");
        }
        if ((long)actions.Count * k0 > MaxCells)
        {
            throw new DataFormatException(csv.File, 0, $"{actions.Count} rounds x {k0} actions = {(long)actions.Count * k0} probabilities is more than the {MaxCells} Cobalt holds in memory for one evaluation.");
        }
        var log = new BanditLog(k0, new FeatureMatrix(actions.Count, contextColumns.Length, [.. contexts]), [.. actions], [.. rewards], [.. propensities], [.. positions], positions.Max() + 1)
        {
            Source = new LogSource(csv.File, [.. lines]),
        };
        return (log, policyColumns.Length > 0 ? new ActionDistribution(actions.Count, k0, [.. policy]) : null);
    }

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Cell(CsvLines csv, int index, string name)
    {
        var text = csv.Field(index, name).Trim();
        return text.Length > 0 ? text : throw csv.Error($"{name} is empty.");
    }

    private static long Whole(CsvLines csv, int index, string name)
    {
        var text = Cell(csv, index, name);
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            throw csv.Error(Math.Abs(d) >= long.MaxValue
                ? $"{name} {text} is far outside any action set or slot range."
                : $"{name} '{text}' is not written as a whole number (0-based {name}s are integers like 3, not 3.0 or 1e9).");
        }
        throw csv.Error($"{name} '{text}' is not a whole number.");
    }

    private static double Finite(CsvLines csv, int index, string name)
    {
        var text = Cell(csv, index, name);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            throw csv.Error($"{name} '{text}' is not a number.");
        }
        return double.IsFinite(v) ? v : throw csv.Error($"{name} is {text}; it must be a finite number.");
    }
}

/// <summary>The file a log was read from and the 1-based line of each of its rounds (the header is line 1).</summary>
/// <param name="File">File name as shown in messages.</param>
/// <param name="Lines">Line of round t.</param>
public sealed record LogSource(string File, long[] Lines);
