using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Nominators;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>One grid point of the tuning: UCB exploration weight alpha and ridge lambda.</summary>
/// <param name="Alpha">alpha of every UCB component.</param>
/// <param name="Ridge">lambda of every component.</param>
public sealed record TuningPoint(double Alpha, double Ridge);

/// <summary>One tuning run: a system at a grid point, its mean final regret over the tuning trials and two standard errors.</summary>
public sealed record TuningRow(string System, TuningPoint Point, double MeanRegret, double TwoStandardErrors);

/// <summary>The tuning table and the chosen point of every system.</summary>
public sealed record TuningResult(IReadOnlyList<TuningRow> Rows, IReadOnlyDictionary<string, TuningPoint> Best);

/// <summary>
/// Grid search of alpha and lambda for the nominator systems on a separate tuning split and seed (Hron et al. 2021, section 3.1:
/// "the hyperparameter tuning protocol ... can be found in Appendices B and C"; the appendix is not in the text Cobalt has, so the
/// protocol here is the usual one it names: a grid per algorithm, the point with the lowest regret on tuning runs wins). A system
/// without a UCB component (G+G, G) is tuned over lambda only. The tuning world must draw the tuning users only, so nothing
/// the evaluation reports is seen while tuning.
/// </summary>
public static class NominatorTuning
{
    /// <summary>The grid point with the lowest score (the first such point on ties).</summary>
    public static T ArgMin<T>(IReadOnlyList<T> points, Func<T, double> score)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(score);
        if (points.Count == 0)
        {
            throw new ArgumentException("The grid is empty.", nameof(points));
        }
        var best = 0;
        var bestScore = double.PositiveInfinity;
        for (var i = 0; i < points.Count; i++)
        {
            var value = score(points[i]);
            if (value < bestScore)
            {
                best = i;
                bestScore = value;
            }
        }
        return points[best];
    }

    /// <summary>The grid of a system: alpha x lambda, or lambda alone (alpha kept) when no component explores by UCB.</summary>
    public static IReadOnlyList<TuningPoint> Grid(NominatorOptions system, IReadOnlyList<double> alphas, IReadOnlyList<double> ridges)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(ridges);
        var usesAlpha = system.Ranker == ComponentPolicy.Ucb || system.Nominator == ComponentPolicy.Ucb;
        return usesAlpha
            ? [.. from a in alphas from r in ridges select new TuningPoint(a, r)]
            : [.. ridges.Select(r => new TuningPoint(system.Alpha, r))];
    }

    /// <summary>
    /// Plays every system at every grid point on <paramref name="tuningWorld"/> for <paramref name="trials"/> trials of the seed
    /// <paramref name="seed"/> and picks, per system, the point with the lowest mean final regret.
    /// </summary>
    /// <exception cref="OptionsException">The world does not draw the tuning users only.</exception>
    public static TuningResult Tune(MovieLensMoviesWorld tuningWorld, IReadOnlyList<(string Name, NominatorOptions Options)> systems, IReadOnlyList<double> alphas,
        IReadOnlyList<double> ridges, int trials, int iterations, ulong seed, int parallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(tuningWorld);
        ArgumentNullException.ThrowIfNull(systems);
        if (tuningWorld.Options.Users != UserSet.Tuning)
        {
            throw new OptionsException("world.users", $"the tuning world draws '{tuningWorld.Options.Users}' users; tuning must see the tuning users only.");
        }
        var jobs = (from system in systems
                    from point in Grid(system.Options, alphas, ridges)
                    select (system.Name, Point: point, Options: system.Options with { Alpha = point.Alpha, Ridge = point.Ridge })).ToArray();
        var finals = new double[jobs.Length, trials];
        Parallel.For(0, jobs.Length * trials, new ParallelOptions { MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount }, j =>
        {
            var (job, trial) = (jobs[j / trials], j % trials);
            var run = NominatorPlay.Trial(tuningWorld, seed, trial, job.Name, (env, s) => new NominatorPolicy("nominators", job.Name, job.Options, PolicyBuildContext.For(env, s)), iterations);
            finals[j / trials, trial] = run.Regrets.Sum();
        });
        var rows = jobs.Select((job, i) =>
        {
            var values = Enumerable.Range(0, trials).Select(t => finals[i, t]).ToArray();
            var summary = NominatorFamily.TwoSigma(values);
            return new TuningRow(job.Name, job.Point, summary.Mean, summary.Std);
        }).ToArray();
        var best = systems.ToDictionary(s => s.Name, s => ArgMin(rows.Where(r => r.System == s.Name).ToArray(), r => r.MeanRegret).Point);
        return new TuningResult(rows, best);
    }
}

