using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>One study: a set of experiments that belong together (a sweep, leave-one-out priors, several figures).</summary>
/// <param name="Name">Registry name.</param>
/// <param name="Summary">What it reproduces.</param>
/// <param name="Run">Runs it and writes its report into the folder; it reads its options from <see cref="StudySettings.Options"/>.</param>
public sealed record StudyDefinition(string Name, string Summary, Func<StudySettings, string, StudyReport> Run)
{
    /// <summary>
    /// The study's options record (immutable, with defaults and a <c>Validate()</c> naming the bad field), which
    /// <c>--options FILE.json</c> binds to; null when the study has no options.
    /// </summary>
    public Type? OptionsType { get; init; }
}

/// <summary>Every study Cobalt can run by name (<c>cobalt study NAME</c>).</summary>
/// <remarks>
/// To give a study options: write an options record (public init properties with defaults, <see cref="IValidatable"/>,
/// nested records allowed), set it as the definition's <see cref="StudyDefinition.OptionsType"/>, read it in the study
/// with <c>settings.OptionsOr&lt;TOptions&gt;()</c>, and call <see cref="StudyReport.Echo"/> with it (otherwise
/// <see cref="Run"/> echoes the settings and options without the study's trial and round counts).
/// </remarks>
public static class StudyCatalog
{
    private static readonly StudyDefinition[] Definitions =
    [
        new(ResidualSweepStudy.Name, "CoFineUCB's synthetic residual sweep: D = 25, K = 5, rho from 0 to 1, Naive LinUCB, Reshape, SubspaceUCB, CoFineUCB(-focus), Gaussian or Bernoulli rewards (Yue, Hong and Guestrin 2012, fig. 3f).",
            (s, f) => ResidualSweepStudy.Run(s, f)) { OptionsType = typeof(ResidualSweepOptions) },
        new(UserProfileStudy.Name, "CoFineUCB on MovieLens user profiles, leave-one-out U: six methods for L = 1 and L = 5 (coverage slates), several runs per held-out user, largest-residual users, effect of K and of scaling full-space exploration (fig. 3a-e).",
            (s, f) => UserProfileStudy.Run(s, f)) { OptionsType = typeof(UserProfileStudyOptions) },
        new(MixedMovieLensStudy.Name, "Mixed UCB/LinUCB on MovieLens genres: UCB1 and LinUCB for four beta, and context-aware, dynamic and weighted mixing (Chen 2024, fig. 1-3).",
            (s, f) => MixedMovieLensStudy.Run(s, f)) { OptionsType = typeof(MixedStudyOptions) },
        new(NominatorGridStudy.Name, "Nominators + ranker on the synthetic linear world: regret at T = 1,000 against d/s for U+U, U+G, G+U, G+G and single-stage U, G; N = 5 for d = 10, 20, 40 and N = 2..20 for d = 40; regret shares R^N/R^R; training on all vs own (Hron et al. 2021, fig. 3).",
            (s, f) => NominatorGridStudy.Run(s, f, s.OptionsOr<NominatorGridOptions>())) { OptionsType = typeof(NominatorGridOptions) },
        new(NominatorMovieLensStudy.Name, "Nominators + ranker on MovieLens genres as a multi-label bandit: regret / random agent's at T = 5,000 against d/s for N = 2, 4, 8, and the nominator/ranker regret shares as N grows (Hron et al. 2021, fig. 4).",
            (s, f) => NominatorMovieLensStudy.Run(s, f, s.OptionsOr<NominatorMovieLensOptions>())) { OptionsType = typeof(NominatorMovieLensOptions) },
        new(ExpertPoolsStudy.Name, "Mixture-of-Experts pool allocation against random pools on MovieLens genres: precision@5 and recall@5 on held-out movies for several s, d_e, c and N; distilled hard pools played as nominator pools in the genre bandit (Hron et al. 2021, section 4, fig. 5).",
            (s, f) => ExpertPoolsStudy.Run(s, f, s.OptionsOr<ExpertPoolsOptions>())) { OptionsType = typeof(ExpertPoolsOptions) },
        new(NominatorMoviesStudy.Name, "Nominators + ranker with K = 10, 100 or 1,000 MovieLens movies as arms and shared features (GloVe title and tag vectors, genres, popularity, item-kNN affinity): d/s and arms sweeps with popularity and best-arm baselines, grid-tuned alpha and lambda on separate tuning users, training modes, the permanent gate, N (Hron et al. 2021, sections 3-4).",
            (s, f) => NominatorMoviesStudy.Run(s, f, s.OptionsOr<NominatorMoviesOptions>())) { OptionsType = typeof(NominatorMoviesOptions) },
    ];

