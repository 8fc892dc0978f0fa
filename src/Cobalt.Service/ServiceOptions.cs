using Cobalt.Core.Configuration;
using Cobalt.Service.Loops;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cobalt.Service;

/// <summary>
/// The service's configuration, bound from the <c>Cobalt</c> section of .NET configuration: <c>appsettings.json</c> and
/// <c>appsettings.{DOTNET_ENVIRONMENT}.json</c> in the working directory, then environment variables
/// (<c>Cobalt__AdminKey</c>, <c>Cobalt__Telemetry__OtlpEndpoint</c>, ...), then <c>COBALT_ADMIN_KEY</c> and
/// <c>COBALT_POSTGRES</c>, then <c>cobalt serve</c>'s flags (the later wins). Checked by <see cref="Validate"/> before the
/// store is opened and again when the host starts (<c>ValidateOnStart</c>); the first bad field is named.
/// </summary>
public sealed record ServiceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cobalt";

    /// <summary>Where to listen (several separated by ';').</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>The SQLite event log (created if missing; relative to the working directory).</summary>
    public string Database { get; init; } = "cobalt.db";

    /// <summary>Npgsql connection string of a PostgreSQL store shared by replicas; replaces <see cref="Database"/>.</summary>
    public string? Postgres { get; init; }

    /// <summary>The admin key (header X-Admin-Key). Required unless <see cref="InsecureLocal"/>.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Demo mode: no admin key, admin calls from this machine only; <see cref="Urls"/> must be loopback.</summary>
    public bool InsecureLocal { get; init; }

    /// <summary>fsync every commit (SQLite).</summary>
    public bool FullSync { get; init; }

    /// <summary>Events learned between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>How often the learner looks for new events.</summary>
    public TimeSpan LearnInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Wait after an event's reward wait before its missing slots get the default reward.</summary>
    public TimeSpan LearnGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest request body (bytes).</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>Longest feature vector a request may carry.</summary>
    public int MaxFeatures { get; init; } = 4096;

    /// <summary>Largest model state file PUT /loops/{loop}/model accepts (bytes).</summary>
    public long MaxModelBytes { get; init; } = 1L << 30;

    /// <summary>Retries of a transient store error before 503.</summary>
    public int StoreRetries { get; init; } = 3;

    /// <summary>Wait before the first store retry (doubling after).</summary>
    public TimeSpan StoreRetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Retry-After of a 503 (seconds).</summary>
    public int RetryAfterSeconds { get; init; } = 2;

    /// <summary>How often loops with a log retention are swept.</summary>
    public TimeSpan RetentionSweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest learner lag for /ready to say ready.</summary>
    public TimeSpan ReadyLearnerLag { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Traces (OpenTelemetry).</summary>
    public TelemetryOptions Telemetry { get; init; } = new();

    /// <summary>Binds the <see cref="Section"/> of <paramref name="configuration"/> (defaults where a key is absent).</summary>
    public static ServiceOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            return configuration.GetSection(Section).Get<ServiceOptions>() ?? new ServiceOptions();
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the value it could not convert.
            throw new OptionsException(Section, e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message);
        }
    }

    /// <summary>Checks every field; throws <see cref="OptionsException"/> naming the first bad one (as <c>Cobalt:Field</c>).</summary>
    public void Validate()
    {
        AtLeast(CheckpointEvery, 1, nameof(CheckpointEvery));
        AtLeast(MaxRequestBytes, 1, nameof(MaxRequestBytes));
        AtLeast(MaxFeatures, 1, nameof(MaxFeatures));
        AtLeast(MaxModelBytes, 1, nameof(MaxModelBytes));
        AtLeast(StoreRetries, 0, nameof(StoreRetries));
        AtLeast(RetryAfterSeconds, 1, nameof(RetryAfterSeconds));
        foreach (var (name, value) in new[]
        {
            (nameof(LearnInterval), LearnInterval), (nameof(LearnGrace), LearnGrace), (nameof(StoreRetryDelay), StoreRetryDelay),
            (nameof(RetentionSweepInterval), RetentionSweepInterval), (nameof(ReadyLearnerLag), ReadyLearnerLag),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new OptionsException($"{Section}:{name}", $"must be a positive time span such as 00:00:02, not {value}.");
            }
        }
        if (string.IsNullOrWhiteSpace(Urls))
        {
            throw new OptionsException($"{Section}:{nameof(Urls)}", "is empty; give an address such as http://127.0.0.1:5080.");
        }
        if (string.IsNullOrWhiteSpace(Postgres) && string.IsNullOrWhiteSpace(Database))
        {
            throw new OptionsException($"{Section}:{nameof(Database)}", "is empty; give the SQLite file (or Cobalt:Postgres).");
        }
        if (string.IsNullOrWhiteSpace(AdminKey) && !InsecureLocal)
        {
            throw new OptionsException($"{Section}:{nameof(AdminKey)}",
                "cobalt serve needs an admin key: give --admin-key KEY, set COBALT_ADMIN_KEY or Cobalt__AdminKey, or Cobalt:AdminKey in appsettings.json (it guards creating, listing and re-keying loops and /metrics). For a demo on this machine only, use --insecure-local (Cobalt:InsecureLocal) instead.");
        }
        if (InsecureLocal && string.IsNullOrWhiteSpace(AdminKey) && NonLoopback(Urls) is { } exposed)
        {
            throw new OptionsException($"{Section}:{nameof(Urls)}",
                $"--insecure-local listens on loopback only, but the address '{exposed}' is not: use http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT, or give an admin key instead.");
        }
        Telemetry.Validate();
    }

    private static void AtLeast(long value, long minimum, string name)
    {
        if (value < minimum)
        {
            throw new OptionsException($"{Section}:{name}", $"must be at least {minimum} (got {value}).");
        }
    }

    /// <summary>The settings the service runs with.</summary>
    public ServiceSettings ToSettings() => new(Path.GetFullPath(Database), string.IsNullOrWhiteSpace(AdminKey) ? null : AdminKey)
    {
        FullSync = FullSync,
        CheckpointEvery = CheckpointEvery,
        PostgresConnectionString = string.IsNullOrWhiteSpace(Postgres) ? null : Postgres,
        LearnInterval = LearnInterval,
        LearnGrace = LearnGrace,
        MaxRequestBytes = MaxRequestBytes,
        MaxFeatures = MaxFeatures,
        MaxModelBytes = MaxModelBytes,
        StoreRetries = StoreRetries,
        StoreRetryDelay = StoreRetryDelay,
        RetryAfterSeconds = RetryAfterSeconds,
        RetentionSweepInterval = RetentionSweepInterval,
        ReadyLearnerLag = ReadyLearnerLag,
    };

    /// <summary>The first address of <paramref name="urls"/> (separated by ';') whose host is not loopback, or null.</summary>
    public static string? NonLoopback(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !(uri.IsLoopback || uri.Host == "localhost"))
            {
                return url;
            }
        }
        return null;
    }
}

