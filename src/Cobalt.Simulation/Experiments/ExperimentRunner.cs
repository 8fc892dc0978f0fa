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
/// <param name="SelectSeconds">Wall time spent choosing, over the <see cref="TimedRounds"/> timed rounds.</param>
/// <param name="UpdateSeconds">Wall time spent learning, over the <see cref="TimedRounds"/> timed rounds.</param>
public sealed record TrialRun(string Policy, int Trial, double[] Rewards, double[] Regrets, double[] Optimal, double[] NominatorRegrets, double SelectSeconds, double UpdateSeconds)
{
    /// <summary>
    /// The rounds the timings cover: every round after the first (all of them in a one-round run). The first round carries a
    /// policy's one-time preparation, such as a neural policy's pre-training (minutes), which is not a per-round cost: the
    /// two-stage paper's Table 6 reports recommendation time per iteration without it.
    /// </summary>
    public int TimedRounds => Math.Max(1, Rewards.Length - 1);
}

/// <summary>
/// Plays every policy of an experiment against the same users and random draws in each trial
/// (common random numbers) and records per-round reward and regret and the time spent.
/// </summary>
/// <remarks>
/// Trial t's world is built from Seeds.Derive(root, "trial", t) and each policy's stream from the
/// trial seed and the policy's configuration, never its name (<see cref="PolicySeeds.For"/>). Every
/// (trial, policy) run is independent of every other, so runs may go in parallel and the numbers do not depend on the degree of parallelism.
/// </remarks>
public static class ExperimentRunner
{
    /// <summary>Runs the experiment; <paramref name="onProgress"/> receives counts of finished rounds (from any thread).</summary>
    /// <exception cref="OptionsException">The experiment is invalid, or a policy does not fit the world (found by <see cref="Check"/> before the first round).</exception>
    /// <exception cref="PolicyFailedException">A policy failed during a run (the first failure in job order).</exception>
    public static ExperimentResult Run(ExperimentSpec spec, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        var result = RunReportingFailures(spec, maxParallelism, onProgress, cancellationToken);
        return result.Failures.Count == 0 ? result : throw new PolicyFailedException(result.Failures[0]);
    }

    /// <summary>
    /// Runs the experiment and keeps going when a policy fails during a run: the failed policies are left out of
    /// <see cref="ExperimentResult.Policies"/> and listed, with their reasons, in <see cref="ExperimentResult.Failures"/>;
    /// the other policies' results are complete.
    /// </summary>
    /// <exception cref="OptionsException">The experiment is invalid, or a policy does not fit the world (found by <see cref="Check"/> before the first round).</exception>
    public static ExperimentResult RunReportingFailures(ExperimentSpec spec, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var world = spec.World.Build();
        Check(spec, world);
        var jobs = Jobs(spec);
        var (runs, failures) = RunJobs(spec, world, Enumerable.Range(0, jobs.Count).ToArray(), jobs, maxParallelism, onProgress, cancellationToken);
        return new ExperimentResult(spec, world.Info, runs.OfType<TrialRun>().ToArray(), failures);
    }

