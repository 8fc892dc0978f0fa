using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cobalt.Service.Api;

/// <summary>
/// <c>GET /ready</c>: whether this process can serve (200 <c>{"status": "ready"}</c>) or not (503
/// <c>{"status": "not-ready", "reasons": [...]}</c>): the event store answers a read and an (empty) write, the last store
/// call succeeded, and the learner finished a pass over every loop within <see cref="ServiceSettings.ReadyLearnerLag"/>.
/// Quarantined (degraded) loops and loops that could not be loaded are listed; they do not make the process not-ready,
/// since every other loop serves. <c>/health</c> stays liveness only (the process answers).
/// </summary>
internal static class ReadinessEndpoints
{
    public static void Map(IEndpointRouteBuilder app, LoopRegistry loops, ResilientEventStore store, Learner learner, ServiceSettings settings, TimeProvider time)
    {
        app.MapGet("/ready", async (HttpContext http) =>
        {
            var reasons = new List<string>();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
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
            var lag = time.GetUtcNow() - learner.LastPass;
            if (lag > settings.ReadyLearnerLag)
            {
                reasons.Add($"the learner has not finished a pass for {lag.TotalSeconds:F0} s (limit {settings.ReadyLearnerLag.TotalSeconds:F0} s)");
            }
            var degraded = loops.All.Select(l => (l, h: loops.Health(l.Name))).Where(p => p.h.Quarantine is not null)
                .Select(p => new { loop = p.l.Name, reason = p.h.Quarantine }).ToArray();
            var body = new
            {
                status = reasons.Count == 0 ? "ready" : "not-ready",
                reasons,
                learnerLagSeconds = Math.Round(lag.TotalSeconds, 3),
                degradedLoops = degraded,
                unloadableLoops = loops.Unloadable.Values.ToArray(),
            };
            return Results.Json(body, statusCode: reasons.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithName("Ready").WithDescription("Readiness: the event store answers and the learner keeps up (503 with the reasons otherwise); /health is liveness only.");
    }
}