    /// <summary>Every study.</summary>
    public static IReadOnlyList<StudyDefinition> All => Definitions;

    /// <summary>The study <paramref name="name"/>.</summary>
    /// <exception cref="OptionsException">No such study (the message lists them).</exception>
    public static StudyDefinition Get(string name) =>
        Definitions.FirstOrDefault(d => d.Name == name)
        ?? throw new OptionsException("study", $"unknown study '{name}'; allowed: {string.Join(", ", Definitions.Select(d => d.Name))}.");

    /// <summary>
    /// Reads <paramref name="file"/> (a JSON object of the study's options; missing ones keep their defaults) and binds it
    /// to <paramref name="study"/>'s options record, validated.
    /// </summary>
    /// <exception cref="OptionsException">The file is missing or not JSON, the study has no options, an option is unknown or
    /// has a bad value; the message names the file and the field (for example <c>opts.json: world.rewards: ...</c>).</exception>
    public static IValidatable ReadOptions(StudyDefinition study, string file)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(file);
        if (study.OptionsType is null)
        {
            throw new OptionsException(file, $"the study {study.Name} has no options.");
        }
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException(file, $"cannot be read: {e.Message}", e);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new OptionsException(file, $"is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}): {e.Message}", e);
        }
        using (document)
        {
            try
            {
                return OptionsBinder.Bind(study.OptionsType, document.RootElement, string.Empty);
            }
            catch (OptionsException e)
            {
                throw new OptionsException($"{file}: {e.Field}", e.Problem, e);
            }
        }
    }

    /// <summary>Runs <paramref name="study"/> into <paramref name="folder"/>; a study that did not record its configuration gets it added (and the report rewritten).</summary>
    public static StudyReport Run(StudyDefinition study, StudySettings settings, string folder)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(settings);
        var report = study.Run(settings, folder);
        if (!report.HasEcho)
        {
            report.Echo(study.Name, settings, settings.Options ?? (study.OptionsType is null ? null : (IValidatable?)Activator.CreateInstance(study.OptionsType)));
            report.Write(folder);
        }
        return report;
    }

    /// <summary>
    /// Runs shard <paramref name="shard"/> of <paramref name="study"/>: the whole study runs (its preparation included), but only
    /// the runs j with j mod n = i - 1 are played (<see cref="StudyShardSession"/>); the report made from stand-ins is thrown away.
    /// <paramref name="log"/> receives one line per batch of runs.
    /// </summary>
    public static StudyShard RunShard(StudyDefinition study, StudySettings settings, ShardId shard, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(settings);
        var session = StudyShardSession.ForShard(shard, log);
        var scratch = Directory.CreateTempSubdirectory("cobalt-study-shard-");
        try
        {
            using (session.Enter())
            {
                Run(study, settings with { Log = null }, scratch.FullName); // its lines would report the stand-ins
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
        return new StudyShard(StudyShard.ManifestOf(study, settings), shard, session.JobCount, session.Played);
    }

    /// <summary>
    /// Merges the shards of one <c>cobalt study --shard</c> run and writes into <paramref name="folder"/> the report the unsharded
    /// study writes: the study runs again with the recorded runs in place of playing them (its preparation is done again).
    /// Nothing is written when the shards do not fit together.
    /// </summary>
    /// <exception cref="InvalidDataException">See <see cref="StudyShard.Combine"/> and <see cref="StudyShard.Resolve"/>; also when this build's study asks for other runs than the shards hold.</exception>
    public static (StudyDefinition Study, StudyReport Report) Merge(IReadOnlyList<(string Source, StudyShard Shard)> shards, string? folder, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var runs = StudyShard.Combine(shards);
        var (study, settings) = StudyShard.Resolve(shards[0].Shard.Manifest, shards[0].Source);
        folder ??= Path.Combine("reports", study.Name);
        var session = StudyShardSession.ForMerge(runs);
        var scratch = Directory.CreateTempSubdirectory("cobalt-study-merge-");
        try
        {
            StudyReport report;
            using (session.Enter())
            {
                report = Run(study, settings with { Log = log }, scratch.FullName);
            }
            session.Complete();
            report.Write(folder);
            return (study, report);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{shards[0].Source}: {e.Message}", e);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
