using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Persistence;

namespace Cobalt.Simulation.Experiments;

/// <summary>
/// One slice of an experiment, <c>i/n</c> (1-based): the runs j of <see cref="ExperimentRunner.Jobs(ExperimentSpec)"/>
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

/// <summary>One experiment's part of a shard: the experiment (its <see cref="ExperimentSpec.ToJson"/> text), its world's dimensions (null when the shard holds none of its runs) and the runs, in job order.</summary>
/// <param name="SpecJson">The experiment, exactly as experiment.json holds it.</param>
/// <param name="World">The world's dimensions; null when the shard holds no run of this experiment (its world was not built).</param>
/// <param name="Runs">The shard's runs of this experiment, in job order.</param>
public sealed record ShardPart(string SpecJson, EnvironmentInfo? World, IReadOnlyList<TrialRun> Runs);

/// <summary>
/// What one shard of a command's experiments produced: what to merge them into (<see cref="Manifest"/>:
/// <c>{"command": "run"}</c> or a study with its options), the shard, and for each experiment its
/// <see cref="ShardPart"/>. Saved as a checksummed <see cref="StateFile"/> (written atomically) in which
/// every double, timings included, is stored bit for bit, so <see cref="Merge(IReadOnlyList{ValueTuple{string, ExperimentShard}}, Func{string, IReadOnlyList{string}, IReadOnlyList{ExperimentSpec}})"/> rebuilds exactly the
/// <see cref="ExperimentResult"/>s of an unsharded run.
/// </summary>
/// <remarks>
/// The jobs of experiments E_0, E_1, ... are numbered in one sequence: E_0's (trial-major, then policy),
/// then E_1's, and so on (<see cref="ExperimentRunner.Jobs(IReadOnlyList{ExperimentSpec})"/>); shard i/n holds j mod n = i - 1.
/// File layout: the state-file header (kind <see cref="FileKind"/>, specification = the manifest), then
/// tag "shard", i, n, the number of experiments and per experiment its JSON, whether a world follows, the
/// world (name, actions, item and user feature dimensions, binary rewards) and its runs (policy, trial,
/// the four per-round arrays, choose and learn seconds), then tag "end".
/// </remarks>
public sealed class ExperimentShard
{
    /// <summary>The state-file kind of a shard file.</summary>
    public const string FileKind = "cobalt-experiment-shard";

    /// <summary>The glob of shard files in a folder.</summary>
    public const string FilePattern = "shard-*-of-*.state";

    /// <summary>The manifest of <c>cobalt run</c>'s shards: one experiment, merged into its report.</summary>
    public const string RunManifest = "{\"command\": \"run\"}";

