using System.Diagnostics;
using System.Net;
using System.Text;
using Cobalt.Core.Randomness;
using Cobalt.Service.Loops;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

public class RobustnessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Definition = """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 2, "action-dimension": 3 } }""";
    private const string Valid = """{ "context": [0.5, -1], "actions": [ { "id": "a", "features": [1, 0, 0] }, { "id": "b", "features": [0, 1, 0] }, { "id": "c", "features": [0, 0, 1] } ], "slateSize": 2 }""";

    /// <summary>Malformed by construction: truncated JSON, wrong types, overflowing numbers, unknown fields, duplicate ids, wrong sizes.</summary>
    private static string Malformed(Rng rng)
    {
        return rng.NextInt(8) switch
        {
            0 => Valid[..rng.NextInt(Valid.Length - 1)],
            1 => Valid.Replace("[0.5, -1]", rng.NextInt(2) == 0 ? "\"0.5\"" : "{ \"x\": 1 }", StringComparison.Ordinal),
            2 => Valid.Replace("-1", rng.NextInt(2) == 0 ? "1e400" : "-1e999", StringComparison.Ordinal),
            3 => Valid.Replace("\"slateSize\"", $"\"field{rng.NextInt(1000)}\"", StringComparison.Ordinal),
            4 => Valid.Replace("\"id\": \"b\"", "\"id\": \"a\"", StringComparison.Ordinal),
            5 => Valid.Replace("[1, 0, 0]", rng.NextInt(2) == 0 ? "[1, 0]" : "[1, 0, 0, 0]", StringComparison.Ordinal),
            6 => Valid.Replace("\"slateSize\": 2", $"\"slateSize\": {(rng.NextInt(2) == 0 ? -rng.NextInt(5) : 100 + rng.NextInt(100))}", StringComparison.Ordinal),
            _ => new string(Enumerable.Range(0, 1 + rng.NextInt(60)).Select(_ => (char)(32 + rng.NextInt(95))).ToArray()) + "{",
        };
    }

    [Fact]
    public async Task Thousands_of_malformed_requests_get_4xx_and_leave_the_model_untouched()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("fuzz", Definition);
        for (var t = 0; t < 20; t++)
        {
            var (_, body) = await service.PostAsync("/loops/fuzz/rank", key, Valid);
            await service.PostAsync($"/loops/fuzz/events/{body.GetProperty("eventId").GetString()}/reward", key, """{ "value": 1, "slot": 1 }""");
        }
        await Task.Delay(300);
        var loop = service.Services.GetRequiredService<LoopRegistry>().All.Single();
        var before = loop.Snapshot();

        var rng = new Rng(7);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < 3000; i++)
        {
            var (path, body) = rng.NextInt(4) switch
            {
                0 => ($"/loops/fuzz/events/{Guid.NewGuid():N}/reward", """{ "value": 1 }"""),
                1 => ("/loops/fuzz/events/x/reward", rng.NextInt(2) == 0 ? """{ "value": "1" }""" : """{ "value": 1e999, "slot": -1 }"""),
                _ => ("/loops/fuzz/rank", Malformed(rng)),
            };
            var (status, _) = await service.PostAsync(path, key, body);
            statuses[(int)status] = statuses.GetValueOrDefault((int)status) + 1;
        }
        await Task.Delay(200);
        var after = loop.Snapshot();

        output.WriteLine("Answers to 3,000 malformed requests: " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key} x {p.Value}")));
        statuses.Keys.Should().OnlyContain(s => s >= 400 && s < 500, string.Join(", ", statuses.Select(p => $"{p.Key}: {p.Value}")));
        after.State.Should().Equal(before.State, "no malformed request reaches the model");
    }

    [Fact]
    public async Task No_acknowledged_event_or_reward_is_lost_when_the_process_is_killed()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-kill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, "events.db");
        string? key = null;
        var acknowledged = new List<(string EventId, bool Rewarded)>();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                using var server = await ServeProcess.StartAsync("--db", database);
                using var client = new HttpClient { BaseAddress = server.Address };
                key ??= await CreateLoopAsync(client);
                var lost = await VerifyAsync(client, key, acknowledged);
                lost.Should().Be(0, $"every acknowledged event and reward survives kill -9 (round {round}, {acknowledged.Count} acknowledged so far)");

                // Load from four writers; kill the process while they run.
                using var stop = new CancellationTokenSource();
                var bag = new System.Collections.Concurrent.ConcurrentBag<(string, bool)>();
                var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriteAsync(client, key, $"r{round}w{w}", bag, stop.Token))).ToArray();
                await Task.Delay(1500);
                server.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(writers);
                acknowledged.AddRange(bag);
            }
            using (var final = await ServeProcess.StartAsync("--db", database))
            using (var client = new HttpClient { BaseAddress = final.Address })
            {
                acknowledged.Count.Should().BeGreaterThan(100, "the writers got answers before each kill");
                (await VerifyAsync(client, key!, acknowledged)).Should().Be(0);
                output.WriteLine($"3 kills: {acknowledged.Count} acknowledged events, {acknowledged.Count(a => a.Rewarded)} acknowledged rewards, 0 lost.");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> CreateLoopAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/loops/durable") { Content = new StringContent(Definition) };
        request.Headers.Add("X-Admin-Key", ServeProcess.AdminKey);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    /// <summary>Ranks and rewards until stopped; records what the service acknowledged.</summary>
    private static async Task WriteAsync(HttpClient client, string key, string prefix, System.Collections.Concurrent.ConcurrentBag<(string, bool)> acknowledged, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var eventId = $"{prefix}-{n}";
            try
            {
                using var rank = new HttpRequestMessage(HttpMethod.Post, "/loops/durable/rank") { Content = new StringContent(Valid.Replace("{ \"context\"", $"{{ \"eventId\": \"{eventId}\", \"context\"", StringComparison.Ordinal)) };
                rank.Headers.Add("X-Api-Key", key);
                using var ranked = await client.SendAsync(rank, stop);
                if (ranked.StatusCode != HttpStatusCode.OK)
                {
                    continue;
                }
                using var reward = new HttpRequestMessage(HttpMethod.Post, $"/loops/durable/events/{eventId}/reward") { Content = new StringContent("""{ "value": 1 }""") };
                reward.Headers.Add("X-Api-Key", key);
                bool rewarded;
                try
                {
                    using var answer = await client.SendAsync(reward, stop);
                    rewarded = answer.StatusCode == HttpStatusCode.OK;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    rewarded = false;
                }
                acknowledged.Add((eventId, rewarded));
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    /// <summary>How many acknowledged events (or their acknowledged rewards) the restarted service cannot find.</summary>
    private static async Task<int> VerifyAsync(HttpClient client, string key, List<(string EventId, bool Rewarded)> acknowledged)
    {
        var lost = 0;
        foreach (var (eventId, rewarded) in acknowledged)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/loops/durable/events/{eventId}");
            request.Headers.Add("X-Api-Key", key);
            using var response = await client.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                lost++;
                continue;
            }
            var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            if (rewarded && body.GetProperty("slots")[0].GetProperty("reward").ValueKind == System.Text.Json.JsonValueKind.Null)
            {
                lost++;
            }
        }
        return lost;
    }
}
