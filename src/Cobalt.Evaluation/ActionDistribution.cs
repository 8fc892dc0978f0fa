namespace Cobalt.Evaluation;

/// <summary>
/// The evaluation policy's action probabilities pi(a | x_t, p_t) for every round t of a log: row-major rounds x actions,
/// each row a probability distribution. A deterministic policy has one-hot rows.
/// </summary>
public sealed class ActionDistribution
{
    private readonly double[] _values;

    /// <summary>Wraps <paramref name="values"/> after checking each row is non-negative and sums to 1 (within 1e-6).</summary>
    public ActionDistribution(int rounds, int actions, double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rounds * actions)
        {
            throw new ArgumentException($"{rounds} rounds x {actions} actions need {(long)rounds * actions} probabilities; got {values.Length}.", nameof(values));
        }
        for (var t = 0; t < rounds; t++)
        {
            var sum = 0.0;
            for (var a = 0; a < actions; a++)
            {
                var p = values[t * actions + a];
                if (!(p >= 0 && p <= 1))
                {
                    throw new ArgumentException($"Round {t}: the probability of action {a} is {p}.", nameof(values));
                }
                sum += p;
            }
            if (Math.Abs(sum - 1) > 1e-6)
            {
                throw new ArgumentException($"Round {t}: the probabilities sum to {sum}, not 1.", nameof(values));
            }
        }
        Rounds = rounds;
        Actions = actions;
        _values = values;
    }

    /// <summary>Number of rounds.</summary>
    public int Rounds { get; }

    /// <summary>Number of actions.</summary>
    public int Actions { get; }

    /// <summary>pi(. | x_t, p_t).</summary>
    public ReadOnlySpan<double> Row(int round) => _values.AsSpan(round * Actions, Actions);

    /// <summary>pi(a | x_t, p_t).</summary>
    public double this[int round, int action] => _values[round * Actions + action];

    /// <summary>The uniform policy over <paramref name="actions"/> actions.</summary>
    public static ActionDistribution Uniform(int rounds, int actions) =>
        new(rounds, actions, Enumerable.Repeat(1.0 / actions, rounds * actions).ToArray());

    /// <summary>A deterministic policy taking <paramref name="choices"/>[t] in round t.</summary>
    public static ActionDistribution Deterministic(IReadOnlyList<int> choices, int actions)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var values = new double[choices.Count * actions];
        for (var t = 0; t < choices.Count; t++)
        {
            if ((uint)choices[t] >= (uint)actions)
            {
                throw new ArgumentException($"Round {t}: action {choices[t]} is outside 0..{actions - 1}.", nameof(choices));
            }
            values[t * actions + choices[t]] = 1;
        }
        return new ActionDistribution(choices.Count, actions, values);
    }

    /// <summary>A context-free policy whose distribution depends only on the slot: <paramref name="perPosition"/>[p] is pi(. | p).</summary>
    public static ActionDistribution PerPosition(BanditLog log, IReadOnlyList<double[]> perPosition)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(perPosition);
        var values = new double[log.Count * log.ActionCount];
        for (var t = 0; t < log.Count; t++)
        {
            perPosition[log.Positions[t]].CopyTo(values, t * log.ActionCount);
        }
        return new ActionDistribution(log.Count, log.ActionCount, values);
    }

    /// <summary>The empirical action frequencies of <paramref name="log"/> in each slot (a context-free summary of its logging policy).</summary>
    public static double[][] EmpiricalPerPosition(BanditLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var counts = Enumerable.Range(0, log.PositionCount).Select(_ => new double[log.ActionCount]).ToArray();
        for (var t = 0; t < log.Count; t++)
        {
            counts[log.Positions[t]][log.Actions[t]]++;
        }
        foreach (var row in counts)
        {
            var total = row.Sum();
            for (var a = 0; a < row.Length; a++)
            {
                row[a] = total > 0 ? row[a] / total : 1.0 / row.Length;
            }
        }
        return counts;
    }
}
