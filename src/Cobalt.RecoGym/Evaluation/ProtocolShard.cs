using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// One slice i/n (1-based) of <see cref="RecoGymProtocol"/>'s (world, training seed, agent) runs: the runs j with
/// j mod n = i - 1, numbered world-major, then training seed, then agent (the order of <see cref="ProtocolResult.Runs"/>),
/// with the summaries of the training logs the slice built and the protocol it ran (<see cref="Description"/>). Saved as a
/// checksummed <see cref="StateFile"/> (kind <see cref="FileKind"/>, written atomically) whose header holds the caller's
/// manifest; timings are stored bit for bit.
/// </summary>
/// <remarks>
/// A run's numbers come from the world seed, the training seed and the agent only (<see cref="RecoGymProtocolRunner.RunAgent"/>),
/// never from the slice, so merged slices give the runs of one unsharded <see cref="RecoGymProtocolRunner.Run"/>.
/// Payload: tag "recogym-shard", i, n, the description, the run count, the wall seconds, the logs (index w * T + t, rows,
/// recommendations, clicks, phantoms) and the runs (job, world seed, kind, agent, recommendations, clicks, phantoms, train
/// and test seconds, training seed); tag "end".
/// </remarks>
public sealed class ProtocolShard
{
    /// <summary>The state-file kind of a RecoGym shard.</summary>
    public const string FileKind = "cobalt-recogym-shard";

