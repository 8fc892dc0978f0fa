using System.Net;
using System.Text.Json;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

/// <summary>
/// Fault isolation and learning order on the real service (SQLite event log): one fault stays with its loop or event,
/// and one event waiting for its reward holds back no other.
/// </summary>
public class FaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static string Definition(double wait = 3600, string kind = "linucb-disjoint", bool apprentice = false) =>
        $$"""{ "policy": { "kind": "{{kind}}" }, "options": { "context-dimension": 2, "action-dimension": 2, "reward-wait-seconds": {{wait}}, "apprentice": {{(apprentice ? "true" : "false")}} } }""";

    /// <summary>A rank call; the default action (served in apprentice mode) alternates with the event id's length.</summary>
    private static string Rank(string eventId, string context = "[1, 0]") =>
        $$"""{ "eventId": "{{eventId}}", "context": {{context}}, "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] } ], "defaultAction": "{{(eventId.Length % 2 == 0 ? "good" : "bad")}}" }""";

    private static async Task RankAndRewardAsync(RunningService service, string loop, string key, string eventId, bool reward = true)
    {
        var (status, body) = await service.PostAsync($"/loops/{loop}/rank", key, Rank(eventId));
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        if (reward)
        {
            var value = body.GetProperty("chosen").GetString() == "good" ? 1 : 0;
            (await service.PostAsync($"/loops/{loop}/events/{eventId}/reward", key, $$"""{ "value": {{value}} }""")).Status.Should().Be(HttpStatusCode.OK);
        }
    }

    /// <summary>Waits until the loop has learned <paramref name="count"/> events (or fails after <paramref name="seconds"/>); returns its answer.</summary>
    internal static async Task<JsonElement> WaitLearnedAsync(RunningService service, string loop, string key, long count, double seconds = 10)
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            var answer = await service.GetAsync($"/loops/{loop}", key);
            if (answer.GetProperty("learnedSequence").GetInt64() >= count)
            {
                return answer;
            }
            if ((DateTime.UtcNow - started).TotalSeconds > seconds)
            {
                throw new TimeoutException($"loop '{loop}' learned {answer.GetProperty("learnedSequence").GetInt64()} events, not {count}, in {seconds} s: {answer}");
            }
            await Task.Delay(50);
        }
    }

    private static async Task<int> ExecuteAsync(RunningService service, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = service.Settings.DatabasePath, DefaultTimeout = 30, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_event_whose_reward_never_comes_holds_back_no_later_event()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("hol", Definition(wait: 3600));
        await RankAndRewardAsync(service, "hol", key, "stuck", reward: false);
        var started = DateTime.UtcNow;
        for (var t = 0; t < 40; t++)
        {
            await RankAndRewardAsync(service, "hol", key, $"e{t}");
        }
        var loop = await WaitLearnedAsync(service, "hol", key, 40, seconds: 10);
        var took = DateTime.UtcNow - started;
        loop.GetProperty("decisions").GetInt64().Should().Be(41);
        loop.GetProperty("learnedSequence").GetInt64().Should().Be(40, "the 40 rewarded events are learned; the one waiting (an hour) is not yet");
        output.WriteLine($"40 rewarded events learned {took.TotalSeconds:F2} s after the first rank, behind one event with a 3600 s reward wait.");

        // The waiting event still takes its reward, and is then learned after the others.
        (await service.PostAsync("/loops/hol/events/stuck/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await WaitLearnedAsync(service, "hol", key, 41)).GetProperty("learnedSequence").GetInt64().Should().Be(41);
        (await service.PostAsync("/loops/hol/events/e3/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.Conflict, "a learned event takes no second reward");
    }

    [Fact]
    public async Task A_damaged_raised_or_unreadable_checkpoint_makes_only_its_loop_replay_its_log()
    {
        await using var service = await RunningService.StartAsync(configure: s => s with { CheckpointEvery = 1 });
        var names = new[] { "flipped", "raised", "beyond", "garbage", "intact" };
        var keys = new Dictionary<string, string>();
        foreach (var name in names)
        {
            // Apprentice loops serve the default action: their state is the learned model alone (no exploration draws), so a replay can be compared byte for byte.
            keys[name] = await service.CreateLoopAsync(name, Definition(wait: 30, apprentice: true));
            for (var t = 0; t < 30; t++)
            {
                await RankAndRewardAsync(service, name, keys[name], $"e{t}");
            }
        }
        var registry = service.Services.GetRequiredService<LoopRegistry>();
        var before = new Dictionary<string, byte[]>();
        foreach (var name in names)
        {
            var answer = await WaitLearnedAsync(service, name, keys[name], 30);
            for (var i = 0; i < 100 && (await service.GetAsync($"/loops/{name}", keys[name])).GetProperty("checkpointSequence").GetInt64() < 30; i++)
            {
                await Task.Delay(50);
            }
            before[name] = (await registry.FindAsync(name, CancellationToken.None))!.Snapshot().State;
        }

        // Damage three checkpoints while the service runs (it does not read them again until it restarts).
        await ExecuteAsync(service, "UPDATE checkpoints SET state = CAST(substr(state, 1, 20) || x'5a' || substr(state, 22) AS BLOB) WHERE loop = 'flipped'");
        await ExecuteAsync(service, "UPDATE checkpoints SET seq = seq + 1000000 WHERE loop = 'raised'");
        var garbage = new byte[] { 1, 2, 3, 4, 5, 6, 7 };
        await ExecuteAsync(service, "UPDATE checkpoints SET state = $s, sha256 = $h, seq = 30 WHERE loop = 'garbage'", ("$s", garbage), ("$h", Checksums.Checkpoint(30, garbage)));
        // A sequence raised by hand with its checksum recomputed: the checkpoint claims more than the log holds.
        var state = before["beyond"];
        await ExecuteAsync(service, "UPDATE checkpoints SET state = $s, sha256 = $h, seq = 5000 WHERE loop = 'beyond'", ("$s", state), ("$h", Checksums.Checkpoint(5000, state)));
        await service.RestartAsync();

        registry = service.Services.GetRequiredService<LoopRegistry>();
        foreach (var name in names)
        {
            var answer = await WaitLearnedAsync(service, name, keys[name], 30);
            var problems = string.Join(" | ", answer.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
            output.WriteLine($"{name}: learned {answer.GetProperty("learnedSequence").GetInt64()}, problems: {(problems.Length == 0 ? "none" : problems)}");
            answer.GetProperty("status").GetString().Should().Be("ok", "a bad checkpoint is replayed over, not a reason to stop learning");
            if (name == "intact")
            {
                problems.Should().BeEmpty();
            }
            else
            {
                problems.Should().Contain("replays its log from the start").And.Contain($"'{name}'");
            }
            (await registry.FindAsync(name, CancellationToken.None))!.Snapshot().State.Should().Equal(before[name], $"loop '{name}' relearned the same model");
            await RankAndRewardAsync(service, name, keys[name], "after-restart");
        }
        var raised = (await service.GetAsync("/loops/raised", keys["raised"])).GetProperty("problems")[0].GetString();
        raised.Should().Contain("does not match its SHA-256 checksum", "a sequence changed by hand is caught by the checksum over sequence and state");
        (await service.GetAsync("/loops/beyond", keys["beyond"])).GetProperty("problems")[0].GetString().Should().Contain("covers completion 5000 but the log has 30 complete events");
    }

    [Fact]
    public async Task A_damaged_decision_payload_is_reported_with_its_sequence_and_skipped()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("payloads", Definition(wait: 3600));
        for (var t = 0; t < 10; t++)
        {
            await RankAndRewardAsync(service, "payloads", key, $"e{t}", reward: t != 3);
        }
        await WaitLearnedAsync(service, "payloads", key, 9);
        var sequence = (await service.GetAsync("/loops/payloads/events/e3", key)).GetProperty("sequence").GetInt64();
        // One flipped byte in the middle of a feature value: readable, but not what was ranked.
        (await ExecuteAsync(service, "UPDATE decisions SET payload = CAST(substr(payload, 1, 40) || x'7f' || substr(payload, 42) AS BLOB) WHERE event_id = 'e3'")).Should().Be(1);
        (await service.PostAsync("/loops/payloads/events/e3/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        await RankAndRewardAsync(service, "payloads", key, "e10");

        var loop = await WaitLearnedAsync(service, "payloads", key, 11);
        loop.GetProperty("damagedEvents").GetInt64().Should().Be(1);
        var problem = loop.GetProperty("problems")[0].GetString();
        problem.Should().Contain($"event {sequence}:").And.Contain("checksum");
        var damaged = await service.GetAsync("/loops/payloads/events/e3", key);
        damaged.GetProperty("damage").GetString().Should().Contain($"event {sequence}");
        loop.GetProperty("status").GetString().Should().Be("ok");
        output.WriteLine($"reported: {problem}");
    }

    [Fact]
    public async Task A_learner_error_quarantines_its_loop_which_keeps_ranking_while_others_learn()
    {
        await using var service = await RunningService.StartAsync(configure: s => s with { CheckpointEvery = 1 });
        var poisoned = await service.CreateLoopAsync("poisoned", Definition(wait: 3600));
        var healthy = await service.CreateLoopAsync("healthy", Definition(wait: 3600));
        for (var t = 0; t < 10; t++)
        {
            await RankAndRewardAsync(service, "poisoned", poisoned, $"e{t}");
            await RankAndRewardAsync(service, "healthy", healthy, $"e{t}");
        }
        await WaitLearnedAsync(service, "poisoned", poisoned, 10);
        var registry = service.Services.GetRequiredService<LoopRegistry>();
        var loop = (await registry.FindAsync("poisoned", CancellationToken.None))!;
        for (var i = 0; i < 100 && loop.CheckpointSequence < 10; i++)
        {
            await Task.Delay(50);
        }
        var good = loop.Snapshot();
        good.Sequence.Should().Be(10);

        // An event whose payload is intact (its checksum matches) but whose features do not fit the loop: learning it throws.
        var payload = new StoredDecision([1, 0], [0, 1], [1, 0, 0], [0], [1.0]).ToBytes();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await ExecuteAsync(service, "INSERT INTO decisions (loop, event_id, created_ms, slate_size, payload) VALUES ('poisoned', 'poison', $c, 1, $p)", ("$c", now), ("$p", payload));
        await ExecuteAsync(service, "INSERT INTO rewards (loop, event_id, slot, value, created_ms) VALUES ('poisoned', 'poison', 0, 1, $c)", ("$c", now));
        await RankAndRewardAsync(service, "poisoned", poisoned, "e10");

        JsonElement answer;
        var started = DateTime.UtcNow;
        do
        {
            await Task.Delay(50);
            answer = await service.GetAsync("/loops/poisoned", poisoned);
        }
        while (answer.GetProperty("status").GetString() != "degraded" && DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        answer.GetProperty("status").GetString().Should().Be("degraded", answer.ToString());
        var reason = answer.GetProperty("quarantine").GetString();
        reason.Should().Contain("learning completions 11..").And.Contain("ArgumentException").And.Contain("last good model (completion 10)");
        output.WriteLine(reason);

        // It keeps ranking, with the last good model; the other loop keeps learning; the process is alive and ready.
        (registry.All.Single(l => l.Name == "poisoned")).Snapshot().State.Should().Equal(good.State, "the model went back to its last good state");
        for (var t = 11; t < 16; t++)
        {
            await RankAndRewardAsync(service, "poisoned", poisoned, $"e{t}");
            await RankAndRewardAsync(service, "healthy", healthy, $"e{t}");
        }
        (await WaitLearnedAsync(service, "healthy", healthy, 15)).GetProperty("status").GetString().Should().Be("ok");
        (await service.GetAsync("/loops/poisoned", poisoned)).GetProperty("learnedSequence").GetInt64().Should().Be(10, "a quarantined loop learns no more");
        (await service.Client.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        using var ready = await service.Client.GetAsync("/ready");
        ready.StatusCode.Should().Be(HttpStatusCode.OK, "other loops serve: degraded loops are listed, not a reason to take the process out");
        (await ready.Content.ReadAsStringAsync()).Should().Contain("poisoned");
    }

    [Fact]
    public async Task A_damaged_database_tail_answers_503_with_retry_after_and_ready_says_why_while_health_stays_ok()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-tail-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "events.db");
        try
        {
            string key;
            await using (var first = await RunningService.StartAsync(configure: s => s with { DatabasePath = path }))
            {
                key = await first.CreateLoopAsync("tail", Definition(wait: 3600));
                for (var t = 0; t < 200; t++)
                {
                    await RankAndRewardAsync(first, "tail", key, $"e{t}", reward: false);
                }
            }
            SqliteConnection.ClearAllPools();

            // Overwrite the file's last pages (the newest rows of the log and their index entries), as a torn write would.
            var length = new FileInfo(path).Length;
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                var garbage = new byte[4 * 4096];
                new Random(5).NextBytes(garbage);
                file.Seek(length - garbage.Length, SeekOrigin.Begin);
                await file.WriteAsync(garbage);
            }

            await using var service = await RunningService.StartAsync(configure: s => s with { DatabasePath = path });
            var statuses = new Dictionary<int, int>();
            TimeSpan? retryAfter = null;
            for (var t = 0; t < 20; t++)
            {
                using var rank = new HttpRequestMessage(HttpMethod.Post, "/loops/tail/rank") { Content = new StringContent(Rank($"late{t}")) };
                rank.Headers.Add("X-Api-Key", key);
                using var answer = await service.Client.SendAsync(rank);
                statuses[(int)answer.StatusCode] = statuses.GetValueOrDefault((int)answer.StatusCode) + 1;
                if (answer.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    retryAfter = answer.Headers.RetryAfter?.Delta;
                    (await answer.Content.ReadAsStringAsync()).Should().Contain("The event store is unavailable");
                }
            }
            output.WriteLine("rank answers on a damaged database: " + string.Join(", ", statuses.Select(p => $"{p.Key} x {p.Value}")));
            statuses.Should().Equal(new Dictionary<int, int> { [503] = 20 }, "a store fault is answered 503, never 500");
            retryAfter.Should().Be(TimeSpan.FromSeconds(service.Settings.RetryAfterSeconds));
            (await service.Client.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK, "/health is liveness only");
            using var ready = await service.Client.GetAsync("/ready");
            var text = await ready.Content.ReadAsStringAsync();
            output.WriteLine("/ready: " + text);
            ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            text.Should().Contain("not-ready").And.Contain("event store").And.Contain("malformed");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
