using System.Diagnostics;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;

namespace Cobalt.Simulation.Experiments;

/// <summary>One policy's run through one trial.</summary>
/// <param name="Policy">Display name of the policy.</param>
/// <param name="Trial">Trial number.</param>
/// <param name="Rewards">Reward of each round (sum over the slate).</param>
/// <param name="Regrets">Expected regret of each round (best slate's expected reward minus the chosen one's).</param>
/// <param name="Optimal">Expected reward of each round's best slate (the same for every policy of a trial).</param>
/// <param name="NominatorRegrets">The nominator part of each round's regret (0 for single-stage policies; see <see cref="Round.RegretParts"/>).</param>
/// <param name="SelectSeconds">Wall time spent choosing, over all rounds.</param>
/// <param name="UpdateSeconds">Wall time spent learning, over all rounds.</param>
public sealed record TrialRun(string Policy, int Trial, double[] Rewards, double[] Regrets, double[] Optimal, double[] NominatorRegrets, double SelectSeconds, double UpdateSeconds);

/// <summary>
/// Plays every policy of an experiment against the same users and random draws in each trial
/// (common random numbers) and records per-round reward and regret and the time spent.
/// </summary>
/// <remarks>
/// Trial t's world is built from Seeds.Derive(root, "trial", t) and each policy's stream from the
/// trial seed and the policy's name. Every (trial, policy) run is independent of every other, so
/// runs may go in parallel and the numbers do not depend on the degree of parallelism.
/// </remarks>
public static class ExperimentRunner
{
    /// <summary>Runs the experiment; <paramref name="onProgress"/> receives counts of finished rounds (from any thread).</summary>
    public static ExperimentResult Run(ExperimentSpec spec, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var world = spec.World.Build();
        var jobs = Jobs(spec);
        var runs = RunJobs(spec, world, Enumerable.Range(0, jobs.Count).ToArray(), jobs, maxParallelism, onProgress, cancellationToken);
        return new ExperimentResult(spec, world.Info, runs);
    }

    /// <summary>
    /// The experiment's independent runs in their fixed order: trial-major, then the policies in the
    /// experiment's order (job j is trial j / P, policy j mod P for P policies).
    /// </summary>
    public static IReadOnlyList<(int Trial, PolicySpec Policy)> Jobs(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (from trial in Enumerable.Range(0, spec.Trials)
                from policy in spec.Policies
                select (trial, policy)).ToArray();
    }

    /// <summary>The runs of several experiments in one sequence: the first experiment's <see cref="Jobs(ExperimentSpec)"/>, then the second's, and so on.</summary>
    public static IReadOnlyList<(int Experiment, int Trial, PolicySpec Policy)> Jobs(IReadOnlyList<ExperimentSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        return specs.SelectMany((spec, e) => Jobs(spec).Select(job => (e, job.Trial, job.Policy))).ToArray();
    }

    /// <summary>
    /// Runs one slice of the experiment: the jobs j of <see cref="Jobs(ExperimentSpec)"/> with j mod n = i - 1 for shard i/n.
    /// Each run is seeded exactly as in <see cref="Run"/>, so the shards of an experiment, merged with
    /// <see cref="ExperimentShard.Merge(IReadOnlyList{ValueTuple{string, ExperimentShard}})"/>, give the numbers of one unsharded run.
    /// </summary>
    /// <exception cref="OptionsException">The shard asks for more slices than the experiment has runs.</exception>
    public static ExperimentShard RunShard(ExperimentSpec spec, ShardId shard, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return RunShard([spec], shard, ExperimentShard.RunManifest, maxParallelism, onProgress, cancellationToken);
    }

