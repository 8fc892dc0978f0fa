namespace Cobalt.Simulation.Studies;

/// <summary>What every study lets the caller change; null keeps the study's own (paper-scale) default.</summary>
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

    /// <summary>Receives one line per step (configuration started, time taken).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Checks the overrides.</summary>
    public void Validate()
    {
        if (Trials is < 1)
        {
            throw new Core.Configuration.OptionsException("trials", $"must be at least 1 (got {Trials}).");
        }
        if (Iterations is < 1)
        {
            throw new Core.Configuration.OptionsException("iterations", $"must be at least 1 (got {Iterations}).");
        }
        if (Parallelism < 0)
        {
            throw new Core.Configuration.OptionsException("parallelism", $"must be at least 0 (got {Parallelism}).");
        }
    }
}