    /// <summary>
    /// Checks every policy of <paramref name="spec"/> against <paramref name="world"/> before any round is played: each
    /// feature map gives the policy some features, the policy builds for the world's dimensions, and, on a world whose
    /// rewards are not clicks (0 or 1), the policy's model accepts rewards outside [0, 1] (a logistic or Beta-Bernoulli
    /// model does not). Each policy is built once for trial 0 and given one probe round, then discarded.
    /// </summary>
    /// <exception cref="OptionsException">A policy does not fit the world; the field is <c>policies[i] (name)</c> and the problem says what to change.</exception>
    public static void Check(ExperimentSpec spec, IWorld world)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(world);
        var info = world.Info;
        var kind = spec.World.Kind;
        var dimensions = $"{info.ItemFeatureDimension} item features, {info.UserFeatureDimension} user features";
        var trialSeed = TrialSeed(spec.Seed, 0);
        IEnvironment? environment = null;
        Round? probe = null;
        for (var i = 0; i < spec.Policies.Count; i++)
        {
            var policySpec = spec.Policies[i];
            var field = $"policies[{i}] ({policySpec.DisplayName})";
            foreach (var property in policySpec.Options.GetType().GetProperties().Where(p => p.PropertyType == typeof(FeatureMap)))
            {
                var map = (FeatureMap)property.GetValue(policySpec.Options)!;
                if (map.Dimension(info.UserFeatureDimension, info.ItemFeatureDimension) <= 0)
                {
                    var fits = Enum.GetValues<FeatureMap>().Where(m => m.Dimension(info.UserFeatureDimension, info.ItemFeatureDimension) > 0).Select(m => $"'{Names.Kebab(m.ToString())}'");
                    throw new OptionsException($"{field}.options.{Names.Kebab(property.Name)}",
                        $"'{Names.Kebab(map.ToString())}' gives no features on world '{kind}' ({dimensions}); use {string.Join(" or ", fits)} instead, or a world with {(info.UserFeatureDimension == 0 ? "user" : "item")} features.");
                }
            }
            environment ??= world.Create(trialSeed);
            IPolicy policy;
            try
            {
                policy = PolicyCatalog.Build(policySpec, PolicyBuildContext.For(environment, PolicySeeds.For(trialSeed, policySpec)));
            }
            catch (ArgumentException e)
            {
                throw new OptionsException(field, $"'{policySpec.Kind}' does not fit world '{kind}' ({dimensions}): {PlainMessages.Plain(e.Message)} Change the policy's options or choose another world.", e);
            }
            if (info.BinaryRewards)
            {
                continue;
            }
            probe ??= environment.Next();
            var decision = policy.Select(probe.Context, spec.SlateSize);
            var outside = new double[decision.Slots.Count];
            Array.Fill(outside, 2.0);
            try
            {
                policy.Update(decision.ToFeedback(outside));
            }
            catch (ArgumentException e)
            {
                throw new OptionsException(field,
                    $"'{policySpec.Kind}' learns from clicks (rewards in [0, 1]), but world '{kind}' gives real-valued rewards. Use a policy for real rewards (for example linucb-shared, or epsilon-greedy with \"model\": \"linear\") or a world with click rewards.", e);
            }
        }
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
            Check(spec, world);
            var (runs, failures) = RunJobs(spec, world, mine, Jobs(spec), maxParallelism, onProgress, cancellationToken);
            if (failures.Length > 0)
            {
                throw new PolicyFailedException(failures[0]); // a shard file holds complete runs only
            }
            parts[e] = new ShardPart(spec.ToJson(), world.Info, runs.OfType<TrialRun>().ToArray());
        }
        return new ExperimentShard(manifest, shard, parts);
    }

    /// <summary>Plays the selected jobs; a job whose policy fails leaves a null run and a failure (one per policy, its earliest trial).</summary>
    private static (TrialRun?[] Runs, PolicyFailure[] Failures) RunJobs(ExperimentSpec spec, IWorld world, int[] selected, IReadOnlyList<(int Trial, PolicySpec Policy)> jobs, int maxParallelism, Action<int>? onProgress, CancellationToken cancellationToken)
    {
        var runs = new TrialRun?[selected.Length];
        var failed = new PolicyFailure?[selected.Length];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        try
        {
            Parallel.For(0, selected.Length, options, k =>
            {
                var (trial, policy) = jobs[selected[k]];
                try
                {
                    runs[k] = RunTrial(spec, world, trial, policy, onProgress, cancellationToken);
                }
                catch (PolicyFailedException e)
                {
                    failed[k] = e.Failure;
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(inner => inner is OptionsException) is { } refused)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused); // a policy that does not fit the world: its message, not a trace
        }
        var failures = failed.OfType<PolicyFailure>().GroupBy(f => f.Policy).Select(g => g.MinBy(f => f.Trial)!)
            .OrderBy(f => spec.Policies.ToList().FindIndex(p => p.DisplayName == f.Policy)).ToArray();
        for (var k = 0; k < runs.Length; k++)
        {
            if (runs[k] is { } run && failures.Any(f => f.Policy == run.Policy))
            {
                runs[k] = null; // a policy that failed in any trial is reported as failed, not averaged over its other trials
            }
        }
        return (runs, failures);
    }

    /// <summary>The seed of trial <paramref name="trial"/> under <paramref name="rootSeed"/>.</summary>
    public static ulong TrialSeed(ulong rootSeed, int trial) => Seeds.Derive(rootSeed, "trial", trial);

    /// <summary>Plays one policy through one trial.</summary>
    /// <exception cref="OptionsException">The policy cannot be built for the world.</exception>
    /// <exception cref="PolicyFailedException">The policy (or the world) failed during a round; the failure names the trial and the 1-based round.</exception>
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
            policy = PolicyCatalog.Build(policySpec, PolicyBuildContext.For(environment, PolicySeeds.For(trialSeed, policySpec)));
        }
        catch (ArgumentException e)
        {
            throw new OptionsException($"policies ({policySpec.DisplayName})", $"does not fit world '{spec.World.Kind}': {PlainMessages.Plain(e.Message)}", e);
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
        var t = 0;
        try
        {
            for (; t < spec.Iterations; t++)
            {
                PlayRound(t);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new PolicyFailedException(new PolicyFailure(policySpec.DisplayName, policySpec.Kind, trial, t + 1, PlainMessages.Of(e)), e);
        }
        return new TrialRun(policySpec.DisplayName, trial, rewards, regrets, optimal, nominator, selectTime.Elapsed.TotalSeconds, updateTime.Elapsed.TotalSeconds);

        void PlayRound(int t)
        {
            if (t == 1)
            {
                // The first round's choice and learning carry one-time preparation (see TrialRun.TimedRounds): not timed.
                selectTime.Reset();
                updateTime.Reset();
            }
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
