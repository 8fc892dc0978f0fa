using Cobalt.Core.Configuration;

namespace Cobalt.Simulation.Studies;

/// <summary>What every study lets the caller change; null keeps the study's own (paper-scale) default.</summary>
/// <remarks>
/// A study with options declares their record on its <see cref="StudyDefinition.OptionsType"/> (an immutable record
/// with defaults and a <c>Validate()</c>); <c>cobalt study NAME --options FILE.json</c> binds the file to it and puts the
/// result in <see cref="Options"/>, and the study reads it with <see cref="OptionsOr{T}"/>. <see cref="Trials"/> and
/// <see cref="Iterations"/> (<c>--trials</c>, <c>--iterations</c>) override the options' own counts.
/// </remarks>
public sealed record StudySettings
{
    /// <summary>Root seed: every random stream of the study derives from it.</summary>
    public ulong Seed { get; init; } = 2026;

    /// <summary>Trials (or held-out users) per configuration.</summary>
    public int? Trials { get; init; }

    /// <summary>Rounds per trial.</summary>
    public int? Iterations { get; init; }

    /// <summary>Runs played at once (0: one per core). Results do not depend on it.</summary>
    public int Parallelism { get; init; }

    /// <summary>The study's options (bound from <see cref="OptionsSource"/>); null: the study's defaults.</summary>
    public IValidatable? Options { get; init; }

    /// <summary>The file <see cref="Options"/> came from (for the report); null when they are the defaults.</summary>
    public string? OptionsSource { get; init; }

    /// <summary>Receives one line per step (configuration started, time taken).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The study's options: <paramref name="explicitOptions"/> when given, else <see cref="Options"/>, else the defaults of <typeparamref name="T"/>; validated.</summary>
    /// <exception cref="OptionsException"><see cref="Options"/> are of another study's type, or fail validation.</exception>
    public T OptionsOr<T>(T? explicitOptions = null)
        where T : class, IValidatable, new()
    {
        var options = explicitOptions ?? Options switch
        {
            null => new T(),
            T typed => typed,
            var other => throw new OptionsException("options", $"are {other.GetType().Name}, but this study reads {typeof(T).Name}."),
        };
        options.Validate();
        return options;
    }

    /// <summary>Checks the overrides.</summary>
    public void Validate()
    {
        if (Trials is < 1)
        {
            throw new OptionsException("trials", $"must be at least 1 (got {Trials}).");
        }
        if (Iterations is < 1)
        {
            throw new OptionsException("iterations", $"must be at least 1 (got {Iterations}).");
        }
        if (Parallelism < 0)
        {
            throw new OptionsException("parallelism", $"must be at least 0 (got {Parallelism}).");
        }
    }
}
