using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Persistence;

namespace Cobalt.Simulation.Experiments;

/// <summary>
/// One slice of an experiment, <c>i/n</c> (1-based): the runs j of <see cref="ExperimentRunner.Jobs"/>
/// (trial-major, then policy) with j mod n = i - 1. The slices of an n-way split are disjoint and
/// cover every run, and which runs a slice holds depends only on the experiment, never on the machine.
/// </summary>
/// <param name="Index">Which slice, 1 to <paramref name="Count"/>.</param>
/// <param name="Count">How many slices the experiment is split into.</param>
public readonly record struct ShardId(int Index, int Count)
{
    /// <summary>Reads <c>i/n</c>, e.g. <c>2/8</c>; the error names <paramref name="field"/>.</summary>
    /// <exception cref="OptionsException">Not two whole numbers with 1 &lt;= i &lt;= n.</exception>
    public static ShardId Parse(string text, string field = "--shard")
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new OptionsException(field, $"'{text}' is not a shard; write i/n, e.g. 1/4 for the first of four (i counts from 1).");
        }
        var shard = new ShardId(index, count);
        shard.Validate(int.MaxValue, string.Empty, field);
        return shard;
    }

    /// <summary>Checks 1 &lt;= i &lt;= n &lt;= <paramref name="jobs"/>; <paramref name="what"/> says where the jobs come from.</summary>
    /// <exception cref="OptionsException">A bad index or count, naming <paramref name="field"/>.</exception>
    public void Validate(int jobs, string what, string field = "--shard")
    {
        if (Count < 1)
        {
            throw new OptionsException(field, $"'{this}': the number of shards must be at least 1.");
        }
        if (Index < 1 || Index > Count)
        {
            throw new OptionsException(field, $"'{this}': i must be between 1 and {Count} (shards count from 1).");
        }
        if (Count > jobs)
        {
            throw new OptionsException(field, $"'{this}': the experiment has only {jobs} (trial, policy) runs ({what}), so at most {jobs} shards.");
        }
    }

    /// <summary>The indices of the jobs this shard runs, out of <paramref name="jobs"/>, in increasing order.</summary>
    public int[] JobIndices(int jobs)
    {
        var indices = new List<int>();
        for (var j = Index - 1; j < jobs; j += Count)
        {
            indices.Add(j);
        }
        return [.. indices];
    }

    /// <summary>The file a shard run writes into its output folder: <c>shard-i-of-n.state</c>.</summary>
    public string FileName => string.Create(CultureInfo.InvariantCulture, $"shard-{Index}-of-{Count}.state");

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}

/// <summary>
/// What one shard of an experiment produced: the experiment (its <see cref="ExperimentSpec.ToJson"/> text),
/// the world's dimensions, the shard and its <see cref="TrialRun"/>s. Saved as a checksummed
/// <see cref="StateFile"/> (written atomically) in which every double, timings included, is stored
/// bit for bit, so <see cref="Merge"/> rebuilds exactly the <see cref="ExperimentResult"/> of an unsharded run.
/// </summary>
public sealed class ExperimentShard
{
    /// <summary>The state-file kind of a shard file.</summary>
    public const string FileKind = "cobalt-experiment-shard";

    /// <summary>The glob of shard files in a folder.</summary>
    public const string FilePattern = "shard-*-of-*.state";

    /// <summary>Holds one shard's runs.</summary>
    public ExperimentShard(string specJson, EnvironmentInfo world, ShardId shard, IReadOnlyList<TrialRun> runs)
    {
        ArgumentNullException.ThrowIfNull(specJson);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(runs);
        SpecJson = specJson;
        World = world;
        Shard = shard;
        Runs = runs;
    }

    /// <summary>The experiment, exactly as <see cref="ExperimentSpec.ToJson"/> wrote it (the report's experiment.json).</summary>
    public string SpecJson { get; }

    /// <summary>The world's dimensions.</summary>
    public EnvironmentInfo World { get; }

    /// <summary>Which slice this is.</summary>
    public ShardId Shard { get; }

    /// <summary>The runs of this slice, in job order.</summary>
    public IReadOnlyList<TrialRun> Runs { get; }

    /// <summary>Writes the shard to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(FileKind, SpecJson), Save));

