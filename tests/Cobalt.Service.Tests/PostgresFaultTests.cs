using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Cobalt.Service.Tests;

/// <summary>
/// Replicas sharing one PostgreSQL log through faults: kill -9 of a replica and a stop/start of the PostgreSQL server,
/// both under load from concurrent clients, with real <c>cobalt serve</c> processes; and completion-order learning across
/// replicas. Needs COBALT_TEST_POSTGRES (set by .ci/run, which also installs PostgreSQL); the restart test starts its own
/// throwaway cluster with that installation's initdb/pg_ctl, since it must stop and start the server.
/// </summary>
public class PostgresFaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Softmax = """{ "policy": { "kind": "softmax", "options": { "temperature": 0.2, "features": "item" } }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": WAIT } }""";

    private static string Rank(string? eventId, string context = "[1]") =>
        $$"""{ {{(eventId is null ? "" : $"\"eventId\": \"{eventId}\", ")}}"context": {{context}}, "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] }, { "id": "other", "features": [0.5, 0.5] } ] }""";

    private static double[] Probabilities(JsonElement answer) =>
        [.. answer.GetProperty("probabilities").EnumerateArray().Select(p => p.GetProperty("probability").GetDouble())];

    [SkippableFact]
    public async Task Replicas_learn_events_as_they_complete_past_one_waiting_an_hour_and_agree_on_the_model()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var a = await RunningService.StartAsync(configure: s => s with { PostgresConnectionString = database.ConnectionString });
        await using var b = await RunningService.StartAsync(configure: s => s with { PostgresConnectionString = database.ConnectionString });
        var replicas = new[] { a, b };
        var key = await a.CreateLoopAsync("order", Softmax.Replace("WAIT", "3600", StringComparison.Ordinal));
        (await a.PostAsync("/loops/order/rank", key, Rank("stuck"))).Status.Should().Be(HttpStatusCode.OK);

        // Four clients rank on one replica and reward on the other, so events complete in an order no replica decides alone.
        var started = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            for (var t = 0; t < 25; t++)
            {
                var eventId = $"c{c}-{t}";
                var (status, body) = await replicas[(c + t) % 2].PostAsync("/loops/order/rank", key, Rank(eventId, $"[{(t % 3) - 1}]"));
                status.Should().Be(HttpStatusCode.OK, body.ToString());
                var reward = body.GetProperty("chosen").GetString() == "good" ? 1 : 0;
                (await replicas[(c + t + 1) % 2].PostAsync($"/loops/order/events/{eventId}/reward", key, $$"""{ "value": {{reward}} }""")).Status.Should().Be(HttpStatusCode.OK);
            }
        })));
        foreach (var replica in replicas)
        {
            var loop = await FaultTests.WaitLearnedAsync(replica, "order", key, 100, seconds: 15);
            loop.GetProperty("learnedSequence").GetInt64().Should().Be(100, "every rewarded event is learned; the one waiting an hour is not");
            loop.GetProperty("decisions").GetInt64().Should().Be(101);
        }
        output.WriteLine($"100 events learned by both replicas {started.Elapsed.TotalSeconds:F1} s after the load began, behind one event with a 3600 s reward wait.");
        foreach (var context in new[] { "[-1]", "[0]", "[1]" })
        {
            var (_, first) = await a.PostAsync("/loops/order/rank", key, Rank(null, context));
            var (_, second) = await b.PostAsync("/loops/order/rank", key, Rank(null, context));
            Probabilities(first).Should().Equal(Probabilities(second), $"both replicas learned the one recorded completion order (context {context})");
        }
    }

    [SkippableFact]
    public async Task Replicas_survive_kill_9_and_a_postgres_restart_under_load_without_losing_an_acknowledged_event()
    {
        Skip.If(string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresDatabase.Variable)), $"{PostgresDatabase.Variable} is not set (.ci/run sets it and installs PostgreSQL).");
        await using var cluster = await PostgresCluster.CreateAsync();
        var connection = cluster.ConnectionString;
        var replicas = new ServeProcess?[2];
        replicas[0] = await ServeProcess.StartAsync("--postgres", connection, "--checkpoint-every", "50");
        replicas[1] = await ServeProcess.StartAsync("--postgres", connection, "--checkpoint-every", "50");
        try
        {
            using var admin = new HttpClient { BaseAddress = replicas[0]!.Address };
            var key = await CreateLoopAsync(admin, Softmax.Replace("WAIT", "4", StringComparison.Ordinal));

            var statuses = new ConcurrentDictionary<string, int>();
            var acknowledged = new ConcurrentDictionary<string, bool>();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriteAsync(w, replicas, key, statuses, acknowledged, stop.Token))).ToArray();

            // Three kill -9 of replica 1 under load; replica 0 serves throughout.
            const int Kills = 3;
            for (var k = 0; k < Kills; k++)
            {
                await Task.Delay(1500);
                var victim = replicas[1]!;
                replicas[1] = null;
                victim.Kill();
                victim.Dispose();
                replicas[1] = await ServeProcess.StartAsync("--postgres", connection, "--checkpoint-every", "50");
            }
            await Task.Delay(1000);

            // PostgreSQL stops under load for three seconds, then comes back: the replicas answer 503 meanwhile and recover by themselves.
            var afterKills = new Dictionary<string, int>(statuses);
            var acknowledgedAfterKills = acknowledged.Count;
            var before503 = statuses.GetValueOrDefault("503");
            await cluster.StopAsync();
            var down = Stopwatch.StartNew();
            await Task.Delay(3000);
            await cluster.StartAsync();
            output.WriteLine($"PostgreSQL was down {down.Elapsed.TotalSeconds:F1} s");
            var recovered = await WaitAsync(async () =>
            {
                foreach (var replica in replicas)
                {
                    using var client = new HttpClient { BaseAddress = replica!.Address };
                    if ((await client.GetAsync("/ready")).StatusCode != HttpStatusCode.OK)
                    {
                        return false;
                    }
                }
                return true;
            }, TimeSpan.FromSeconds(20));
            output.WriteLine($"both replicas ready again {recovered.TotalSeconds:F1} s after PostgreSQL came back");
            var afterRestart = statuses.GetValueOrDefault("200");
            await Task.Delay(2000);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            var servedAfterRestart = statuses.GetValueOrDefault("200") - afterRestart;

            foreach (var replica in replicas)
            {
                replica!.HasExited.Should().BeFalse($"a replica never exits on a store outage:\n{replica.Output}");
            }

            // No acknowledged rank or reward is lost, whichever replica is asked.
            var lost = 0;
            var n = 0;
            foreach (var (eventId, rewarded) in acknowledged)
            {
                using var client = new HttpClient { BaseAddress = replicas[n++ % 2]!.Address };
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/loops/faults/events/{eventId}");
                request.Headers.Add("X-Api-Key", key);
                using var response = await client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    lost++;
                    continue;
                }
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                lost += rewarded && body.GetProperty("slots")[0].GetProperty("reward").ValueKind == JsonValueKind.Null ? 1 : 0;
            }

            // Both replicas learn the whole log (every event completes after its 4 s wait) and hold the same model.
            using var first = new HttpClient { BaseAddress = replicas[0]!.Address };
            using var second = new HttpClient { BaseAddress = replicas[1]!.Address };
            var decisions = (await GetLoopAsync(first, key)).GetProperty("decisions").GetInt64();
            await WaitAsync(async () => (await GetLoopAsync(first, key)).GetProperty("learnedSequence").GetInt64() == decisions
                && (await GetLoopAsync(second, key)).GetProperty("learnedSequence").GetInt64() == decisions, TimeSpan.FromSeconds(30));
            var agree = true;
            foreach (var context in new[] { "[-1]", "[0]", "[1]" })
            {
                var one = Probabilities(await RankAsync(first, key, context));
                var other = Probabilities(await RankAsync(second, key, context));
                agree &= one.AsSpan().SequenceEqual(other);
            }

            static string Histogram(IEnumerable<KeyValuePair<string, int>> counts) => string.Join(", ", counts.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} x {p.Value}"));
            var outage = statuses.Select(p => new KeyValuePair<string, int>(p.Key, p.Value - afterKills.GetValueOrDefault(p.Key)));
            output.WriteLine($"kill -9 phase: {Kills} kills of a replica, {acknowledgedAfterKills} acknowledged ranks; answers: {Histogram(afterKills)}.");
            output.WriteLine($"PostgreSQL stop/start phase: {acknowledged.Count - acknowledgedAfterKills} acknowledged ranks; answers: {Histogram(outage)}; {servedAfterRestart} answered 200 in the 2 s after both replicas were ready again.");
            output.WriteLine($"In all: {acknowledged.Count} acknowledged ranks, {acknowledged.Count(p => p.Value)} acknowledged rewards, {lost} lost; answers: {Histogram(statuses)}; both replicas learned {decisions} events, models agree: {agree}; no replica exited.");
            lost.Should().Be(0);
            statuses.Keys.Should().OnlyContain(s => s == "200" || s == "503" || s == "no answer", "no 5xx but 503, no 4xx for a client that made no mistake");
            statuses.GetValueOrDefault("503").Should().BeGreaterThan(before503, "requests during the outage are answered 503");
            servedAfterRestart.Should().BeGreaterThan(0, "the replicas serve again without a restart");
            acknowledged.Count.Should().BeGreaterThan(100);
            agree.Should().BeTrue("both replicas learned the same completion order");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                replica?.Dispose();
            }
        }
    }

    private static async Task<TimeSpan> WaitAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return watch.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"not reached in {limit.TotalSeconds} s");
            }
            await Task.Delay(100);
        }
    }

    private static async Task<string> CreateLoopAsync(HttpClient client, string definition)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/loops/faults") { Content = new StringContent(definition) };
        request.Headers.Add("X-Admin-Key", ServeProcess.AdminKey);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    private static async Task<JsonElement> GetLoopAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/loops/faults");
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<JsonElement> RankAsync(HttpClient client, string key, string context)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/loops/faults/rank") { Content = new StringContent(Rank(null, context)) };
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Ranks on one replica and rewards on the other until stopped; counts every answer and records what was acknowledged.</summary>
    private static async Task WriteAsync(int writer, ServeProcess?[] replicas, string key, ConcurrentDictionary<string, int> statuses, ConcurrentDictionary<string, bool> acknowledged, CancellationToken stop)
    {
        async Task<(HttpStatusCode? Status, string Body)> PostAsync(int replica, string path, string json)
        {
            var target = replicas[replica % 2];
            if (target is null)
            {
                statuses.AddOrUpdate("no answer", 1, (_, c) => c + 1);
                return (null, "");
            }
            try
            {
                using var client = new HttpClient { BaseAddress = target.Address, Timeout = TimeSpan.FromSeconds(15) };
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json) };
                request.Headers.Add("X-Api-Key", key);
                using var response = await client.SendAsync(request, CancellationToken.None);
                statuses.AddOrUpdate(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, c) => c + 1);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                statuses.AddOrUpdate("no answer", 1, (_, c) => c + 1); // the replica was killed: nothing acknowledged
                return (null, "");
            }
        }

        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var eventId = $"w{writer}-{n}";
            var (ranked, body) = await PostAsync(writer + n, "/loops/faults/rank", Rank(eventId, $"[{(n % 3) - 1}]"));
            if (ranked != HttpStatusCode.OK)
            {
                await Task.Delay(ranked is null ? 50 : 20, CancellationToken.None);
                continue;
            }
            var reward = JsonDocument.Parse(body).RootElement.GetProperty("chosen").GetString() == "good" ? 1 : 0;
            var (rewarded, _) = await PostAsync(writer + n + 1, $"/loops/faults/events/{eventId}/reward", $$"""{ "value": {{reward}} }""");
            acknowledged[eventId] = rewarded == HttpStatusCode.OK;
        }
    }
}

