using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cobalt.Service.Api;

/// <summary>
/// <c>GET /metrics</c>: OpenTelemetry's Prometheus scraping endpoint (text exposition format 0.0.4, or OpenMetrics when the
/// scraper asks for it) with the instruments of <see cref="ServiceMetrics"/> and ASP.NET Core's own
/// (<c>http.server.request.duration</c>, Kestrel connections). Like every admin call it needs the admin key in
/// <c>X-Admin-Key</c> (401 without, 403 with a wrong one; see <see cref="Access"/>); a Prometheus scrape job sends it with
/// <c>http_headers</c>.
/// </summary>
internal static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app, Access access)
    {
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (http, next) =>
        {
            try
            {
                access.RequireAdmin(http, "Reading /metrics");
            }
            catch (BadRequestException e)
            {
                await Endpoints.Error(e.Status, e.Message).ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            await next(http).ConfigureAwait(false);
        }), optionsName: null).WithName("Metrics").WithDescription("Prometheus text format: per-loop rank/reward counters and latency histograms, learner lag, store errors, quarantined events, evaluation queue (admin key).");
    }
}
