using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Service.Client;
using Cobalt.Service.Loops;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cobalt.Service.Api;

/// <summary>
/// The dashboard: <c>GET /loops/{loop}/activity</c> answers the loop's recent activity (rank calls, rewards and mean learned
/// reward per bucket, events per second over the last minute, the policy and loop options) to holders of the loop's API key;
/// <c>GET /loops/{loop}/dashboard</c> serves one self-contained HTML page (no external scripts, styles or fonts) that asks for
/// the key, keeps it in the tab's session storage and draws those numbers every 2 s. The page itself holds no data, so it
/// needs no key: a browser cannot add a header to a navigation.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>Default window of the activity answer: the last two minutes.</summary>
    public const int DefaultWindowSeconds = 120;

    /// <summary>Most buckets one activity answer holds.</summary>
    public const int MaxBuckets = 720;

    private static readonly Lazy<DashboardPage> Page = new(DashboardPage.Load);

    public static void Map(IEndpointRouteBuilder app, Access access)
    {
        app.MapGet("/loops/{loop}/activity", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            var l = await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            var (window, step) = Window(http.Request.Query, l.Activity.Seconds);
            var buckets = l.Activity.Buckets((window + step - 1) / step, step);
            return Results.Ok(new LoopActivityReport(l.Name,
                new ActivityPolicy(l.Spec.Kind, l.Spec.Name, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(OptionsBinder.ToJson(l.Spec.Options))!),
                LifecycleEndpoints.Settings(l.Options), window, step, Interlocked.Read(ref l.Ranks), Interlocked.Read(ref l.Rewards), Interlocked.Read(ref l.Learned),
                l.LearnedSequence, l.Activity.RanksPerSecond(60), l.Activity.RewardsPerSecond(60),
                [.. buckets.Select(b => new ActivityBucketReport(b.StartMilliseconds, b.Ranks, b.Rewards, b.Learned, b.MeanReward))]));
        })).WithName("GetLoopActivity").WithDescription(
            "Recent activity of a loop, kept in memory for an hour: per bucket (query window=seconds, default 120; step=seconds per bucket) "
            + "its rank calls, accepted rewards and the mean learned reward of its decisions; events per second over the last minute.")
            .WithTags("Dashboard").RequireKey(KeyRequirement.Loop).Produces<LoopActivityReport>().Problems(400, 401, 403);

        app.MapGet("/loops/{loop}/dashboard", (string loop, HttpContext http) =>
        {
            _ = loop; // the page reads the loop's name from its own address, so nothing from the request is written into it
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = Page.Value.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            return Results.Text(Page.Value.Html, "text/html; charset=utf-8");
        }).WithName("LoopDashboard").WithDescription("The loop's dashboard page (HTML; asks for the loop's API key, then reads /activity, /evaluations and the loop every 2 s). It holds no data, so it needs no key and answers every loop name.")
            .WithTags("Dashboard").RequireKey(KeyRequirement.None).Produces<string>(200, "text/html");
    }

    /// <summary>Reads <c>window</c> and <c>step</c> (seconds); errors name the parameter and its allowed range.</summary>
    private static (int Window, int Step) Window(IQueryCollection query, int kept)
    {
        var window = Integer(query, "window", DefaultWindowSeconds, 10, kept);
        var step = Integer(query, "step", Math.Max(1, (window + 119) / 120), 1, window);
        if ((window + step - 1) / step > MaxBuckets)
        {
            throw new BadRequestException(400, $"window / step gives more than {MaxBuckets} buckets; use a step of at least {(window + MaxBuckets - 1) / MaxBuckets} s.");
        }
        return (window, step);
    }

    private static int Integer(IQueryCollection query, string name, int fallback, int min, int max)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return fallback;
        }
        return values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new BadRequestException(400, $"{name} must be a whole number of seconds from {min} to {max}, not '{values}'.");
    }

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The page and a Content-Security-Policy that allows exactly its inline script and style (by SHA-256) and same-origin fetches.</summary>
    private sealed record DashboardPage(string Html, string ContentSecurityPolicy)
    {
        private const string Resource = "Cobalt.Service.Api.dashboard.html";

        public static DashboardPage Load()
        {
            using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream(Resource)
                ?? throw new InvalidOperationException($"The embedded resource {Resource} is missing from {typeof(DashboardEndpoints).Assembly.GetName().Name}.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var html = reader.ReadToEnd();
            var policy = string.Join("; ",
                "default-src 'none'",
                $"script-src {Hash(Element(html, "script"))}",
                $"style-src {Hash(Element(html, "style"))}",
                "connect-src 'self'",
                "img-src data:",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'");
            return new DashboardPage(html, policy);
        }

        /// <summary>The text inside the page's one <c>&lt;tag&gt;</c> element.</summary>
        private static string Element(string html, string tag)
        {
            var open = $"<{tag}>";
            var start = html.IndexOf(open, StringComparison.Ordinal);
            var end = html.IndexOf($"</{tag}>", StringComparison.Ordinal);
            if (start < 0 || end < start || html.IndexOf(open, start + open.Length, StringComparison.Ordinal) >= 0)
            {
                throw new InvalidOperationException($"{Resource} must have exactly one plain <{tag}> element.");
            }
            return html[(start + open.Length)..end];
        }

        private static string Hash(string text) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)))}'";
    }
}
