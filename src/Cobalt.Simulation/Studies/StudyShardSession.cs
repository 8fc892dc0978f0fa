using System.Diagnostics;
using System.Globalization;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// Splits a study's (trial, policy) runs over machines while the study's own code runs unchanged. Every run a study plays
/// goes through <see cref="StudyRunner.Run(IReadOnlyList{StudyJob}, int, int, int, Action{int})"/>,
/// <see cref="StudyRunner.Run(ExperimentSpec, int)"/> or <see cref="NominatorPlay.Jobs"/>; while a session is
/// <see cref="Enter">entered</see>, those number the runs in the order the study asks for them (run j of the whole study)
/// and, for shard i/n (<see cref="ForShard"/>), play only the runs with j mod n = i - 1, handing the study constant
/// stand-ins for the others (the report made from them is thrown away); for a merge (<see cref="ForMerge"/>) they play nothing and hand back the recorded runs.
/// </summary>
/// <remarks>
/// The split is valid because a study asks for the same runs in the same order whatever their results: a run's seeds come
/// from the root seed, the trial and the policy's configuration, never from the shard. Work that decides which runs come
/// next (grid tuning, training the pools of the expert-pools study) does not go through these entry points: every shard,
/// and the merge, does it again, deterministically. A study that asks for runs from several threads at once cannot be
/// numbered and is refused (<see cref="InvalidOperationException"/>).
/// </remarks>
public sealed class StudyShardSession
{
    private static readonly AsyncLocal<StudyShardSession?> Active = new();
    private readonly ShardId? _shard;
    private readonly IReadOnlyList<TrialRun>? _recorded;
    private readonly List<(int Job, TrialRun Run)> _played = [];
    private int _next;
    private int _busy;

    private StudyShardSession(ShardId? shard, IReadOnlyList<TrialRun>? recorded)
    {
        _shard = shard;
        _recorded = recorded;
    }

    /// <summary>A session that plays shard <paramref name="shard"/>'s runs only; <paramref name="log"/> receives one line per batch of runs.</summary>
    public static StudyShardSession ForShard(ShardId shard, Action<string>? log = null) => new(shard, null) { Log = log };

    /// <summary>A session that plays nothing and gives the study <paramref name="runs"/> (every run of the study, in job order).</summary>
    public static StudyShardSession ForMerge(IReadOnlyList<TrialRun> runs) => new(null, runs ?? throw new ArgumentNullException(nameof(runs)));

    /// <summary>The session entered on this logical thread, or null (runs are played as usual).</summary>
    public static StudyShardSession? Current => Active.Value;

    /// <summary>Receives one line per batch of runs (how many this shard played); null: silent.</summary>
    private Action<string>? Log { get; init; }

    /// <summary>The runs the study has asked for so far.</summary>
    public int JobCount => _next;

    /// <summary>The runs this shard played, with their job numbers, in job order.</summary>
    public IReadOnlyList<(int Job, TrialRun Run)> Played => [.. _played.OrderBy(p => p.Job)];

    /// <summary>Makes this the <see cref="Current"/> session until the result is disposed.</summary>
    public IDisposable Enter()
    {
        var previous = Active.Value;
        Active.Value = this;
        return new Exit(() => Active.Value = previous);
    }

    /// <summary>Checks, after a merge, that the study asked for every recorded run.</summary>
    /// <exception cref="InvalidDataException">The study asked for fewer runs than the shards hold.</exception>
    public void Complete()
    {
        if (_recorded is not null && _next != _recorded.Count)
        {
            throw new InvalidDataException($"the shards hold {_recorded.Count} runs but this build's study plays {_next}; merge with the build that ran the shards.");
        }
    }

    /// <summary>
    /// Numbers a batch of <paramref name="count"/> runs as the next jobs of the study and returns all of them: played by
    /// <paramref name="play"/> (given the batch positions to play, returning their runs in that order), zero-filled
    /// stand-ins, or recorded runs.
    /// </summary>
    /// <param name="count">Runs in the batch.</param>
    /// <param name="iterations">Rounds of each run.</param>
    /// <param name="describe">Policy display name and trial of batch position k (checked against recorded runs).</param>
    /// <param name="play">Plays the given batch positions.</param>
    /// <exception cref="InvalidOperationException">Another batch is being numbered at the same time.</exception>
    /// <exception cref="InvalidDataException">Merging, and a recorded run is not the run the study asks for.</exception>
    public TrialRun[] Run(int count, int iterations, Func<int, (string Policy, int Trial)> describe, Func<int[], TrialRun[]> play)
    {
        ArgumentNullException.ThrowIfNull(describe);
        ArgumentNullException.ThrowIfNull(play);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("the study asks for runs from several threads at once, so its runs cannot be numbered for sharding.");
        }
        try
        {
            var first = _next;
            _next += count;
            var runs = new TrialRun[count];
            if (_recorded is not null)
            {
                for (var k = 0; k < count; k++)
                {
                    var job = first + k;
                    var (policy, trial) = describe(k);
                    if (job >= _recorded.Count)
                    {
                        throw new InvalidDataException($"this build's study plays more runs than the shards hold ({_recorded.Count}); merge with the build that ran the shards.");
                    }
                    var run = _recorded[job];
                    if (run.Policy != policy || run.Trial != trial || run.Rewards.Length != iterations)
                    {
                        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                            $"run {job} of the shards is ({run.Policy}, trial {run.Trial}, {run.Rewards.Length} rounds) but this build's study asks for ({policy}, trial {trial}, {iterations} rounds) there; merge with the build and options that ran the shards."));
                    }
                    runs[k] = run;
                }
                return runs;
            }
            var shard = _shard!.Value;
            var mine = Enumerable.Range(0, count).Where(k => (first + k) % shard.Count == shard.Index - 1).ToArray();
            var watch = Stopwatch.StartNew();
            var played = mine.Length == 0 ? [] : play(mine);
            for (var m = 0; m < mine.Length; m++)
            {
                runs[mine[m]] = played[m];
                _played.Add((first + mine[m], played[m]));
            }
            for (var k = 0; k < count; k++)
            {
                if (runs[k] is null)
                {
                    var (policy, trial) = describe(k);
                    runs[k] = StandIn(policy, trial, iterations);
                }
            }
            Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"runs {first + 1}-{first + count}: played {mine.Length} of {count} ({watch.Elapsed.TotalSeconds:F1} s)"));
            return runs;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// A run another shard plays: constant, finite and non-zero per-round values (reward 0.5, regret 0.5 of an optimum of 1,
    /// nominator regret 0.25), so that whatever the study computes from it (ratios to a baseline's regret, charts) stays finite.
    /// </summary>
    private static TrialRun StandIn(string policy, int trial, int iterations)
    {
        static double[] Filled(int length, double value)
        {
            var values = new double[length];
            Array.Fill(values, value);
            return values;
        }
        return new TrialRun(policy, trial, Filled(iterations, 0.5), Filled(iterations, 0.5), Filled(iterations, 1.0), Filled(iterations, 0.25), 0, 0);
    }

    private sealed class Exit(Action exit) : IDisposable
    {
        private Action? _exit = exit;

        public void Dispose()
        {
            _exit?.Invoke();
            _exit = null;
        }
    }
}