    /// <summary>Reads a shard file.</summary>
    /// <exception cref="InvalidDataException">Not a shard file, truncated or damaged; the message names the file.</exception>
    public static ExperimentShard Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var stream = File.OpenRead(path);
            var (header, state) = StateFile.Read(stream);
            using (state)
            {
                if (header.Kind != FileKind)
                {
                    throw new InvalidDataException($"it holds '{header.Kind}', not an experiment shard.");
                }
                return Load(header.Specification, state);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Puts the shards of one experiment back together, in job order, into the result an unsharded run gives.
    /// </summary>
    /// <param name="shards">Each shard with where it came from (a file name, used in messages).</param>
    /// <exception cref="InvalidDataException">The shards are of different experiments or splits, one is missing or duplicated, or one holds the wrong runs; the message names the files.</exception>
    public static ExperimentResult Merge(IReadOnlyList<(string Source, ExperimentShard Shard)> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0)
        {
            throw new InvalidDataException("no shard files to merge.");
        }
        var (firstSource, first) = shards[0];
        foreach (var (source, shard) in shards.Skip(1))
        {
            if (shard.SpecJson != first.SpecJson)
            {
                throw new InvalidDataException($"{source} and {firstSource} are shards of different experiments ({FirstDifference(first.SpecJson, shard.SpecJson)}).");
            }
            if (shard.Shard.Count != first.Shard.Count)
            {
                throw new InvalidDataException($"{source} is shard {shard.Shard} but {firstSource} is shard {first.Shard}: one experiment must be split the same way on every machine.");
            }
            if (shard.World != first.World)
            {
                throw new InvalidDataException($"{source} and {firstSource} saw different worlds ({shard.World} vs {first.World}).");
            }
        }
        var count = first.Shard.Count;
        var byIndex = new Dictionary<int, string>();
        foreach (var (source, shard) in shards)
        {
            if (!byIndex.TryAdd(shard.Shard.Index, source))
            {
                throw new InvalidDataException($"shard {shard.Shard} is given twice: {byIndex[shard.Shard.Index]} and {source}.");
            }
        }
        var missing = Enumerable.Range(1, count).Where(i => !byIndex.ContainsKey(i)).Select(i => $"{i}/{count}").ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"missing shard{(missing.Length > 1 ? "s" : string.Empty)} {string.Join(", ", missing)} (found {shards.Count} of {count}).");
        }

        ExperimentSpec spec;
        try
        {
            spec = ExperimentSpec.Parse(first.SpecJson);
        }
        catch (OptionsException e)
        {
            throw new InvalidDataException($"{firstSource}: the experiment it holds does not load in this build: {e.Message}", e);
        }
        if (spec.ToJson() != first.SpecJson)
        {
            throw new InvalidDataException($"{firstSource}: the experiment it holds reads differently in this build ({FirstDifference(first.SpecJson, spec.ToJson())}); merge with the build that ran the shards.");
        }
        var jobs = ExperimentRunner.Jobs(spec);
        if (count > jobs.Count)
        {
            throw new InvalidDataException($"{firstSource}: split into {count} shards but the experiment has only {jobs.Count} runs.");
        }
        var runs = new TrialRun[jobs.Count];
        foreach (var (source, shard) in shards)
        {
            var expected = shard.Shard.JobIndices(jobs.Count);
            if (shard.Runs.Count != expected.Length)
            {
                throw new InvalidDataException($"{source}: shard {shard.Shard} should hold {expected.Length} runs but holds {shard.Runs.Count}.");
            }
            for (var k = 0; k < expected.Length; k++)
            {
                var (trial, policy) = jobs[expected[k]];
                var run = shard.Runs[k];
                if (run.Trial != trial || run.Policy != policy.DisplayName)
                {
                    throw new InvalidDataException($"{source}: run {k + 1} is ({run.Policy}, trial {run.Trial}) but shard {shard.Shard} should hold ({policy.DisplayName}, trial {trial}) there.");
                }
                if (run.Rewards.Length != spec.Iterations || run.Regrets.Length != spec.Iterations || run.Optimal.Length != spec.Iterations || run.NominatorRegrets.Length != spec.Iterations)
                {
                    throw new InvalidDataException($"{source}: run ({run.Policy}, trial {run.Trial}) does not have {spec.Iterations} rounds.");
                }
                runs[expected[k]] = run;
            }
        }
        return new ExperimentResult(spec, first.World, runs);
    }

    private void Save(StateWriter writer)
    {
        writer.Tag("shard");
        writer.Write(Shard.Index);
        writer.Write(Shard.Count);
        writer.Tag("world");
        writer.Write(World.Name);
        writer.Write(World.ActionCount);
        writer.Write(World.ItemFeatureDimension);
        writer.Write(World.UserFeatureDimension);
        writer.Write(World.BinaryRewards);
        writer.Tag("runs");
        writer.Write(Runs.Count);
        foreach (var run in Runs)
        {
            writer.Write(run.Policy);
            writer.Write(run.Trial);
            writer.Write(run.Rewards);
            writer.Write(run.Regrets);
            writer.Write(run.Optimal);
            writer.Write(run.NominatorRegrets);
            writer.Write(run.SelectSeconds);
            writer.Write(run.UpdateSeconds);
        }
        writer.Tag("end");
    }

    private static ExperimentShard Load(string specJson, StateReader reader)
    {
        reader.Tag("shard");
        var shard = new ShardId(reader.ReadInt32(), reader.ReadInt32());
        if (shard.Count < 1 || shard.Index < 1 || shard.Index > shard.Count)
        {
            throw new InvalidDataException($"it claims to be shard {shard}, which is not a shard.");
        }
        reader.Tag("world");
        var world = new EnvironmentInfo(reader.ReadString(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadBoolean());
        reader.Tag("runs");
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"it claims {count} runs.");
        }
        var runs = new TrialRun[count];
        for (var k = 0; k < count; k++)
        {
            runs[k] = new TrialRun(
                reader.ReadString(),
                reader.ReadInt32(),
                reader.ReadDoubles("rewards"),
                reader.ReadDoubles("regrets"),
                reader.ReadDoubles("optimal"),
                reader.ReadDoubles("nominator regrets"),
                reader.ReadDouble(),
                reader.ReadDouble());
        }
        reader.Tag("end");
        return new ExperimentShard(specJson, world, shard, runs);
    }

    private static string FirstDifference(string expected, string found)
    {
        var a = expected.Split('\n');
        var b = found.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var x = i < a.Length ? a[i].Trim() : "(end)";
            var y = i < b.Length ? b[i].Trim() : "(end)";
            if (x != y)
            {
                return string.Create(CultureInfo.InvariantCulture, $"experiment JSON line {i + 1}: {x} vs {y}");
            }
        }
        return "same text";
    }
}
