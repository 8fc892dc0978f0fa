using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cobalt.Service.Tests;

/// <summary>
/// The service's operations surface on a real <c>cobalt serve</c> process: the Prometheus <c>/metrics</c> endpoint
/// (OpenTelemetry), the structured log lines on its standard output, and ProblemDetails errors.
/// </summary>
public partial class ObservabilityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Definition = """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 2, "action-dimension": 3 } }""";
    private const string Rank = """{ "context": [0.5, -1], "actions": [ { "id": "a", "features": [1, 0, 0] }, { "id": "b", "features": [0, 1, 0] }, { "id": "c", "features": [0, 0, 1] } ] }""";

    [Fact]
    public async Task Metrics_are_prometheus_text_with_per_loop_rank_counters_and_latency_histograms_behind_the_admin_key()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-metrics-").FullName;
        try
        {
            using var server = await ServeProcess.StartAsync("--db", Path.Combine(folder, "events.db"));
            using var client = new HttpClient { BaseAddress = server.Address };
            (await SendAsync(client, HttpMethod.Get, "/metrics", admin: null)).Status.Should().Be(HttpStatusCode.Unauthorized);
            (await SendAsync(client, HttpMethod.Get, "/metrics", admin: "not-the-key")).Status.Should().Be(HttpStatusCode.Forbidden);

            var key = await CreateLoopAsync(client, "scraped");
            var before = await ScrapeAsync(client);
            Value(before, "cobalt_ranks_total", "scraped").Should().Be(0, "no rank yet");
            string? eventId = null;
            for (var i = 0; i < 3; i++)
            {
                var (status, body) = await SendAsync(client, HttpMethod.Post, "/loops/scraped/rank", key: key, body: Rank);
                status.Should().Be(HttpStatusCode.OK, body);
                eventId ??= JsonDocument.Parse(body).RootElement.GetProperty("eventId").GetString();
            }
            (await SendAsync(client, HttpMethod.Post, $"/loops/scraped/events/{eventId}/reward", key: key, body: """{"value": 1}""")).Status.Should().Be(HttpStatusCode.OK);

            var after = await ScrapeAsync(client);
            Value(after, "cobalt_ranks_total", "scraped").Should().Be(3);
            Value(after, "cobalt_rewards_total", "scraped").Should().Be(1);
            after.Types["cobalt_rank_duration_seconds"].Should().Be("histogram");
            var buckets = after.Samples.Where(s => s.Name == "cobalt_rank_duration_seconds_bucket" && s.Labels.GetValueOrDefault("loop") == "scraped").ToArray();
            buckets.Length.Should().Be(15, "14 bounds from 0.25 ms to 5 s, and +Inf");
            buckets.Select(b => b.Value).Should().BeInAscendingOrder("buckets are cumulative");
            buckets[^1].Labels["le"].Should().Be("+Inf");
            buckets[^1].Value.Should().Be(3);
            Value(after, "cobalt_rank_duration_seconds_count", "scraped").Should().Be(3);
            Value(after, "cobalt_rank_duration_seconds_sum", "scraped").Should().BeInRange(1e-6, 30);
            after.Samples.Should().Contain(s => s.Name == "cobalt_learner_lag_seconds" && s.Value >= 0 && s.Value < 60);
            after.Samples.Should().Contain(s => s.Name == "cobalt_store_errors_total" && s.Value == 0);
            after.Samples.Should().Contain(s => s.Name == "cobalt_evaluation_queue" && s.Value == 0);
            Value(after, "cobalt_events_quarantined_total", "scraped").Should().Be(0);

            // /health and /ready are ASP.NET Core health checks; /ready names its checks.
            var (healthStatus, health) = await SendAsync(client, HttpMethod.Get, "/health");
            healthStatus.Should().Be(HttpStatusCode.OK);
            JsonDocument.Parse(health).RootElement.GetProperty("status").GetString().Should().Be("ok");
            var (readyStatus, ready) = await SendAsync(client, HttpMethod.Get, "/ready");
            readyStatus.Should().Be(HttpStatusCode.OK, ready);
            var readiness = JsonDocument.Parse(ready).RootElement;
            readiness.GetProperty("status").GetString().Should().Be("ready");
            readiness.GetProperty("reasons").GetArrayLength().Should().Be(0);
            readiness.GetProperty("checks").EnumerateObject().Select(c => (c.Name, c.Value.GetProperty("status").GetString()))
                .Should().BeEquivalentTo([("event-store", "Healthy"), ("learner", "Healthy"), ("loops", "Healthy")]);
            readiness.GetProperty("learnerLagSeconds").GetDouble().Should().BeInRange(0, 30);

            // The JSON counters moved to /metrics/json.
            var (jsonStatus, json) = await SendAsync(client, HttpMethod.Get, "/metrics/json", admin: ServeProcess.AdminKey);
            jsonStatus.Should().Be(HttpStatusCode.OK, json);
            JsonDocument.Parse(json).RootElement.GetProperty("loops")[0].GetProperty("ranks").GetInt64().Should().Be(3);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Loop_life_cycle_events_are_logged_on_standard_output_with_the_loop_name_and_the_level_is_configurable()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-logs-").FullName;
        try
        {
            using (var server = await ServeProcess.StartAsync("--db", Path.Combine(folder, "events.db"), "--checkpoint-every", "2"))
            {
                using var client = new HttpClient { BaseAddress = server.Address };
                var key = await CreateLoopAsync(client, "logged");
                for (var i = 0; i < 3; i++)
                {
                    var (_, body) = await SendAsync(client, HttpMethod.Post, "/loops/logged/rank", key: key, body: Rank);
                    var eventId = JsonDocument.Parse(body).RootElement.GetProperty("eventId").GetString();
                    (await SendAsync(client, HttpMethod.Post, $"/loops/logged/events/{eventId}/reward", key: key, body: """{"value": 1}""")).Status.Should().Be(HttpStatusCode.OK);
                }
                await WaitForLineAsync(server, "Loop 'logged' checkpointed through log sequence");
                (await SendAsync(client, HttpMethod.Patch, "/loops/logged", admin: ServeProcess.AdminKey, body: """{"reward-wait-seconds": 60}""")).Status.Should().Be(HttpStatusCode.OK);
                (await SendAsync(client, HttpMethod.Delete, "/loops/logged", admin: ServeProcess.AdminKey)).Status.Should().Be(HttpStatusCode.OK);
                await WaitForLineAsync(server, "Loop 'logged': deleted with its log");
                var lines = server.Output.Split('\n');
                output.WriteLine(string.Join('\n', lines.Where(l => l.Contains("Cobalt.", StringComparison.Ordinal))));
                lines.Should().Contain(l => l.Contains("info: Cobalt.Service.Loops.LoopRegistry", StringComparison.Ordinal) && l.Contains("Loop 'logged' created with policy linucb-shared", StringComparison.Ordinal));
                lines.Should().Contain(l => l.Contains("info: Cobalt.Service.Loops.Learner", StringComparison.Ordinal) && l.Contains("Loop 'logged' checkpointed", StringComparison.Ordinal));
                lines.Should().Contain(l => l.Contains("Loop 'logged' changed; its definition is now", StringComparison.Ordinal) && l.Contains("reward-wait-seconds", StringComparison.Ordinal));
                lines.Should().Contain(l => l.Contains("Loop 'logged': deleted with its log", StringComparison.Ordinal));
                lines.Where(l => l.Contains("Loop 'logged'", StringComparison.Ordinal)).Should().OnlyContain(l => TimestampedLine().IsMatch(l), "one line per message, UTC timestamp first");
            }

            // Logging__LogLevel__Cobalt=Warning (ASP.NET Core's configuration from the environment) silences the information events.
            using var quiet = await ServeProcess.StartAsync(new Dictionary<string, string> { ["Logging__LogLevel__Cobalt"] = "Warning" }, "--db", Path.Combine(folder, "quiet.db"));
            using var quietClient = new HttpClient { BaseAddress = quiet.Address };
            await CreateLoopAsync(quietClient, "quiet");
            (await SendAsync(quietClient, HttpMethod.Delete, "/loops/quiet", admin: ServeProcess.AdminKey)).Status.Should().Be(HttpStatusCode.OK);
            await Task.Delay(500);
            quiet.Output.Should().NotContain("Loop 'quiet'");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Refusals_are_problem_details_naming_the_request_part_and_keep_the_error_member()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-problems-").FullName;
        try
        {
            using var server = await ServeProcess.StartAsync("--db", Path.Combine(folder, "events.db"));
            using var client = new HttpClient { BaseAddress = server.Address };
            var key = await CreateLoopAsync(client, "strict");
            var cases = new (string Path, string? Key, string? Admin, string? Body, int Status, string Names)[]
            {
                ("/loops/strict/rank", key, null, Rank.Replace("[0.5, -1]", "[0.5]", StringComparison.Ordinal), 400, "context"),
                ("/loops/strict/rank", key, null, Rank.Replace("\"b\", \"features\": [0, 1, 0]", "\"b\", \"features\": [0, 1]", StringComparison.Ordinal), 400, "actions[1]"),
                ("/loops/strict/rank", null, null, Rank, 401, "X-Api-Key"),
                ("/loops/strict/events/nope/reward", key, null, """{"value": 1}""", 404, "nope"),
                ("/metrics", null, null, null, 401, "X-Admin-Key"),
            };
            foreach (var c in cases)
            {
                using var request = new HttpRequestMessage(c.Body is null ? HttpMethod.Get : HttpMethod.Post, c.Path);
                if (c.Body is not null)
                {
                    request.Content = new StringContent(c.Body, Encoding.UTF8, "application/json");
                }
                if (c.Key is not null)
                {
                    request.Headers.Add("X-Api-Key", c.Key);
                }
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                output.WriteLine($"{(int)response.StatusCode} {response.Content.Headers.ContentType} {text}");
                ((int)response.StatusCode).Should().Be(c.Status, text);
                response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
                var problem = JsonDocument.Parse(text).RootElement;
                problem.GetProperty("status").GetInt32().Should().Be(c.Status);
                problem.GetProperty("type").GetString().Should().StartWith("https://");
                problem.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
                problem.GetProperty("instance").GetString().Should().Be(c.Path);
                problem.GetProperty("detail").GetString().Should().Contain(c.Names);
                problem.GetProperty("error").GetString().Should().Be(problem.GetProperty("detail").GetString(), "the error member keeps today's message");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task WaitForLineAsync(ServeProcess server, string text)
    {
        for (var waited = 0; waited < 200 && !server.Output.Contains(text, StringComparison.Ordinal); waited++)
        {
            await Task.Delay(50);
        }
        server.Output.Should().Contain(text);
    }

    internal sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    internal sealed record Exposition(List<Sample> Samples, Dictionary<string, string> Types);

    /// <summary>Parses the Prometheus text exposition format (version 0.0.4): <c># TYPE name kind</c> and <c>name{label="v",...} value</c> lines.</summary>
    internal static Exposition Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#'))
            {
                continue;
            }
            var match = SampleLine().Match(line);
            match.Success.Should().BeTrue($"'{line}' is a sample line");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }
        return new Exposition(samples, types);
    }

    private static double Value(Exposition exposition, string name, string loop) =>
        exposition.Samples.Where(s => s.Name == name && s.Labels.GetValueOrDefault("loop") == loop).Select(s => s.Value).DefaultIfEmpty(0).Single();

    private async Task<Exposition> ScrapeAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Admin-Key", ServeProcess.AdminKey);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        response.Content.Headers.ContentType.Parameters.Should().Contain(p => p.Name == "version" && p.Value == "0.0.4");
        output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.Contains("cobalt_", StringComparison.Ordinal))));
        return Parse(text);
    }

    private static async Task<string> CreateLoopAsync(HttpClient client, string loop)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Put, $"/loops/{loop}", admin: ServeProcess.AdminKey, body: Definition);
        status.Should().Be(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? key = null, string? admin = null, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }
        if (admin is not null)
        {
            request.Headers.Add("X-Admin-Key", admin);
        }
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("""^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warn|fail|crit): Cobalt\.""")]
    private static partial Regex TimestampedLine();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)""")]
    private static partial Regex LabelPair();
}
