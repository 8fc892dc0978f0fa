using System.Globalization;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// What one shard of <c>cobalt study NAME --shard i/n</c> played: the study and its settings (<see cref="Manifest"/>), the
/// shard, how many runs the whole study has, and this shard's runs with their job numbers (see <see cref="StudyShardSession"/>).
/// Saved as a checksummed <see cref="StateFile"/> (kind <see cref="FileKind"/>, written atomically, named like an experiment
/// shard: <c>shard-i-of-n.state</c>) in which every double, timings included, is stored bit for bit.
/// </summary>
/// <remarks>
/// Payload: tag "study-shard", i, n, the study's run count, the number of runs held, then per run its job number, policy,
/// trial, the four per-round arrays and the choose and learn seconds; tag "end". The manifest is
/// <c>{"command": "study", "study": NAME, "seed": S, "trials": T|null, "iterations": N|null, "options-file": PATH|null, "options": {...}|null}</c>.
/// </remarks>
public sealed class StudyShard
{
    /// <summary>The state-file kind of a study shard.</summary>
    public const string FileKind = "cobalt-study-shard";

    /// <summary>Holds one shard's runs.</summary>
    public StudyShard(string manifest, ShardId shard, int jobCount, IReadOnlyList<(int Job, TrialRun Run)> runs)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(runs);
        Manifest = manifest;
        Shard = shard;
        JobCount = jobCount;
        Runs = runs;
    }

    /// <summary>The study, seed, counts and options (JSON) the shard ran with.</summary>
    public string Manifest { get; }

    /// <summary>Which slice this is.</summary>
    public ShardId Shard { get; }

    /// <summary>How many runs the whole study plays.</summary>
    public int JobCount { get; }

    /// <summary>This shard's runs with their job numbers, in job order.</summary>
    public IReadOnlyList<(int Job, TrialRun Run)> Runs { get; }

    /// <summary>The manifest of <paramref name="study"/> run with <paramref name="settings"/> (parallelism and log are left out: results do not depend on them).</summary>
    public static string ManifestOf(StudyDefinition study, StudySettings settings)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(settings);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("command", "study");
            writer.WriteString("study", study.Name);
            writer.WriteNumber("seed", settings.Seed);
            WriteCount(writer, "trials", settings.Trials);
            WriteCount(writer, "iterations", settings.Iterations);
            writer.WriteString("options-file", settings.OptionsSource);
            writer.WritePropertyName("options");
            if (settings.Options is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                OptionsBinder.Write(writer, settings.Options);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The study and settings <paramref name="manifest"/> describes; <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="InvalidDataException">The manifest is not a study's, names an unknown study, or its options do not load (or read differently) in this build.</exception>
    public static (StudyDefinition Study, StudySettings Settings) Resolve(string manifest, string source)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        try
        {
            using var document = JsonDocument.Parse(manifest);
            var root = document.RootElement;
            var study = StudyCatalog.Get(root.GetProperty("study").GetString() ?? string.Empty);
            var options = root.GetProperty("options");
            IValidatable? bound = null;
            if (options.ValueKind != JsonValueKind.Null)
            {
                bound = OptionsBinder.Bind(study.OptionsType ?? throw new OptionsException("options", $"the study {study.Name} has no options."), options, "options");
            }
            var settings = new StudySettings
            {
                Seed = root.GetProperty("seed").GetUInt64(),
                Trials = Count(root.GetProperty("trials")),
                Iterations = Count(root.GetProperty("iterations")),
                OptionsSource = root.GetProperty("options-file").GetString(),
                Options = bound,
            };
            settings.Validate();
            var again = ManifestOf(study, settings);
            if (again != manifest)
            {
                throw new InvalidDataException($"its study reads differently in this build ({manifest} vs {again}); merge with the build that ran the shards.");
            }
            return (study, settings);
        }
        catch (Exception e) when (e is OptionsException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: its study does not load in this build: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>Writes the shard to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(FileKind, Manifest), Save));

    /// <summary>Reads a study shard file.</summary>
    /// <exception cref="InvalidDataException">Not a study shard file, truncated or damaged; the message names the file.</exception>
    public static StudyShard Read(string path) => StateFile.ReadFile(path, FileKind, "a study shard", Load);

    /// <summary>
    /// Checks that <paramref name="shards"/> are every shard of one study run (same manifest, same split, each once, each
    /// holding exactly its slice) and returns every run of the study in job order.
    /// </summary>
    /// <exception cref="InvalidDataException">Shards of different studies or settings, of different splits, a shard missing or given twice, or one holding other runs than its slice; the message names the files.</exception>
    public static TrialRun[] Combine(IReadOnlyList<(string Source, StudyShard Shard)> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0)
        {
            throw new InvalidDataException("no shard files to merge.");
        }
        var (firstSource, first) = shards[0];
        foreach (var (source, shard) in shards.Skip(1))
        {
            if (shard.Manifest != first.Manifest)
            {
                throw new InvalidDataException($"{source} and {firstSource} are shards of different studies or settings ({shard.Manifest} vs {first.Manifest}).");
            }
            if (shard.Shard.Count != first.Shard.Count)
            {
                throw new InvalidDataException($"{source} is shard {shard.Shard} but {firstSource} is shard {first.Shard}: one study must be split the same way on every machine.");
            }
            if (shard.JobCount != first.JobCount)
            {
                throw new InvalidDataException($"{source} counts {shard.JobCount} runs in the study but {firstSource} counts {first.JobCount}: they were run by different builds.");
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
        var runs = new TrialRun[first.JobCount];
        foreach (var (source, shard) in shards)
        {
            var expected = shard.Shard.JobIndices(first.JobCount);
            if (!expected.SequenceEqual(shard.Runs.Select(r => r.Job)))
            {
                throw new InvalidDataException($"{source}: shard {shard.Shard} should hold {expected.Length} runs (numbers {shard.Shard.Index - 1}, {shard.Shard.Index - 1 + count}, ...) but holds {shard.Runs.Count} others.");
            }
            foreach (var (job, run) in shard.Runs)
            {
                runs[job] = run;
            }
        }
        return runs;
    }

    private static void WriteCount(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteNumber(name, value.Value);
        }
    }

    private static int? Count(JsonElement element) => element.ValueKind == JsonValueKind.Null ? null : element.GetInt32();

    private void Save(StateWriter writer)
    {
        writer.Tag("study-shard");
        writer.Write(Shard.Index);
        writer.Write(Shard.Count);
        writer.Write(JobCount);
        writer.Write(Runs.Count);
        foreach (var (job, run) in Runs)
        {
            writer.Write(job);
            ExperimentShard.WriteRun(writer, run);
        }
        writer.Tag("end");
    }

    private static StudyShard Load(string manifest, StateReader reader)
    {
        reader.Tag("study-shard");
        var shard = new ShardId(reader.ReadInt32(), reader.ReadInt32());
        if (shard.Count < 1 || shard.Index < 1 || shard.Index > shard.Count)
        {
            throw new InvalidDataException($"it claims to be shard {shard}, which is not a shard.");
        }
        var jobCount = reader.ReadInt32();
        var count = reader.ReadInt32();
        if (jobCount < 0 || count < 0 || count > jobCount)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it claims {count} runs of {jobCount}."));
        }
        var runs = new (int, TrialRun)[count];
        for (var k = 0; k < count; k++)
        {
            var job = reader.ReadInt32();
            if (job < 0 || job >= jobCount)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it holds run {job} of a study of {jobCount} runs."));
            }
            runs[k] = (job, ExperimentShard.ReadRun(reader));
        }
        reader.Tag("end");
        return new StudyShard(manifest, shard, jobCount, runs);
    }
}
