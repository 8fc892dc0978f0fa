using System.Text.Json;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cobalt.Service.Api;

/// <summary>
/// <c>/health</c> and <c>/ready</c> through ASP.NET Core health checks (Microsoft.Extensions.Diagnostics.HealthChecks).
/// <c>GET /ready</c>: whether this process can serve (200 <c>{"status": "ready"}</c>) or not (503
/// <c>{"status": "not-ready", "reasons": [...]}</c>), from the checks tagged <see cref="ReadyTag"/>: <c>event-store</c>
/// (the store answers a read and an (empty) write within 5 s, and its last call succeeded), <c>learner</c> (a pass over
/// every loop finished within <see cref="ServiceSettings.ReadyLearnerLag"/>) and <c>loops</c> (quarantined loops and
/// loops that could not be loaded; Degraded, not Unhealthy: every other loop serves, so they do not make the process
/// not-ready). <c>/health</c> stays liveness only (the process answers; it runs no check).
/// </summary>
internal static class ReadinessEndpoints
{
    /// <summary>The tag of the checks behind <c>/ready</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Registers the readiness checks.</summary>
    public static void AddChecks(IServiceCollection services) => services.AddHealthChecks()
        .AddCheck<EventStoreCheck>("event-store", tags: [ReadyTag])
        .AddCheck<LearnerCheck>("learner", tags: [ReadyTag])
        .AddCheck<LoopsCheck>("loops", tags: [ReadyTag]);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (http, _) => http.Response.WriteAsJsonAsync(new { status = "ok" }),
        }).WithName("Health").WithDescription("Liveness: the process answers.");

        app.MapHealthChecks("/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadiness,
        }).WithName("Ready").WithDescription("Readiness: the event store answers and the learner keeps up (503 with the reasons otherwise); /health is liveness only.");
    }

    private static Task WriteReadiness(HttpContext http, HealthReport report)
    {
        var reasons = report.Entries.Values.SelectMany(e => e.Data.TryGetValue("reasons", out var r) ? (IEnumerable<string>)r : []).ToArray();
        var entries = report.Entries;
        var body = new
        {
            status = report.Status == HealthStatus.Unhealthy ? "not-ready" : "ready",
            reasons,
            learnerLagSeconds = entries.TryGetValue("learner", out var learner) ? learner.Data["learnerLagSeconds"] : null,
            degradedLoops = entries.TryGetValue("loops", out var loops) ? loops.Data["degradedLoops"] : Array.Empty<object>(),
            unloadableLoops = entries.TryGetValue("loops", out var unloadable) ? unloadable.Data["unloadableLoops"] : Array.Empty<object>(),
            checks = entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), durationMilliseconds = Math.Round(e.Value.Duration.TotalMilliseconds, 3) }),
        };
        return http.Response.WriteAsJsonAsync(body, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>The event store answers a read and an (empty) write within 5 s, and its last call succeeded.</summary>
    internal sealed class EventStoreCheck(ResilientEventStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var reasons = new List<string>();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await store.Inner.PingAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (ResilientEventStore.IsStoreFault(e) || e is OperationCanceledException)
            {
                reasons.Add($"the event store does not answer: {e.Message}");
            }
            if (store.Problem is { } problem)
            {
                reasons.Add($"the event store's last call failed ({problem.Reason}) and none has succeeded since {problem.Since:O}");
            }
            var data = new Dictionary<string, object> { ["reasons"] = reasons };
            return reasons.Count == 0 ? HealthCheckResult.Healthy(data: data) : HealthCheckResult.Unhealthy(string.Join("; ", reasons), data: data);
        }
    }

    /// <summary>The learner finished a pass over every loop within <see cref="ServiceSettings.ReadyLearnerLag"/>.</summary>
    internal sealed class LearnerCheck(Learner learner, ServiceSettings settings, TimeProvider time) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var lag = time.GetUtcNow() - learner.LastPass;
            var reasons = lag > settings.ReadyLearnerLag
                ? new[] { $"the learner has not finished a pass for {lag.TotalSeconds:F0} s (limit {settings.ReadyLearnerLag.TotalSeconds:F0} s)" }
                : [];
            var data = new Dictionary<string, object> { ["reasons"] = reasons, ["learnerLagSeconds"] = Math.Round(lag.TotalSeconds, 3) };
            return Task.FromResult(reasons.Length == 0 ? HealthCheckResult.Healthy(data: data) : HealthCheckResult.Unhealthy(reasons[0], data: data));
        }
    }

    /// <summary>Quarantined loops and loops that could not be loaded: Degraded (listed), never Unhealthy.</summary>
    internal sealed class LoopsCheck(LoopRegistry loops) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var degraded = loops.All.Select(l => (l, h: loops.Health(l.Name))).Where(p => p.h.Quarantine is not null)
                .Select(p => new { loop = p.l.Name, reason = p.h.Quarantine }).ToArray();
            var unloadable = loops.Unloadable.Values.ToArray();
            var data = new Dictionary<string, object> { ["degradedLoops"] = degraded, ["unloadableLoops"] = unloadable };
            return Task.FromResult(degraded.Length == 0 && unloadable.Length == 0
                ? HealthCheckResult.Healthy(data: data)
                : HealthCheckResult.Degraded($"{degraded.Length} quarantined loop(s), {unloadable.Length} unloadable", data: data));
        }
    }
}