    /// <summary>Holds one slice's runs.</summary>
    public ProtocolShard(string manifest, int index, int count, string description, int jobCount, double wallSeconds,
        IReadOnlyList<(int Log, int Rows, Tally Logged)> logs, IReadOnlyList<(int Job, ProtocolRun Run)> runs)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(runs);
        (Manifest, Index, Count, Description, JobCount, WallSeconds, Logs, Runs) = (manifest, index, count, description, jobCount, wallSeconds, logs, runs);
    }

    /// <summary>What the caller needs to rebuild the protocol (JSON; the CLI's settings).</summary>
    public string Manifest { get; }

    /// <summary>i, from 1.</summary>
    public int Index { get; }

    /// <summary>n.</summary>
    public int Count { get; }

    /// <summary>The protocol the slice ran (<see cref="Describe"/>).</summary>
    public string Description { get; }

    /// <summary>Runs of the whole protocol: worlds x training seeds x agents.</summary>
    public int JobCount { get; }

    /// <summary>Wall time of the slice.</summary>
    public double WallSeconds { get; }

    /// <summary>The training logs this slice built: index w * T + t, rows, and the logged tally.</summary>
    public IReadOnlyList<(int Log, int Rows, Tally Logged)> Logs { get; }

    /// <summary>This slice's runs with their job numbers, in job order.</summary>
    public IReadOnlyList<(int Job, ProtocolRun Run)> Runs { get; }

    /// <summary>The file a slice writes: <c>shard-i-of-n.state</c>.</summary>
    public string FileName => FileNameOf(Index, Count);

    /// <summary>The file of slice <paramref name="index"/> of <paramref name="count"/>.</summary>
    public static string FileNameOf(int index, int count) => string.Create(CultureInfo.InvariantCulture, $"shard-{index}-of-{count}.state");

    /// <summary>Everything that decides the protocol's numbers, as one text (world options, seeds, user counts, epsilon, agents with their options).</summary>
    public static string Describe(RecoGymProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"world {OptionsBinder.ToJson(protocol.World)}\n")
            .Append(CultureInfo.InvariantCulture, $"world-seed {protocol.WorldSeed}, worlds {protocol.Worlds}, training-seeds {protocol.TrainingSeeds}\n")
            .Append(CultureInfo.InvariantCulture, $"organic-train-users {protocol.OrganicTrainUsers}, train-users {protocol.TrainUsers}, logging-epsilon {protocol.LoggingEpsilon:R}, test-users {protocol.TestUsers}, online {protocol.Online}\n");
        foreach (var agent in protocol.Agents)
        {
            text.Append(CultureInfo.InvariantCulture, $"agent {agent.Kind} ({agent.DisplayName}) {OptionsBinder.ToJson(agent.Options)}\n");
        }
        return text.ToString();
    }

    /// <summary>The (world, training seed, agent) index triples in job order.</summary>
    public static (int World, int TrainingSeed, int Agent)[] Jobs(RecoGymProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return [.. from w in Enumerable.Range(0, protocol.Worlds)
                   from t in Enumerable.Range(0, protocol.TrainingSeeds)
                   from a in Enumerable.Range(0, protocol.Agents.Count)
                   select (w, t, a)];
    }

    /// <summary>
    /// Runs slice <paramref name="index"/>/<paramref name="count"/> of <paramref name="protocol"/>: builds the worlds and training
    /// logs its runs need (in parallel) and plays its runs exactly as <see cref="RecoGymProtocolRunner.Run"/> plays them.
    /// </summary>
    /// <exception cref="OptionsException">A bad slice (named <c>--shard</c>) or protocol.</exception>
    public static ProtocolShard Run(RecoGymProtocol protocol, int index, int count, string manifest, int maxParallelism = 0, Action<int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(manifest);
        protocol.Validate();
        var jobs = Jobs(protocol);
        if (count < 1 || index < 1 || index > count)
        {
            throw new OptionsException("--shard", string.Create(CultureInfo.InvariantCulture, $"'{index}/{count}': i must be between 1 and n (shards count from 1)."));
        }
        if (count > jobs.Length)
        {
            throw new OptionsException("--shard", string.Create(CultureInfo.InvariantCulture, $"'{index}/{count}': the protocol has only {jobs.Length} (world, training seed, agent) runs, so at most {jobs.Length} shards."));
        }
        var clock = Stopwatch.StartNew();
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : System.Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        var seeds = protocol.TrainingSeeds;
        var mine = Enumerable.Range(0, jobs.Length).Where(j => j % count == index - 1).ToArray();
        var worldIndices = mine.Select(j => jobs[j].World).Distinct().ToArray();
        var logIndices = mine.Select(j => (jobs[j].World * seeds) + jobs[j].TrainingSeed).Distinct().ToArray();
        var worlds = new RecoGymWorld?[protocol.Worlds];
        Parallel.ForEach(worldIndices, options, w => worlds[w] = RecoGymWorld.FromNumpySeed(protocol.World, protocol.WorldSeedOf(w)));
        var logs = new InteractionLog?[protocol.Worlds * seeds];
        Parallel.ForEach(logIndices, options, i =>
            logs[i] = RecoGymProtocolRunner.TrainingLog(worlds[i / seeds]!, protocol.WorldSeedOf(i / seeds), protocol.OrganicTrainUsers, protocol.TrainUsers, protocol.LoggingEpsilon, i % seeds));
        var runs = new ProtocolRun[mine.Length];
        Parallel.For(0, mine.Length, options, k =>
        {
            var (w, t, a) = jobs[mine[k]];
            runs[k] = RecoGymProtocolRunner.RunAgent(worlds[w]!, protocol.WorldSeedOf(w), logs[(w * seeds) + t]!, protocol.Agents[a], protocol.TestUsers, protocol.Online, onProgress, t, cancellationToken);
        });
        long phantoms = protocol.TrainUsers;
        var summaries = logIndices.Order().Select(i => (i, logs[i]!.Count, new Tally(logs[i]!.BanditCount - phantoms, logs[i]!.ClickCount, phantoms))).ToArray();
        return new ProtocolShard(manifest, index, count, Describe(protocol), jobs.Length, clock.Elapsed.TotalSeconds, summaries, [.. mine.Select((j, k) => (j, runs[k]))]);
    }

    /// <summary>
    /// Puts every slice of one protocol run back together into the result an unsharded <see cref="RecoGymProtocolRunner.Run"/>
    /// gives (runs and log summaries in its order); the wall time is the longest slice's.
    /// </summary>
    /// <param name="shards">Each slice with where it came from (a file name, used in messages).</param>
    /// <param name="protocol">The protocol, rebuilt from the manifest; it must read as the slices' <see cref="Description"/>.</param>
    /// <exception cref="InvalidDataException">Slices of different protocols or splits, a slice missing or given twice, one holding other runs than its slice, or a protocol this build reads differently; the message names the files.</exception>
    public static ProtocolResult Merge(IReadOnlyList<(string Source, ProtocolShard Shard)> shards, RecoGymProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(protocol);
        if (shards.Count == 0)
        {
            throw new InvalidDataException("no shard files to merge.");
        }
        var (firstSource, first) = shards[0];
        foreach (var (source, shard) in shards.Skip(1))
        {
            if (shard.Manifest != first.Manifest || shard.Description != first.Description)
            {
                throw new InvalidDataException($"{source} and {firstSource} are shards of different RecoGym protocols ({FirstDifference(first.Manifest + "\n" + first.Description, shard.Manifest + "\n" + shard.Description)}).");
            }
            if (shard.Count != first.Count)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source} is shard {shard.Index}/{shard.Count} but {firstSource} is shard {first.Index}/{first.Count}: one protocol must be split the same way on every machine."));
            }
        }
        var description = Describe(protocol);
        if (description != first.Description)
        {
            throw new InvalidDataException($"{firstSource}: its protocol reads differently in this build ({FirstDifference(first.Description, description)}); merge with the build that ran the shards.");
        }
        var count = first.Count;
        var byIndex = new Dictionary<int, string>();
        foreach (var (source, shard) in shards)
        {
            if (!byIndex.TryAdd(shard.Index, source))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"shard {shard.Index}/{count} is given twice: {byIndex[shard.Index]} and {source}."));
            }
        }
        var missing = Enumerable.Range(1, count).Where(i => !byIndex.ContainsKey(i)).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i}/{count}")).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"missing shard{(missing.Length > 1 ? "s" : string.Empty)} {string.Join(", ", missing)} (found {shards.Count} of {count}).");
        }
        var jobs = Jobs(protocol);
        var seeds = protocol.TrainingSeeds;
        var runs = new ProtocolRun[jobs.Length];
        var logs = new (int Rows, Tally Logged)?[protocol.Worlds * seeds];
        foreach (var (source, shard) in shards)
        {
            var expected = Enumerable.Range(0, jobs.Length).Where(j => j % count == shard.Index - 1);
            if (shard.JobCount != jobs.Length || !expected.SequenceEqual(shard.Runs.Select(r => r.Job)))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source}: shard {shard.Index}/{count} does not hold the runs of its slice of {jobs.Length}."));
            }
            foreach (var (job, run) in shard.Runs)
            {
                var (w, t, a) = jobs[job];
                if (run.WorldSeed != protocol.WorldSeedOf(w) || run.TrainingSeed != t || run.Agent != protocol.Agents[a].DisplayName)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source}: run {job} is ({run.Agent}, world {run.WorldSeed}, training seed {run.TrainingSeed}) where the protocol has ({protocol.Agents[a].DisplayName}, world {protocol.WorldSeedOf(w)}, training seed {t})."));
                }
                runs[job] = run;
            }
            foreach (var (log, rows, logged) in shard.Logs)
            {
                if (log < 0 || log >= logs.Length || (logs[log] is { } seen && seen != (rows, logged)))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{source}: its training log {log} differs from another shard's."));
                }
                logs[log] = (rows, logged);
            }
        }
        var summaries = Enumerable.Range(0, logs.Length).Select(i => logs[i] is { } l
                ? (protocol.WorldSeedOf(i / seeds), l.Rows, l.Logged, i % seeds)
                : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"no shard holds training log {i % seeds} of world {protocol.WorldSeedOf(i / seeds)}.")))
            .ToArray();
        return new ProtocolResult(protocol, summaries, runs, shards.Max(s => s.Shard.WallSeconds));
    }

    /// <summary>Writes the slice to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(FileKind, Manifest), Save));

    /// <summary>Reads a RecoGym shard file.</summary>
    /// <exception cref="InvalidDataException">Not a RecoGym shard, truncated or damaged; the message names the file.</exception>
    public static ProtocolShard Read(string path) => StateFile.ReadFile(path, FileKind, "a RecoGym shard", Load);

    private void Save(StateWriter writer)
    {
        writer.Tag("recogym-shard");
        writer.Write(Index);
        writer.Write(Count);
        writer.Write(Description);
        writer.Write(JobCount);
        writer.Write(WallSeconds);
        writer.Write(Logs.Count);
        foreach (var (log, rows, logged) in Logs)
        {
            writer.Write(log);
            writer.Write(rows);
            Write(writer, logged);
        }
        writer.Write(Runs.Count);
        foreach (var (job, run) in Runs)
        {
            writer.Write(job);
            writer.Write((long)run.WorldSeed);
            writer.Write(run.Kind);
            writer.Write(run.Agent);
            Write(writer, run.Test);
            writer.Write(run.TrainSeconds);
            writer.Write(run.TestSeconds);
            writer.Write(run.TrainingSeed);
        }
        writer.Tag("end");
    }

    private static void Write(StateWriter writer, Tally tally)
    {
        writer.Write(tally.Recommendations);
        writer.Write(tally.Clicks);
        writer.Write(tally.Phantoms);
    }

    private static ProtocolShard Load(string manifest, StateReader reader)
    {
        reader.Tag("recogym-shard");
        var index = reader.ReadInt32();
        var count = reader.ReadInt32();
        if (count < 1 || index < 1 || index > count)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it claims to be shard {index}/{count}, which is not a shard."));
        }
        var description = reader.ReadString();
        var jobCount = reader.ReadInt32();
        var wall = reader.ReadDouble();
        var logs = new (int, int, Tally)[Length(reader.ReadInt32(), "logs")];
        for (var i = 0; i < logs.Length; i++)
        {
            logs[i] = (reader.ReadInt32(), reader.ReadInt32(), new Tally(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64()));
        }
        var runs = new (int, ProtocolRun)[Length(reader.ReadInt32(), "runs")];
        for (var k = 0; k < runs.Length; k++)
        {
            var job = reader.ReadInt32();
            var seed = reader.ReadInt64();
            if (seed is < 0 or > uint.MaxValue)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it holds world seed {seed}."));
            }
            var kind = reader.ReadString();
            var agent = reader.ReadString();
            var test = new Tally(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
            runs[k] = (job, new ProtocolRun((uint)seed, kind, agent, test, reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt32()));
        }
        reader.Tag("end");
        return new ProtocolShard(manifest, index, count, description, jobCount, wall, logs, runs);
    }

    private static int Length(int value, string what) =>
        value >= 0 ? value : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it claims {value} {what}."));

    private static string FirstDifference(string expected, string found)
    {
        var a = expected.Split('\n');
        var b = found.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i] : "(end)";
            var y = i < b.Length ? b[i] : "(end)";
            if (x != y)
            {
                return $"{x} vs {y}";
            }
        }
        return "same text";
    }
}
