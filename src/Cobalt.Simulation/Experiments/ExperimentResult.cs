using Cobalt.Core.Contracts;

namespace Cobalt.Simulation.Experiments;

/// <summary>Mean and standard deviation (over trials) of a quantity.</summary>
public readonly record struct MeanStd(double Mean, double Std)
{
    /// <summary>Sample mean and (n - 1) standard deviation; the deviation is 0 for one value.</summary>
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var mean = values.Average();
        var variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0.0;
        return new MeanStd(mean, Math.Sqrt(variance));
    }
}

/// <summary>What one policy did over all trials: per-round curves and end-of-run summaries.</summary>
public sealed class PolicyResult
{
    internal PolicyResult(string name, string kind, int slateSize, IReadOnlyList<TrialRun> trials)
    {
        Name = name;
        Kind = kind;
        Trials = trials;
        var iterations = trials[0].Rewards.Length;
        CumulativeReward = Curve(trials.Select(r => Cumulative(r.Rewards, 1.0)).ToArray(), iterations);
        CumulativeCtr = Curve(trials.Select(r => Cumulative(r.Rewards, 1.0 / slateSize)).ToArray(), iterations);
        CumulativeRegret = Curve(trials.Select(r => Cumulative(r.Regrets, 1.0)).ToArray(), iterations);
        NominatorRegret = MeanStd.Of(trials.Select(r => r.NominatorRegrets.Sum()).ToArray());
        MillisecondsPerIteration = MeanStd.Of(trials.Select(r => 1000.0 * (r.SelectSeconds + r.UpdateSeconds) / r.TimedRounds).ToArray());
        SelectMillisecondsPerIteration = MeanStd.Of(trials.Select(r => 1000.0 * r.SelectSeconds / r.TimedRounds).ToArray());
    }

    /// <summary>Display name.</summary>
    public string Name { get; }

    /// <summary>Policy kind.</summary>
    public string Kind { get; }

    /// <summary>The individual trial runs, in trial order.</summary>
    public IReadOnlyList<TrialRun> Trials { get; }

    /// <summary>Cumulative reward after each round (sum of slate rewards).</summary>
    public IReadOnlyList<MeanStd> CumulativeReward { get; }

    /// <summary>Cumulative CTR after each round: sum over rounds of (reward of the slate / m), as in the two-stage paper.</summary>
    public IReadOnlyList<MeanStd> CumulativeCtr { get; }

    /// <summary>Cumulative expected regret after each round.</summary>
    public IReadOnlyList<MeanStd> CumulativeRegret { get; }

    /// <summary>Final cumulative nominator regret of multi-stage policies (equation 1 of Hron et al. 2021); 0 for single-stage ones.</summary>
    public MeanStd NominatorRegret { get; }

    /// <summary>Whether the policy reported shortlists (a multi-stage policy), so the regret splits into nominator and ranker parts.</summary>
    public bool IsMultiStage => Trials.Any(r => r.NominatorRegrets.Any(v => v != 0));

    /// <summary>Wall time per round, choosing and learning (milliseconds), over the rounds after the first (<see cref="TrialRun.TimedRounds"/>).</summary>
    public MeanStd MillisecondsPerIteration { get; }

    /// <summary>Wall time per round spent choosing (milliseconds), over the rounds after the first (<see cref="TrialRun.TimedRounds"/>).</summary>
    public MeanStd SelectMillisecondsPerIteration { get; }

    /// <summary>Final cumulative reward.</summary>
    public MeanStd FinalReward => CumulativeReward[^1];

    /// <summary>Final cumulative CTR.</summary>
    public MeanStd FinalCtr => CumulativeCtr[^1];

    /// <summary>Final cumulative regret.</summary>
    public MeanStd FinalRegret => CumulativeRegret[^1];

    /// <summary>Average reward per slot over the whole run.</summary>
    public MeanStd AverageCtr => new(FinalCtr.Mean / CumulativeCtr.Count, FinalCtr.Std / CumulativeCtr.Count);

    private static double[] Cumulative(double[] values, double scale)
    {
        var result = new double[values.Length];
        var sum = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i] * scale;
            result[i] = sum;
        }
        return result;
    }

    private static MeanStd[] Curve(double[][] perTrial, int iterations)
    {
        var curve = new MeanStd[iterations];
        var column = new double[perTrial.Length];
        for (var t = 0; t < iterations; t++)
        {
            for (var r = 0; r < perTrial.Length; r++)
            {
                column[r] = perTrial[r][t];
            }
            curve[t] = MeanStd.Of(column);
        }
        return curve;
    }
}

/// <summary>The outcome of an experiment: one <see cref="PolicyResult"/> per policy, in the experiment's order.</summary>
public sealed class ExperimentResult
{
    /// <summary>Groups trial runs by policy; the policies of <paramref name="failures"/> have no runs and are left out of <see cref="Policies"/>.</summary>
    public ExperimentResult(ExperimentSpec spec, EnvironmentInfo world, IReadOnlyList<TrialRun> runs, IReadOnlyList<PolicyFailure>? failures = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(runs);
        Spec = spec;
        World = world;
        Failures = failures ?? [];
        Policies = spec.Policies
            .Where(p => !Failures.Any(f => f.Policy == p.DisplayName))
            .Select(p => new PolicyResult(p.DisplayName, p.Kind, spec.SlateSize, runs.Where(r => r.Policy == p.DisplayName).OrderBy(r => r.Trial).ToArray()))
            .ToArray();
    }

    /// <summary>The experiment that was run.</summary>
    public ExperimentSpec Spec { get; }

    /// <summary>The world's dimensions.</summary>
    public EnvironmentInfo World { get; }

    /// <summary>Results per policy (those that did not fail).</summary>
    public IReadOnlyList<PolicyResult> Policies { get; }

    /// <summary>The policies that failed during a run, in the experiment's order, each with its reason.</summary>
    public IReadOnlyList<PolicyFailure> Failures { get; }
}

/// <summary>A policy that failed during an experiment: where (its earliest failing trial and the 1-based round) and why, in plain words.</summary>
/// <param name="Policy">Display name of the policy.</param>
/// <param name="Kind">Policy kind.</param>
/// <param name="Trial">Trial number (0-based, as in <see cref="TrialRun.Trial"/>).</param>
/// <param name="Round">The round that failed (1-based).</param>
/// <param name="Reason">What went wrong.</param>
public sealed record PolicyFailure(string Policy, string Kind, int Trial, int Round, string Reason)
{
    /// <summary>One line: "policy 'x' failed in trial t, round r: reason".</summary>
    public override string ToString() => $"policy '{Policy}' ({Kind}) failed in trial {Trial + 1}, round {Round}: {Reason}";
}

/// <summary>A policy failed during a run of an experiment (see <see cref="Failure"/>).</summary>
public sealed class PolicyFailedException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="failure"/>.</summary>
    public PolicyFailedException(PolicyFailure failure, Exception? inner = null)
        : base(failure?.ToString(), inner)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Failure = failure;
    }

    /// <summary>Creates the exception (prefer the constructor with a <see cref="PolicyFailure"/>).</summary>
    public PolicyFailedException()
        : this(new PolicyFailure("(unknown)", "(unknown)", 0, 0, "failed"))
    {
    }

    /// <summary>Which policy failed, where, and why.</summary>
    public PolicyFailure Failure { get; }
}