    /// <summary>
    /// Runs slice i/n of several experiments' runs, numbered as <see cref="Jobs(IReadOnlyList{ExperimentSpec})"/> numbers them;
    /// a world is built only for the experiments the slice has runs of. <paramref name="manifest"/> says what the shards merge into.
    /// </summary>
    /// <exception cref="OptionsException">The shard asks for more slices than there are runs.</exception>
    public static ExperimentShard RunShard(IReadOnlyList<ExperimentSpec> specs, ShardId shard, string manifest, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(manifest);
        var jobs = Jobs(specs);
        shard.Validate(jobs.Count, string.Join(" + ", specs.Select(s => $"{s.Trials} trials x {s.Policies.Count} policies")));
        var selected = shard.JobIndices(jobs.Count);
        var parts = new ShardPart[specs.Count];
        for (var e = 0; e < specs.Count; e++)
        {
            var spec = specs[e];
            var offset = jobs.TakeWhile(j => j.Experiment < e).Count();
            var mine = selected.Where(j => jobs[j].Experiment == e).Select(j => j - offset).ToArray();
            if (mine.Length == 0)
            {
                parts[e] = new ShardPart(spec.ToJson(), null, []);
                continue;
            }
            spec.Validate(); // builds the world: only for the experiments this shard plays
            var world = spec.World.Build();
            parts[e] = new ShardPart(spec.ToJson(), world.Info, RunJobs(spec, world, mine, Jobs(spec), maxParallelism, onProgress, cancellationToken));
        }
        return new ExperimentShard(manifest, shard, parts);
    }

    private static TrialRun[] RunJobs(ExperimentSpec spec, IWorld world, int[] selected, IReadOnlyList<(int Trial, PolicySpec Policy)> jobs, int maxParallelism, Action<int>? onProgress, CancellationToken cancellationToken)
    {
        var runs = new TrialRun[selected.Length];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        try
        {
            Parallel.For(0, selected.Length, options, k =>
                runs[k] = RunTrial(spec, world, jobs[selected[k]].Trial, jobs[selected[k]].Policy, onProgress, cancellationToken));
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(inner => inner is OptionsException) is { } refused)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused); // a policy that does not fit the world: its message, not a trace
        }
        return runs;
    }

    /// <summary>The seed of trial <paramref name="trial"/> under <paramref name="rootSeed"/>.</summary>
    public static ulong TrialSeed(ulong rootSeed, int trial) => Seeds.Derive(rootSeed, "trial", trial);

    /// <summary>Plays one policy through one trial.</summary>
    public static TrialRun RunTrial(ExperimentSpec spec, IWorld world, int trial, PolicySpec policySpec, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(policySpec);
        var trialSeed = TrialSeed(spec.Seed, trial);
        var environment = world.Create(trialSeed);
        IPolicy policy;
        try
        {
            policy = PolicyCatalog.Build(policySpec, PolicyBuildContext.For(environment, Seeds.Derive(trialSeed, "policy/" + policySpec.DisplayName)));
        }
        catch (ArgumentException e)
        {
            throw new OptionsException($"policies ({policySpec.DisplayName})", $"does not fit the world: {e.Message}", e);
        }
        var rewards = new double[spec.Iterations];
        var regrets = new double[spec.Iterations];
        var optimal = new double[spec.Iterations];
        var nominator = new double[spec.Iterations];
        var slateRewards = new double[spec.SlateSize];
        var pending = new List<Feedback>(spec.SlateSize * spec.UpdateEvery);
        var selectTime = new Stopwatch();
        var updateTime = new Stopwatch();
        const int ProgressStep = 50;
        for (var t = 0; t < spec.Iterations; t++)
        {
            var round = environment.Next();
            selectTime.Start();
            var decision = policy.Select(round.Context, spec.SlateSize);
            selectTime.Stop();

            var shown = slateRewards.AsSpan(0, decision.Slots.Count);
            environment.Respond(round, decision, shown);
            rewards[t] = Sum(shown);
            optimal[t] = round.OptimalValue(decision.Slots.Count);
            regrets[t] = optimal[t] - round.ExpectedValue(decision);
            nominator[t] = decision.Shortlist is null ? 0 : round.RegretParts(decision).Nominator;
            pending.AddRange(decision.ToFeedback(shown));

            if ((t + 1) % spec.UpdateEvery == 0 || t + 1 == spec.Iterations)
            {
                updateTime.Start();
                policy.Update(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending));
                updateTime.Stop();
                pending.Clear();
            }
            if ((t + 1) % ProgressStep == 0 || t + 1 == spec.Iterations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                onProgress?.Invoke((t % ProgressStep) + 1);
            }
        }
        return new TrialRun(policySpec.DisplayName, trial, rewards, regrets, optimal, nominator, selectTime.Elapsed.TotalSeconds, updateTime.Elapsed.TotalSeconds);
    }

    private static double Sum(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }
        return sum;
    }
}
