using Cobalt.Service.Api;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cobalt.Service;

/// <summary>Builds the Cobalt rank/reward service: Kestrel, the API, the event log (SQLite, or PostgreSQL shared by replicas) and the background learner.</summary>
public static class CobaltService
{
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
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOpenApi();
        IEventStore store = settings.PostgresConnectionString is { Length: > 0 } postgres
            ? new PostgresEventStore(postgres)
            : new SqliteEventStore(settings.DatabasePath, settings.FullSync);
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var registry = new LoopRegistry(store);
        await registry.LoadAsync(cancellationToken).ConfigureAwait(false);
        builder.Services.AddSingleton<IEventStore>(store);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Learner>();
        builder.Services.AddHostedService(p => p.GetRequiredService<Learner>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        var app = builder.Build();
        app.MapOpenApi();
        var access = new Access(registry, settings, TimeProvider.System);
        Endpoints.Map(app, registry, settings, access, new LatencyRecorder(), TimeProvider.System);
        DashboardEndpoints.Map(app, access);
        var evaluations = new EvaluationQueue();
        EvaluationEndpoints.Map(app, registry, access, evaluations, TimeProvider.System);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            evaluations.Dispose();
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        return app;
    }
}