/// <summary>
/// OpenTelemetry traces (<c>Cobalt:Telemetry</c>): the service's spans (<c>cobalt.rank</c>, <c>cobalt.reward</c>,
/// <c>cobalt.learn</c>, <c>cobalt.store.append</c>, source <see cref="Api.ServiceTracing.SourceName"/>) and ASP.NET Core's
/// request spans are exported over OTLP only when <see cref="OtlpEndpoint"/> is set; otherwise no trace provider runs and
/// the spans cost nothing.
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>The OTLP collector (e.g. http://127.0.0.1:4317 for gRPC, http://127.0.0.1:4318 for HTTP); empty: no export.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>grpc or http/protobuf.</summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary>The service.name resource attribute.</summary>
    public string ServiceName { get; init; } = "cobalt";

    /// <summary>Checks the fields.</summary>
    public void Validate()
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint) && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            throw new OptionsException($"{ServiceOptions.Section}:Telemetry:{nameof(OtlpEndpoint)}", $"'{OtlpEndpoint}' is not an http(s) address such as http://127.0.0.1:4317.");
        }
        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            throw new OptionsException($"{ServiceOptions.Section}:Telemetry:{nameof(OtlpProtocol)}", $"'{OtlpProtocol}' is not grpc or http/protobuf.");
        }
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            throw new OptionsException($"{ServiceOptions.Section}:Telemetry:{nameof(ServiceName)}", "is empty.");
        }
    }
}

/// <summary>Checks <see cref="ServiceOptions"/> for <c>ValidateOnStart</c> (<see cref="ServiceOptions.Validate"/>).</summary>
internal sealed class ServiceOptionsValidator : IValidateOptions<ServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (OptionsException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
