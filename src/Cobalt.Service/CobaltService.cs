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
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

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
    public static Task<WebApplication> BuildAsync(ServiceSettings settings, string urls, CancellationToken cancellationToken = default) =>
        BuildAsync(settings, urls, WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = NoReload }), null, cancellationToken);

    /// <summary>
    /// Configuration files are read once: watching them for changes watches the working directory and all below it, where
    /// the SQLite log usually lives, so every commit woke the watcher (a few percent of the rank path's CPU).
    /// </summary>
    private static readonly string[] NoReload = ["--hostBuilder:reloadConfigOnChange=false"];

    /// <summary>
    /// Builds the service from .NET configuration: the <see cref="ServiceOptions.Section"/> section of
    /// <c>appsettings.json</c>, <c>appsettings.{DOTNET_ENVIRONMENT}.json</c> (in the working directory) and the environment
    /// (<c>Cobalt__AdminKey</c>, ...), with <paramref name="overrides"/> (configuration keys such as <c>Cobalt:AdminKey</c>;
    /// <c>cobalt serve</c> passes its flags and <c>COBALT_*</c> variables here) over all of them. The options are checked
    /// before the store is opened and again when the host starts (<c>ValidateOnStart</c>).
    /// </summary>
    /// <exception cref="Core.Configuration.OptionsException">A bad option, named as <c>Cobalt:Field</c>.</exception>
    public static Task<WebApplication> BuildAsync(IReadOnlyDictionary<string, string?> overrides, CancellationToken cancellationToken = default) =>
        BuildAsync(overrides, check: null, cancellationToken);

    /// <summary>
    /// <see cref="BuildAsync(IReadOnlyDictionary{string, string?}, CancellationToken)"/>, first asking <paramref name="check"/> about the
    /// resolved options (before the store opens): a message it returns stops the build as an <see cref="IOException"/>.
    /// </summary>
    public static Task<WebApplication> BuildAsync(IReadOnlyDictionary<string, string?> overrides, Func<ServiceOptions, string?>? check, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory(), Args = NoReload });
        builder.Configuration.AddInMemoryCollection(overrides);
        var options = ServiceOptions.From(builder.Configuration);
        options.Validate();
        if (check?.Invoke(options) is { } problem)
        {
            throw new IOException(problem);
        }
        builder.Services.AddSingleton<IValidateOptions<ServiceOptions>, ServiceOptionsValidator>();
        builder.Services.AddOptions<ServiceOptions>().Bind(builder.Configuration.GetSection(ServiceOptions.Section)).ValidateOnStart();
        return BuildAsync(options.ToSettings(), options.Urls, builder, options.Telemetry, cancellationToken);
    }

    private static async Task<WebApplication> BuildAsync(ServiceSettings settings, string urls, WebApplicationBuilder builder, TelemetryOptions? telemetry,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Recommenders.TwoStage.RecommenderPolicies.Register();
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
        var openTelemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(telemetry?.ServiceName ?? "cobalt"))
            .WithMetrics(m => m
                .AddMeter(ServiceMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // every scrape sees the latest counts
        if (telemetry?.OtlpEndpoint is { Length: > 0 } endpoint)
        {
            // Traces only where a collector is configured: without a listener the service's spans are never created.
            openTelemetry.WithTracing(t => t
                .AddSource(ServiceTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"))
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(endpoint);
                    o.Protocol = telemetry.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                }));
        }
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