/// <summary>Plays one policy through one trial of a world, recording the regret decomposition (as <see cref="ExperimentRunner"/> does).</summary>
public static class NominatorPlay
{
    /// <summary>
    /// Trial <paramref name="trial"/> of <paramref name="seed"/>: the environment comes from the trial's seed (the same users for every
    /// policy of the trial), the policy from <c>Derive(trialSeed, "policy")</c> (the same for every policy, never from a name).
    /// </summary>
    public static TrialRun Trial(IWorld world, ulong seed, int trial, string name, Func<IEnvironment, ulong, IPolicy> build, int iterations)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(build);
        var trialSeed = ExperimentRunner.TrialSeed(seed, trial);
        var environment = world.Create(trialSeed);
        var policy = build(environment, Seeds.Derive(trialSeed, "policy"));
        var rewards = new double[iterations];
        var regrets = new double[iterations];
        var optimal = new double[iterations];
        var nominator = new double[iterations];
        var shown = new double[1];
        for (var t = 0; t < iterations; t++)
        {
            var round = environment.Next();
            var decision = policy.Select(round.Context, 1);
            environment.Respond(round, decision, shown);
            rewards[t] = shown[0];
            optimal[t] = round.OptimalValue(1);
            regrets[t] = optimal[t] - round.ExpectedValue(decision);
            nominator[t] = decision.Shortlist is null ? 0 : round.RegretParts(decision).Nominator;
            policy.Update(decision.ToFeedback(shown));
        }
        return new TrialRun(name, trial, rewards, regrets, optimal, nominator, 0, 0);
    }

    /// <summary>Plays every (job, trial) pair in parallel; results are in job order, trials ascending.</summary>
    public static IReadOnlyList<TrialRun[]> Jobs(IReadOnlyList<(string Name, IWorld World, Func<IEnvironment, ulong, IPolicy> Build)> jobs, ulong seed, int trials, int iterations, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        TrialRun[] Play(int[] selected)
        {
            var played = new TrialRun[selected.Length];
            Parallel.For(0, selected.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount }, k =>
            {
                var (job, trial) = (jobs[selected[k] / trials], selected[k] % trials);
                played[k] = Trial(job.World, seed, trial, job.Name, job.Build, iterations);
            });
            return played;
        }
        var flat = StudyShardSession.Current is { } session // a sharded study: this shard's runs only (see StudyShardSession)
            ? session.Run(jobs.Count * trials, iterations, j => (jobs[j / trials].Name, j % trials), Play)
            : Play([.. Enumerable.Range(0, jobs.Count * trials)]);
        return jobs.Select((_, i) => flat.AsSpan(i * trials, trials).ToArray()).ToArray();
    }
}

/// <summary>A baseline that always shows the same action (popularity, or the best single arm read off the labels).</summary>
public sealed class FixedArmPolicy(string kind, int action) : IPolicy
{
    /// <inheritdoc />
    public string Kind { get; } = kind;

    /// <inheritdoc />
    public string Specification => $"{Kind}: action {action}";

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        var index = context.Candidates.Ids.IndexOf(action);
        if (index < 0)
        {
            throw new ArgumentException($"Action {action} is not among the candidates.", nameof(context));
        }
        return new Decision(context, [new SlateSlot(index, action, 1.0)]);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(action);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadInt32() != action)
        {
            throw new InvalidDataException("The saved baseline shows another action.");
        }
    }
}

/// <summary>
/// Popularity that skips what the user has seen: shows the candidate with the highest value in <paramref name="popularityColumn"/>
/// among those whose <paramref name="seenColumn"/> is 0 (all candidates when every one is seen); ties to the lowest position.
/// </summary>
public sealed class PopularUnseenPolicy(int popularityColumn, int seenColumn) : IPolicy
{
    /// <inheritdoc />
    public string Kind => "popular-unseen";

    /// <inheritdoc />
    public string Specification => $"popular-unseen: column {popularityColumn}, seen column {seenColumn}";

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        var best = -1;
        for (var pass = 0; pass < 2 && best < 0; pass++)
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                var row = candidates.Features(i);
                if ((pass == 1 || row[seenColumn] == 0) && (best < 0 || row[popularityColumn] > candidates.Features(best)[popularityColumn]))
                {
                    best = i;
                }
            }
        }
        return new Decision(context, [new SlateSlot(best, candidates.Ids[best], 1.0)]);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
    }
}