/// <summary>
/// A throwaway PostgreSQL cluster (initdb in a temporary folder, trust authentication on 127.0.0.1, a free port) that a
/// test may stop and start; made with the installed server (/usr/lib/postgresql/*/bin, as .ci/run installs it), run as
/// the postgres user when the tests run as root.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly int _port;

    private PostgresCluster(string bin, string folder, int port)
    {
        _bin = bin;
        _folder = folder;
        _port = port;
    }

    /// <summary>Connection string of the cluster's postgres database (short connect timeout, so an outage fails fast).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=3;Command Timeout=15";

    public static async Task<PostgresCluster> CreateAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("No PostgreSQL server installation under /usr/lib/postgresql/*/bin (apt-get install postgresql; .ci/run does).");
        }
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres:", folder]);
        }
        var cluster = new PostgresCluster(bin, folder, RunningService.FreePort());
        await cluster.RunServerToolAsync("initdb", "-D", Path.Combine(folder, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8");
        await cluster.StartAsync();
        return cluster;
    }

    /// <summary>Starts the server (again) on the same port and data.</summary>
    public Task StartAsync() => RunServerToolAsync("pg_ctl", "-D", Path.Combine(_folder, "data"), "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
        "-o", $"-p {_port} -c listen_addresses=127.0.0.1 -k {_folder} -c max_connections=200 -c fsync=off", "start");

    /// <summary>Stops the server (fast shutdown: open connections are cut, as in a restart).</summary>
    public Task StopAsync() => RunServerToolAsync("pg_ctl", "-D", Path.Combine(_folder, "data"), "-m", "fast", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
        }
        Directory.Delete(_folder, recursive: true);
    }

    private Task RunServerToolAsync(string tool, params string[] arguments) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
            : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }
}
