using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Cobalt.Service.Tests;

/// <summary>
/// Issue 15, access: the real <c>cobalt serve</c> refuses to start without an admin key (unless --insecure-local, which is
/// loopback only); admin calls need the key; an unknown loop and a wrong key get the same answer; keys rotate; evaluations
/// wait in a bounded per-loop queue.
/// </summary>
public class AccessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Definition = """{ "policy": { "kind": "epsilon-greedy", "options": { "epsilon": 0.2 } }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 30 } }""";
    private const string Rank = """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [0, 1] } ] }""";

    [Fact]
    public async Task Serve_refuses_to_start_without_an_admin_key_unless_insecure_local_on_loopback()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-access-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var database = Path.Combine(folder, "events.db");
            var loopback = $"http://127.0.0.1:{RunningService.FreePort()}";

            var (code, text) = await RunToExitAsync(["serve", "--db", database, "--urls", loopback], adminKeyVariable: null);
            code.Should().NotBe(0, text);
            text.Should().Contain("needs an admin key").And.Contain("--admin-key").And.Contain("COBALT_ADMIN_KEY").And.Contain("--insecure-local");

            (code, text) = await RunToExitAsync(["serve", "--db", database, "--urls", $"http://0.0.0.0:{RunningService.FreePort()}", "--insecure-local"], adminKeyVariable: null);
            code.Should().NotBe(0, text);
            text.Should().Contain("loopback only").And.Contain("0.0.0.0");

            // The key from the environment guards admin calls.
            await using (var server = await ServeAsync(["serve", "--db", database, "--urls", loopback], adminKeyVariable: "from-the-environment"))
            {
                using var client = new HttpClient { BaseAddress = new Uri(loopback) };
                (await SendAsync(client, HttpMethod.Put, "/loops/env", Definition, admin: null)).Status.Should().Be(HttpStatusCode.Unauthorized);
                (await SendAsync(client, HttpMethod.Put, "/loops/env", Definition, admin: "guess")).Status.Should().Be(HttpStatusCode.Forbidden);
                (await SendAsync(client, HttpMethod.Get, "/metrics", null, admin: null)).Status.Should().Be(HttpStatusCode.Unauthorized);
                (await SendAsync(client, HttpMethod.Put, "/loops/env", Definition, admin: "from-the-environment")).Status.Should().Be(HttpStatusCode.Created);
            }

            // --insecure-local: no key needed, from this machine.
            var local = $"http://127.0.0.1:{RunningService.FreePort()}";
            await using (var server = await ServeAsync(["serve", "--db", database, "--urls", local, "--insecure-local"], adminKeyVariable: null))
            {
                using var client = new HttpClient { BaseAddress = new Uri(local) };
                (await SendAsync(client, HttpMethod.Put, "/loops/demo", Definition, admin: null)).Status.Should().Be(HttpStatusCode.Created);
                (await SendAsync(client, HttpMethod.Get, "/loops", null, admin: null)).Body.Should().Contain("\"demo\"").And.Contain("\"env\"");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Metrics_and_loop_listings_need_the_admin_key()
    {
        await using var service = await RunningService.StartAsync();
        await service.CreateLoopAsync("first", Definition);
        await service.CreateLoopAsync("second", Definition);

        foreach (var path in new[] { "/metrics", "/loops" })
        {
            (await service.SendRawAsync(HttpMethod.Get, path)).Status.Should().Be(HttpStatusCode.Unauthorized, path);
            var (status, body, _) = await service.SendRawAsync(HttpMethod.Get, path, adminKey: "wrong");
            status.Should().Be(HttpStatusCode.Forbidden, path);
            body.Should().NotContain("first");
        }
        var (listed, list, _) = await service.SendRawAsync(HttpMethod.Get, "/loops", adminKey: "admin-secret");
        listed.Should().Be(HttpStatusCode.OK);
        JsonDocument.Parse(list).RootElement.GetProperty("loops").EnumerateArray().Select(l => l.GetProperty("loop").GetString())
            .Should().Equal("first", "second");
        (await service.SendRawAsync(HttpMethod.Get, "/metrics", adminKey: "admin-secret")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_unknown_loop_and_a_wrong_key_get_the_same_answer()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("real", Definition);
        var other = await service.CreateLoopAsync("other", Definition);

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Post, "/loops/{0}/rank", Rank),
            (HttpMethod.Get, "/loops/{0}", null),
            (HttpMethod.Post, "/loops/{0}/events/e1/reward", """{ "value": 1 }"""),
            (HttpMethod.Get, "/loops/{0}/events/e1", null),
            (HttpMethod.Get, "/loops/{0}/activity", null),
            (HttpMethod.Get, "/loops/{0}/evaluations", null),
        })
        {
            // The same name, so the answers may name it: one loop exists, the other does not.
            var wrongKey = await service.SendRawAsync(method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, "real"), body, apiKey: other);
            var unknown = await service.SendRawAsync(method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, "real2"), body, apiKey: key);
            wrongKey.Status.Should().Be(HttpStatusCode.Forbidden, path);
            unknown.Status.Should().Be(wrongKey.Status, path);
            unknown.Body.Replace("real2", "real", StringComparison.Ordinal).Should().Be(wrongKey.Body, path);
        }
        (await service.PostAsync("/loops/real/rank", key, Rank)).Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_loop_key_can_be_rotated_and_the_old_key_stops_working()
    {
        await using var service = await RunningService.StartAsync();
        var old = await service.CreateLoopAsync("rotate", Definition);
        (await service.PostAsync("/loops/rotate/rank", old, Rank)).Status.Should().Be(HttpStatusCode.OK);

        (await service.SendRawAsync(HttpMethod.Post, "/loops/rotate/key")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await service.SendRawAsync(HttpMethod.Post, "/loops/rotate/key", apiKey: old)).Status.Should().Be(HttpStatusCode.Unauthorized, "a loop key is not an admin key");
        (await service.SendRawAsync(HttpMethod.Post, "/loops/absent/key", adminKey: "admin-secret")).Status.Should().Be(HttpStatusCode.NotFound);
        var (status, body, _) = await service.SendRawAsync(HttpMethod.Post, "/loops/rotate/key", adminKey: "admin-secret");
        status.Should().Be(HttpStatusCode.OK, body);
        var rotated = JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
        rotated.Should().NotBe(old);

        (await service.PostAsync("/loops/rotate/rank", old, Rank)).Status.Should().Be(HttpStatusCode.Forbidden, "the old key stops at once");
        (await service.PostAsync("/loops/rotate/rank", rotated, Rank)).Status.Should().Be(HttpStatusCode.OK);

        await service.RestartAsync();
        (await service.PostAsync("/loops/rotate/rank", old, Rank)).Status.Should().Be(HttpStatusCode.Forbidden, "the store holds the new key's hash");
        (await service.PostAsync("/loops/rotate/rank", rotated, Rank)).Status.Should().Be(HttpStatusCode.OK);
        (await service.GetAsync("/loops/rotate", rotated)).GetProperty("decisions").GetInt64().Should().Be(3);
    }

    [SkippableFact]
    public async Task A_key_rotated_on_one_replica_changes_on_every_replica()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var a = await RunningService.StartAsync(configure: s => s with { PostgresConnectionString = database.ConnectionString });
        await using var b = await RunningService.StartAsync(configure: s => s with { PostgresConnectionString = database.ConnectionString });
        var old = await a.CreateLoopAsync("shared", Definition);
        (await b.PostAsync("/loops/shared/rank", old, Rank)).Status.Should().Be(HttpStatusCode.OK);

        var (_, body, _) = await a.SendRawAsync(HttpMethod.Post, "/loops/shared/key", adminKey: "admin-secret");
        var rotated = JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;

        (await b.PostAsync("/loops/shared/rank", rotated, Rank)).Status.Should().Be(HttpStatusCode.OK, "a key that does not match makes the replica re-read the stored hash");
        var stopped = Stopwatch.StartNew();
        while ((await b.PostAsync("/loops/shared/rank", old, Rank)).Status == HttpStatusCode.OK)
        {
            stopped.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "replicas re-read the stored hashes every 2 s");
            await Task.Delay(200);
        }
        (await b.PostAsync("/loops/shared/rank", old, Rank)).Status.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Evaluations_wait_in_a_bounded_queue_per_loop_and_a_full_queue_answers_429_with_retry_after()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("busy", """{ "policy": { "kind": "linucb-shared", "options": { "features": "user-then-item" } }, "options": { "context-dimension": 4, "action-dimension": 4, "reward-wait-seconds": 30 } }""");
        var actions = string.Join(", ", Enumerable.Range(0, 20).Select(i => $$"""{ "id": "a{{i}}", "features": [{{i % 4}}, {{i % 3}}, {{i % 5}}, 1] }"""));
        var ranks = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var t = 0; t < 300; t++)
            {
                var (status, body) = await service.PostAsync("/loops/busy/rank", key, $$"""{ "eventId": "w{{worker}}-{{t}}", "context": [{{t % 3}}, 1, {{worker}}, 0.5], "actions": [ {{actions}} ] }""");
                status.Should().Be(HttpStatusCode.OK, body.ToString());
                (await service.PostAsync($"/loops/busy/events/w{worker}-{t}/reward", key, $$"""{ "value": {{t % 2}} }""")).Status.Should().Be(HttpStatusCode.OK);
            }
        })).ToArray();
        await Task.WhenAll(ranks);
        var clock = Stopwatch.StartNew();

        // Eight different windows at once: one runs, two wait, the rest are refused with a Retry-After.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => service.SendRawAsync(HttpMethod.Get, $"/loops/busy/evaluations?last={1200 - i}", apiKey: key)));
        output.WriteLine($"{string.Join(", ", answers.Select(a => (int)a.Status))} after {clock.ElapsedMilliseconds} ms");
        answers.Count(a => a.Status == HttpStatusCode.OK).Should().BeInRange(3, 7);
        var refused = answers.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToArray();
        refused.Should().NotBeEmpty();
        answers.Should().OnlyContain(a => a.Status == HttpStatusCode.OK || a.Status == HttpStatusCode.TooManyRequests);
        refused.Should().AllSatisfy(r =>
        {
            int.Parse(r.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(1);
            r.Body.Should().Contain("already has an evaluation running");
        });
        var ok = JsonDocument.Parse(answers.First(a => a.Status == HttpStatusCode.OK).Body).RootElement;
        ok.GetProperty("events").GetInt32().Should().BeGreaterThan(1100);

        // Once the queue has drained, the refused windows are answered.
        var (later, laterBody, _) = await service.SendRawAsync(HttpMethod.Get, "/loops/busy/evaluations?last=1100", apiKey: key);
        later.Should().Be(HttpStatusCode.OK, laterBody);
        output.WriteLine($"all answered after {clock.ElapsedMilliseconds} ms");
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? body, string? admin)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }
        if (admin is not null)
        {
            request.Headers.Add("X-Admin-Key", admin);
        }
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static ProcessStartInfo Cobalt(IEnumerable<string> arguments, string? adminKeyVariable)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cobalt.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment.Remove("COBALT_ADMIN_KEY");
        if (adminKeyVariable is not null)
        {
            info.Environment["COBALT_ADMIN_KEY"] = adminKeyVariable;
        }
        info.Environment["COLUMNS"] = "400"; // one line per message
        return info;
    }

    /// <summary>Runs <c>cobalt</c> and waits (at most 60 s) for it to exit: its exit code and output.</summary>
    private static async Task<(int Code, string Output)> RunToExitAsync(IEnumerable<string> arguments, string? adminKeyVariable)
    {
        using var process = Process.Start(Cobalt(arguments, adminKeyVariable))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("cobalt did not exit within 60 s: " + string.Join(' ', arguments));
        }
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Starts <c>cobalt serve</c> and waits for /health.</summary>
    private static async Task<Server> ServeAsync(IEnumerable<string> arguments, string? adminKeyVariable)
    {
        var args = arguments.ToArray();
        var process = Process.Start(Cobalt(args, adminKeyVariable))!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri(args[Array.IndexOf(args, "--urls") + 1]);
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if ((await client.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return new Server(process);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (process.HasExited)
            {
                throw new InvalidOperationException($"cobalt serve exited with {process.ExitCode}.");
            }
            await Task.Delay(200);
        }
        process.Kill(entireProcessTree: true);
        process.Dispose();
        throw new TimeoutException("cobalt serve did not answer /health within 60 s.");
    }

    private sealed class Server(Process process) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }
}