    /// <summary>Holds one shard's runs.</summary>
    public ExperimentShard(string manifest, ShardId shard, IReadOnlyList<ShardPart> parts)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(parts);
        Manifest = manifest;
        Shard = shard;
        Parts = parts;
    }

    /// <summary>What the shards are merged into (JSON): <see cref="RunManifest"/>, or a study's name and options.</summary>
    public string Manifest { get; }

    /// <summary>Which slice this is.</summary>
    public ShardId Shard { get; }

    /// <summary>One part per experiment of the command, in order.</summary>
    public IReadOnlyList<ShardPart> Parts { get; }

    /// <summary>Writes the shard to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(FileKind, Manifest), Save));

    /// <summary>Reads a shard file.</summary>
    /// <exception cref="InvalidDataException">Not a shard file, truncated or damaged; the message names the file.</exception>
    public static ExperimentShard Read(string path) => StateFile.ReadFile(path, FileKind, "an experiment shard", Load);

    /// <summary>Merges the shards of <c>cobalt run</c> (one experiment, read from the shards themselves).</summary>
    /// <exception cref="InvalidDataException">See <see cref="Merge(IReadOnlyList{ValueTuple{string, ExperimentShard}}, Func{string, IReadOnlyList{string}, IReadOnlyList{ExperimentSpec}})"/>.</exception>
    public static ExperimentResult Merge(IReadOnlyList<(string Source, ExperimentShard Shard)> shards) =>
        Merge(shards, (manifest, specs) =>
        {
            if (manifest != RunManifest || specs.Count != 1)
            {
                throw new InvalidDataException($"{shards[0].Source}: these are shards of {manifest}, not of `cobalt run`.");
            }
            try
            {
                return [ExperimentSpec.Parse(specs[0])];
            }
            catch (OptionsException e)
            {
                throw new InvalidDataException($"{shards[0].Source}: the experiment it holds does not load in this build: {e.Message}", e);
            }
        })[0];

    /// <summary>
    /// Puts the shards of one command back together, in job order, into the results an unsharded run gives.
    /// </summary>
    /// <param name="shards">Each shard with where it came from (a file name, used in messages).</param>
    /// <param name="resolve">The experiments, from the manifest and the experiments' JSON; each must write the same JSON again.</param>
    /// <exception cref="InvalidDataException">The shards are of different experiments or splits, one is missing or duplicated, or one holds the wrong runs; the message names the files.</exception>
    public static IReadOnlyList<ExperimentResult> Merge(IReadOnlyList<(string Source, ExperimentShard Shard)> shards, Func<string, IReadOnlyList<string>, IReadOnlyList<ExperimentSpec>> resolve)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(resolve);
        if (shards.Count == 0)
        {
            throw new InvalidDataException("no shard files to merge.");
        }
        var (firstSource, first) = shards[0];
        var firstText = Describe(first);
        foreach (var (source, shard) in shards.Skip(1))
        {
            var text = Describe(shard);
            if (text != firstText)
            {
                throw new InvalidDataException($"{source} and {firstSource} are shards of different experiments ({FirstDifference(firstText, text)}).");
            }
            if (shard.Shard.Count != first.Shard.Count)
            {
                throw new InvalidDataException($"{source} is shard {shard.Shard} but {firstSource} is shard {first.Shard}: one experiment must be split the same way on every machine.");
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

        var specJsons = first.Parts.Select(p => p.SpecJson).ToArray();
        var specs = resolve(first.Manifest, specJsons);
        if (specs.Count != specJsons.Length)
        {
            throw new InvalidDataException($"{firstSource}: it holds {specJsons.Length} experiments where this build runs {specs.Count}; merge with the build that ran the shards.");
        }
        for (var e = 0; e < specs.Count; e++)
        {
            var json = specs[e].ToJson();
            if (json != specJsons[e])
            {
                throw new InvalidDataException($"{firstSource}: experiment {specs[e].Name} reads differently in this build ({FirstDifference(specJsons[e], json)}); merge with the build that ran the shards.");
            }
        }
        var jobs = ExperimentRunner.Jobs(specs);
        if (count > jobs.Count)
        {
            throw new InvalidDataException($"{firstSource}: split into {count} shards but there are only {jobs.Count} runs.");
        }
        var runs = specs.Select(s => new TrialRun[s.Trials * s.Policies.Count]).ToArray();
        var worlds = new EnvironmentInfo?[specs.Count];
        var offsets = new int[specs.Count];
        for (var e = 1; e < specs.Count; e++)
        {
            offsets[e] = offsets[e - 1] + runs[e - 1].Length;
        }
        foreach (var (source, shard) in shards)
        {
            var expected = shard.Shard.JobIndices(jobs.Count);
            for (var e = 0; e < specs.Count; e++)
            {
                var spec = specs[e];
                var part = shard.Parts[e];
                var mine = expected.Where(j => jobs[j].Experiment == e).ToArray();
                if (part.Runs.Count != mine.Length)
                {
                    throw new InvalidDataException($"{source}: shard {shard.Shard} should hold {mine.Length} runs of {spec.Name} but holds {part.Runs.Count}.");
                }
                if (part.World is { } world)
                {
                    if (worlds[e] is { } seen && seen != world)
                    {
                        throw new InvalidDataException($"{source}: saw another world in {spec.Name} than the other shards ({world} vs {seen}).");
                    }
                    worlds[e] = world;
                }
                else if (mine.Length > 0)
                {
                    throw new InvalidDataException($"{source}: holds runs of {spec.Name} but not its world.");
                }
                for (var k = 0; k < mine.Length; k++)
                {
                    var (_, trial, policy) = jobs[mine[k]];
                    var run = part.Runs[k];
                    if (run.Trial != trial || run.Policy != policy.DisplayName)
                    {
                        throw new InvalidDataException($"{source}: run {k + 1} of {spec.Name} is ({run.Policy}, trial {run.Trial}) but shard {shard.Shard} should hold ({policy.DisplayName}, trial {trial}) there.");
                    }
                    if (run.Rewards.Length != spec.Iterations || run.Regrets.Length != spec.Iterations || run.Optimal.Length != spec.Iterations || run.NominatorRegrets.Length != spec.Iterations)
                    {
                        throw new InvalidDataException($"{source}: run ({run.Policy}, trial {run.Trial}) of {spec.Name} does not have {spec.Iterations} rounds.");
                    }
                    runs[e][mine[k] - offsets[e]] = run;
                }
            }
        }
        return specs.Select((spec, e) => new ExperimentResult(spec, worlds[e] ?? throw new InvalidDataException($"no shard holds a run of {spec.Name}."), runs[e])).ToArray();
    }

    /// <summary>The manifest and every experiment, as one text (what must agree between shards).</summary>
    private static string Describe(ExperimentShard shard) => string.Join("\n", [shard.Manifest, .. shard.Parts.Select(p => p.SpecJson)]);

    private void Save(StateWriter writer)
    {
        writer.Tag("shard");
        writer.Write(Shard.Index);
        writer.Write(Shard.Count);
        writer.Write(Parts.Count);
        foreach (var part in Parts)
        {
            writer.Tag("experiment");
            writer.Write(part.SpecJson);
            writer.Write(part.World is not null);
            if (part.World is { } world)
            {
                writer.Write(world.Name);
                writer.Write(world.ActionCount);
                writer.Write(world.ItemFeatureDimension);
                writer.Write(world.UserFeatureDimension);
                writer.Write(world.BinaryRewards);
            }
            writer.Write(part.Runs.Count);
            foreach (var run in part.Runs)
            {
                WriteRun(writer, run);
            }
        }
        writer.Tag("end");
    }

    private static ExperimentShard Load(string manifest, StateReader reader)
    {
        reader.Tag("shard");
        var shard = new ShardId(reader.ReadInt32(), reader.ReadInt32());
        if (shard.Count < 1 || shard.Index < 1 || shard.Index > shard.Count)
        {
            throw new InvalidDataException($"it claims to be shard {shard}, which is not a shard.");
        }
        var experiments = reader.ReadInt32();
        if (experiments < 1)
        {
            throw new InvalidDataException($"it claims {experiments} experiments.");
        }
        var parts = new ShardPart[experiments];
        for (var e = 0; e < experiments; e++)
        {
            reader.Tag("experiment");
            var specJson = reader.ReadString();
            var world = reader.ReadBoolean()
                ? new EnvironmentInfo(reader.ReadString(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadBoolean())
                : null;
            var count = reader.ReadInt32();
            if (count < 0)
            {
                throw new InvalidDataException($"it claims {count} runs.");
            }
            var runs = new TrialRun[count];
            for (var k = 0; k < count; k++)
            {
                runs[k] = ReadRun(reader);
            }
            parts[e] = new ShardPart(specJson, world, runs);
        }
        reader.Tag("end");
        return new ExperimentShard(manifest, shard, parts);
    }

    /// <summary>Writes one run bit for bit (policy, trial, per-round curves, timings): the shard formats' common record.</summary>
    internal static void WriteRun(StateWriter writer, TrialRun run)
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

    /// <summary>Reads a run written by <see cref="WriteRun"/>.</summary>
    internal static TrialRun ReadRun(StateReader reader) => new(
        reader.ReadString(),
        reader.ReadInt32(),
        reader.ReadDoubles("rewards"),
        reader.ReadDoubles("regrets"),
        reader.ReadDoubles("optimal"),
        reader.ReadDoubles("nominator regrets"),
        reader.ReadDouble(),
        reader.ReadDouble());

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
                return string.Create(CultureInfo.InvariantCulture, $"line {i + 1} of the experiments: {x} vs {y}");
            }
        }
        return "same text";
    }
}
