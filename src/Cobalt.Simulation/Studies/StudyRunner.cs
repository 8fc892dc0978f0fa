using System.Diagnostics;
using Cobalt.Core.Contracts;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// One (policy, trial) run of a study: how to build its environment and its policy. Studies need this
/// rather than an <see cref="ExperimentSpec"/> when a policy is built from what the trial's world knows
/// (a leave-one-out subspace) or is not a catalogue composition (coverage slates).
/// </summary>
/// <param name="Policy">Display name.</param>
/// <param name="Trial">Trial number.</param>
/// <param name="Environment">Builds the trial's environment (the same for every policy of the trial).</param>
/// <param name="Build">Builds the policy for that environment.</param>
public sealed record StudyJob(string Policy, int Trial, Func<IEnvironment> Environment, Func<IEnvironment, IPolicy> Build);

/// <summary>
/// Plays study jobs, in parallel, with the same round loop as <see cref="ExperimentRunner"/>; regret comes from
/// the environment's <see cref="ISlateValuation"/> when it has one (slates whose value is not a sum).
/// Every job builds its own environment and policy from seeds, so results do not depend on the parallelism.
/// </summary>
public static class StudyRunner
{
    /// <summary>
    /// The seed of <paramref name="spec"/>'s random streams (tie-breaks, sampling) in the trial <paramref name="trialSeed"/>:
    /// <see cref="PolicySeeds.For"/>, the same as <see cref="ExperimentRunner"/> uses (kind and every option, never the display name).
    /// </summary>
    public static ulong PolicySeed(ulong trialSeed, PolicySpec spec) => PolicySeeds.For(trialSeed, spec);

    /// <summary>Runs every job; <paramref name="onProgress"/> receives counts of finished rounds (from any thread).</summary>
    public static TrialRun[] Run(IReadOnlyList<StudyJob> jobs, int iterations, int slateSize, int maxParallelism = 0, Action<int>? onProgress = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        TrialRun[] Play(int[] selected)
        {
            var runs = new TrialRun[selected.Length];
            var options = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount };
            Parallel.For(0, selected.Length, options, k =>
            {
                var job = jobs[selected[k]];
                var environment = job.Environment();
                var policy = job.Build(environment);
                runs[k] = RunTrial(environment, policy, job.Policy, job.Trial, iterations, slateSize, onProgress);
            });
            return runs;
        }
        return StudyShardSession.Current is { } session
            ? session.Run(jobs.Count, iterations, k => (jobs[k].Policy, jobs[k].Trial), Play)
            : Play([.. Enumerable.Range(0, jobs.Count)]);
    }

    /// <summary>
    /// Runs an experiment of a study: <see cref="ExperimentRunner.Run(ExperimentSpec, int, Action{int}, CancellationToken)"/>, or, while a
    /// <see cref="StudyShardSession"/> is entered, its share of the experiment's (trial, policy) runs (each played by
    /// <see cref="ExperimentRunner.RunTrial"/>, as the runner plays it).
    /// </summary>
    /// <exception cref="OptionsException">The experiment is invalid or a policy does not fit the world.</exception>
    /// <exception cref="PolicyFailedException">A policy failed during a run.</exception>
    public static ExperimentResult Run(ExperimentSpec spec, int maxParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (StudyShardSession.Current is not { } session)
        {
            return ExperimentRunner.Run(spec, maxParallelism);
        }
        spec.Validate();
        var world = spec.World.Build();
        var jobs = ExperimentRunner.Jobs(spec);
        var runs = session.Run(jobs.Count, spec.Iterations, k => (jobs[k].Policy.DisplayName, jobs[k].Trial), selected =>
        {
            ExperimentRunner.Check(spec, world);
            var played = new TrialRun[selected.Length];
            try
            {
                Parallel.For(0, selected.Length, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount }, k =>
                    played[k] = ExperimentRunner.RunTrial(spec, world, jobs[selected[k]].Trial, jobs[selected[k]].Policy));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            return played;
        });
        return new ExperimentResult(spec, world.Info, runs);
    }

    /// <summary>Plays <paramref name="policy"/> for <paramref name="iterations"/> rounds, learning after every round.</summary>
    public static TrialRun RunTrial(IEnvironment environment, IPolicy policy, string name, int trial, int iterations, int slateSize, Action<int>? onProgress = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(policy);
        var valuation = environment as ISlateValuation;
        var rewards = new double[iterations];
        var regrets = new double[iterations];
        var optimal = new double[iterations];
        var slate = new double[slateSize];
        var select = new Stopwatch();
        var update = new Stopwatch();
        const int ProgressStep = 500;
        for (var t = 0; t < iterations; t++)
        {
            var round = environment.Next();
            select.Start();
            var decision = policy.Select(round.Context, slateSize);
            select.Stop();
            var shown = slate.AsSpan(0, decision.Slots.Count);
            environment.Respond(round, decision, shown);
            var sum = 0.0;
            foreach (var r in shown)
            {
                sum += r;
            }
            rewards[t] = sum;
            if (valuation is null)
            {
                optimal[t] = round.OptimalValue(decision.Slots.Count);
                regrets[t] = optimal[t] - round.ExpectedValue(decision);
            }
            else
            {
                optimal[t] = valuation.BestSlateValue(round, decision.Slots.Count);
                regrets[t] = optimal[t] - valuation.SlateValue(round, decision);
            }
            update.Start();
            policy.Update(decision.ToFeedback(shown));
            update.Stop();
            if ((t + 1) % ProgressStep == 0 || t + 1 == iterations)
            {
                onProgress?.Invoke((t % ProgressStep) + 1);
            }
        }
        return new TrialRun(name, trial, rewards, regrets, optimal, new double[iterations], select.Elapsed.TotalSeconds, update.Elapsed.TotalSeconds);
    }
}
