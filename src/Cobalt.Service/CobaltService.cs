using Cobalt.Service.Api;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;

namespace Cobalt.Service;

/// <summary>
/// Builds the Cobalt rank/reward service: Kestrel, the API, the event log (SQLite, or PostgreSQL shared by replicas) and
/// the background learner. Every store call goes through <see cref="ResilientEventStore"/> (retries, then 503 with
/// Retry-After); a learner error is contained to its loop; <c>/health</c> is liveness, <c>/ready</c> readiness.
/// </summary>
public static class CobaltService
{
    /// <summary>
    /// Logging defaults: Information for Cobalt's own categories (loop life cycle, checkpoints, quarantine, store and
    /// learner state), Warning for the rest; one line per message with a UTC timestamp.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> LoggingDefaults = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Cobalt"] = "Information",
        ["Logging:Console:FormatterName"] = "simple",
        ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
        ["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ ",
    };

    /// <summary>
    /// Builds the service listening on <paramref name="urls"/> (for example http://127.0.0.1:5080); the event store is
    /// opened and every loop restored from its checkpoint before the first request.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(ServiceSettings settings, string urls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Recommenders.TwoStage.RecommenderPolicies.Register();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = settings.MaxRequestBytes);
        // Defaults under every other configuration source, so appsettings.json and environment variables
        // (Logging__LogLevel__Default, Logging__LogLevel__Cobalt, Logging__Console__FormatterName=json, ...) override them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LoggingDefaults });
        builder.Logging.AddConsole();
        // The slim builder's simple console pins its formatter: take the configured one (e.g. "json") after it.
        builder.Services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName = builder.Configuration["Logging:Console:FormatterName"] ?? o.FormatterName);
        ApiDocumentation.Add(builder.Services);
        // Numbers are numbers: the handlers never take "1" for 1, so neither do the schemas.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
            c.ProblemDetails.Extensions.Remove("traceId"); // a wrong key and an unknown loop get byte-identical answers (Access)
        });
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ServiceMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // every scrape sees the latest counts
        IEventStore inner = settings.PostgresConnectionString is { Length: > 0 } postgres
            ? new PostgresEventStore(postgres)
            : new SqliteEventStore(settings.DatabasePath, settings.FullSync);
        try
        {
            await inner.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var store = new ResilientEventStore(inner, settings.StoreRetries, settings.StoreRetryDelay, TimeProvider.System);
        using var loggers = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());
        var registry = new LoopRegistry(store, loggers.CreateLogger<LoopRegistry>()); // the host's logger once built
        await registry.LoadAsync(cancellationToken).ConfigureAwait(false);
        builder.Services.AddSingleton<IEventStore>(store);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Learner>();
        builder.Services.AddHostedService(p => p.GetRequiredService<Learner>());
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore; // the learner contains its errors; never stop the host
        });
        builder.Services.AddHostedService<OperationsWatch>();
        ReadinessEndpoints.AddChecks(builder.Services);
        var app = builder.Build();
        registry.Logger = app.Services.GetRequiredService<ILogger<LoopRegistry>>();
        StoreUnavailableHandler.Use(app, settings.RetryAfterSeconds);
        app.MapOpenApi(ApiDocumentation.DocumentPath);
        var access = new Access(registry, settings, TimeProvider.System);
        var evaluations = new EvaluationQueue();
        var learner = app.Services.GetRequiredService<Learner>();
        var metrics = new ServiceMetrics(registry, store, learner, evaluations, TimeProvider.System);
        Endpoints.Map(app, registry, settings, access, new LatencyRecorder(), metrics, TimeProvider.System);
        MetricsEndpoint.Map(app, access);
        LifecycleEndpoints.Map(app, registry, settings, access, TimeProvider.System);
        DashboardEndpoints.Map(app, access);
        EvaluationEndpoints.Map(app, registry, access, evaluations, TimeProvider.System);
        ReadinessEndpoints.Map(app);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            metrics.Dispose();
            evaluations.Dispose();
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        return app;
    }
}
