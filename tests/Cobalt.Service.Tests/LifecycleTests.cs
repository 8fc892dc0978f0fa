using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;
using Microsoft.Data.Sqlite;

namespace Cobalt.Service.Tests;

/// <summary>Helpers shared by the life-cycle tests: a real in-process service, two actions "good" and "bad", one context feature.</summary>
internal static class Lifecycle
{
    public static string Definition(string options = "", string policy = """{ "kind": "linucb-disjoint", "options": { "alpha": 0.2 } }""") =>
        $$"""{ "policy": {{policy}}, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 30{{options}} } }""";

    public static string Rank(string extra = "") =>
        $$"""{ "context": [1], "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] } ]{{extra}} }""";

    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(RunningService service, HttpMethod method, string path, string? json = null, string? apiKey = null, bool admin = true)
    {
        var (status, body, _) = await service.SendRawAsync(method, path, json, apiKey, admin ? service.Settings.AdminKey : null);
        return (status, body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>Ranks and rewards <paramref name="rounds"/> times: reward 1 for good, 0 for bad (apprentice loops serve good).</summary>
    public static async Task TrainAsync(RunningService service, string loop, string key, int rounds, string extra = "")
    {
        for (var t = 0; t < rounds; t++)
        {
            var (status, body) = await service.PostAsync($"/loops/{loop}/rank", key, Rank(extra));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var reward = body.GetProperty("chosen").GetString() == "good" ? 1 : 0;
            (await service.PostAsync($"/loops/{loop}/events/{body.GetProperty("eventId").GetString()}/reward", key, $$"""{ "value": {{reward}} }""")).Status.Should().Be(HttpStatusCode.OK);
        }
    }

    /// <summary>Waits until the loop has learned at least <paramref name="completions"/> complete events.</summary>
    public static async Task WaitLearnedAsync(RunningService service, string loop, string key, long completions, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var state = await service.GetAsync($"/loops/{loop}", key);
            if (state.GetProperty("learnedSequence").GetInt64() >= completions)
            {
                return;
            }
            DateTime.UtcNow.Should().BeBefore(deadline, $"loop '{loop}' should learn {completions} events: {state}");
            await Task.Delay(50);
        }
    }

    /// <summary>The first-slot probability of "good" for the standard context (epsilon-greedy: it shows which action the model prefers).</summary>
    public static async Task<double> GoodProbabilityAsync(RunningService service, string loop, string key)
    {
        var (status, body) = await service.PostAsync($"/loops/{loop}/rank", key, Rank());
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        return body.GetProperty("probabilities").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "good").GetProperty("probability").GetDouble();
    }

    public static async Task<(byte[] Bytes, HttpResponseMessage Response)> ExportAsync(RunningService service, string loop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/loops/{loop}/model");
        request.Headers.Add("X-Admin-Key", service.Settings.AdminKey);
        var response = await service.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadAsByteArrayAsync(), response);
    }

    public static async Task<(HttpStatusCode Status, string Body)> ImportAsync(RunningService service, string loop, byte[] bytes, string? checksum = null, bool admin = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/loops/{loop}/model") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (admin)
        {
            request.Headers.Add("X-Admin-Key", service.Settings.AdminKey);
        }
        if (checksum is not null)
        {
            request.Headers.Add("X-Model-SHA256", checksum);
        }
        using var response = await service.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The model's mean estimate per action (good, bad) for the standard context, from an exported state file.</summary>
    public static double[] Means(byte[] stateFile)
    {
        var policy = (ComposedPolicy)PolicyCatalog.Load(new MemoryStream(stateFile));
        var context = new DecisionContext(1, DecisionContext.NoUser, [1.0], CandidateSet.FromFeatures([0, 1], new FeatureMatrix(2, 2, [1.0, 0, 0, 1])));
        var mean = new double[2];
        var width = new double[2];
        policy.Model.Estimate(context, mean, width);
        return mean;
    }

    /// <summary>Rows of the loop in each table of the service's SQLite file.</summary>
    public static Dictionary<string, long> Rows(RunningService service, string loop)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = service.Settings.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        var rows = new Dictionary<string, long>();
        foreach (var (table, column) in new[] { ("loops", "name"), ("decisions", "loop"), ("rewards", "loop"), ("actions", "loop"), ("checkpoints", "loop"), ("completions", "loop") })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM {table} WHERE {column} = $l";
            command.Parameters.AddWithValue("$l", loop);
            rows[table] = (long)command.ExecuteScalar()!;
        }
        return rows;
    }
}

public class LoopChangeTests
{
    [Fact]
    public async Task Patch_changes_options_live_durably_and_refuses_what_would_invalidate_the_model()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("live", Lifecycle.Definition());

        var (status, body) = await Lifecycle.SendAsync(service, HttpMethod.Patch, "/loops/live", """{ "reward-wait-seconds": 5, "epsilon": 0.2, "default-reward": 0.25 }""");
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("changed").GetProperty("reward-wait-seconds").GetProperty("from").GetDouble().Should().Be(30);
        body.GetProperty("changed").GetProperty("reward-wait-seconds").GetProperty("to").GetDouble().Should().Be(5);
        body.GetProperty("changed").EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("reward-wait-seconds", "epsilon", "default-reward");

        // The next rank uses the new epsilon: an untrained LinUCB ties, so both actions have 0.5; a trained one gives good 1 - eps/2.
        await Lifecycle.TrainAsync(service, "live", key, 30);
        await Lifecycle.WaitLearnedAsync(service, "live", key, 30);
        (await Lifecycle.GoodProbabilityAsync(service, "live", key)).Should().BeApproximately(1 - 0.2 / 2, 1e-12);
        (await Lifecycle.SendAsync(service, HttpMethod.Patch, "/loops/live", """{ "epsilon": 0.5 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await Lifecycle.GoodProbabilityAsync(service, "live", key)).Should().BeApproximately(1 - 0.5 / 2, 1e-12, "the change takes effect for the next rank");

        // Durable: the stored definition changed, so a restart keeps the options.
        await service.RestartAsync();
        var loop = await service.GetAsync("/loops/live", key);
        loop.GetProperty("options").GetProperty("reward-wait-seconds").GetDouble().Should().Be(5);
        loop.GetProperty("options").GetProperty("epsilon").GetDouble().Should().Be(0.5);
        (await Lifecycle.GoodProbabilityAsync(service, "live", key)).Should().BeApproximately(0.75, 1e-12);

        async Task<(HttpStatusCode Status, string Error)> Patch(string json, bool admin = true, string loop = "live")
        {
            var (s, b) = await Lifecycle.SendAsync(service, HttpMethod.Patch, $"/loops/{loop}", json, admin: admin);
            return (s, b.ValueKind == JsonValueKind.Object && b.TryGetProperty("error", out var e) ? e.GetString()! : "");
        }

        (await Patch("""{ "epsilon": 2 }""")).Should().Match<(HttpStatusCode Status, string Error)>(r => r.Status == HttpStatusCode.BadRequest && r.Error.Contains("epsilon"));
        (await Patch("""{ "reward-wiat-seconds": 2 }""")).Should().Match<(HttpStatusCode Status, string Error)>(r => r.Status == HttpStatusCode.BadRequest && r.Error.Contains("reward-wiat-seconds"));
        (await Patch("""{ "default-reward": 7 }""")).Should().Match<(HttpStatusCode Status, string Error)>(r => r.Status == HttpStatusCode.BadRequest && r.Error.Contains("default-reward"));
        (await Patch("""{ "reward-aggregation": "median" }""")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await Patch("""{ "exploration": "none" }""")).Should().Match<(HttpStatusCode Status, string Error)>(r => r.Status == HttpStatusCode.BadRequest && r.Error.Contains("exploration"));
        (await Patch("{}")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await Patch("[1]")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await Patch("""{ "context-dimension": 3 }""")).Should().Match<(HttpStatusCode Status, string Error)>(r => r.Status == HttpStatusCode.Conflict && r.Error.Contains("create a new loop"));
        (await Patch("""{ "action-dimension": 5 }""")).Status.Should().Be(HttpStatusCode.Conflict);
        (await Patch("""{ "seed": 9 }""")).Status.Should().Be(HttpStatusCode.Conflict);
        (await Patch("""{ "policy": { "kind": "random" } }""")).Status.Should().Be(HttpStatusCode.Conflict);
        (await Patch("""{ "context-dimension": 1, "reward-wait-seconds": 6 }""")).Status.Should().Be(HttpStatusCode.OK, "an unchanged dimension is no change");
        (await Patch("""{ "epsilon": 0.1 }""", admin: false)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Patch("""{ "epsilon": 0.1 }""", loop: "nope")).Status.Should().Be(HttpStatusCode.NotFound);
        (await service.GetAsync("/loops/live", key)).GetProperty("options").GetProperty("epsilon").GetDouble().Should().Be(0.5, "refused changes change nothing");
    }

    [Fact]
    public async Task Apprentice_to_online_keeps_the_learned_model()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("apprentice", Lifecycle.Definition(""", "apprentice": true"""));
        // The apprentice serves the caller's default action (good, reward 1) and learns from it.
        await Lifecycle.TrainAsync(service, "apprentice", key, 40, """, "defaultAction": "good" """);
        await Lifecycle.WaitLearnedAsync(service, "apprentice", key, 40);
        var (before, _) = await Lifecycle.ExportAsync(service, "apprentice");
        var learned = Lifecycle.Means(before);
        learned[0].Should().BeGreaterThan(0.9, "good was rewarded 1 forty times");

        var (status, body) = await Lifecycle.SendAsync(service, HttpMethod.Patch, "/loops/apprentice", """{ "apprentice": false }""");
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        var (after, _) = await Lifecycle.ExportAsync(service, "apprentice");
        after.Should().Equal(before, "switching to online keeps the model byte for byte");
        Lifecycle.Means(after).Should().Equal(learned);

        // Decisions after the switch come from the learned model (good first with 1 - eps + eps/2); an untrained loop ties.
        var (rank, answer) = await service.PostAsync("/loops/apprentice/rank", key, Lifecycle.Rank());
        rank.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("apprentice").GetBoolean().Should().BeFalse();
        (await Lifecycle.GoodProbabilityAsync(service, "apprentice", key)).Should().BeApproximately(1 - 0.05 / 2, 1e-12);
        var freshKey = await service.CreateLoopAsync("fresh", Lifecycle.Definition());
        (await Lifecycle.GoodProbabilityAsync(service, "fresh", freshKey)).Should().BeApproximately(0.5, 1e-12);
    }
}

public class ModelTransferTests
{
    [Fact]
    public async Task Export_reset_import_restores_identical_decisions_and_survives_a_restart()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("model", Lifecycle.Definition());
        await Lifecycle.TrainAsync(service, "model", key, 60);
        await Lifecycle.WaitLearnedAsync(service, "model", key, 60);

        var (exported, response) = await Lifecycle.ExportAsync(service, "model");
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");
        response.Headers.GetValues("X-Model-SHA256").Single().Should().Be(Convert.ToHexStringLower(SHA256.HashData(exported)));
        var trained = await Lifecycle.GoodProbabilityAsync(service, "model", key);
        trained.Should().BeApproximately(1 - 0.05 / 2, 1e-12);

        var (status, body) = await Lifecycle.SendAsync(service, HttpMethod.Post, "/loops/model/model/reset");
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        (await Lifecycle.GoodProbabilityAsync(service, "model", key)).Should().BeApproximately(0.5, 1e-12, "a reset model is untrained");
        Lifecycle.Means((await Lifecycle.ExportAsync(service, "model")).Bytes).Should().Equal(0, 0);

        var (imported, text) = await Lifecycle.ImportAsync(service, "model", exported, Convert.ToHexStringLower(SHA256.HashData(exported)));
        imported.Should().Be(HttpStatusCode.OK, text);
        (await Lifecycle.ExportAsync(service, "model")).Bytes.Should().Equal(exported, "the imported model is the exported one");
        (await Lifecycle.GoodProbabilityAsync(service, "model", key)).Should().Be(trained);

        await service.RestartAsync();
        (await Lifecycle.ExportAsync(service, "model")).Bytes.Should().Equal(exported, "an import is checkpointed before it is answered");
        (await Lifecycle.GoodProbabilityAsync(service, "model", key)).Should().Be(trained);
    }

    [Fact]
    public async Task Import_refuses_damaged_and_mismatching_models_naming_why()
    {
        await using var service = await RunningService.StartAsync();
        await service.CreateLoopAsync("target", Lifecycle.Definition());
        await service.CreateLoopAsync("wide", Lifecycle.Definition().Replace("\"context-dimension\": 1", "\"context-dimension\": 3", StringComparison.Ordinal));
        await service.CreateLoopAsync("other", Lifecycle.Definition(policy: """{ "kind": "linucb-disjoint", "options": { "alpha": 0.5 } }"""));
        await service.CreateLoopAsync("kind", Lifecycle.Definition(policy: """{ "kind": "random" }"""));
        await service.CreateLoopAsync("seeded", Lifecycle.Definition(""", "seed": 42"""));
        var (good, _) = await Lifecycle.ExportAsync(service, "target");

        var damaged = (byte[])good.Clone();
        damaged[^40] ^= 0xff;
        var (status, text) = await Lifecycle.ImportAsync(service, "target", damaged);
        status.Should().Be(HttpStatusCode.BadRequest);
        text.Should().Contain("checksum");
        (status, text) = await Lifecycle.ImportAsync(service, "target", good, checksum: new string('0', 64));
        status.Should().Be(HttpStatusCode.BadRequest);
        text.Should().Contain("X-Model-SHA256");
        (status, text) = await Lifecycle.ImportAsync(service, "target", "not a model"u8.ToArray());
        status.Should().Be(HttpStatusCode.BadRequest);
        text.Should().Contain("state file");
        (await Lifecycle.ImportAsync(service, "target", [])).Status.Should().Be(HttpStatusCode.BadRequest);

        (status, text) = await Lifecycle.ImportAsync(service, "wide", good);
        status.Should().Be(HttpStatusCode.Conflict);
        text.Should().Contain("context-dimension");
        (status, text) = await Lifecycle.ImportAsync(service, "other", good);
        status.Should().Be(HttpStatusCode.Conflict);
        text.Should().Contain("policy options");
        (status, text) = await Lifecycle.ImportAsync(service, "kind", good);
        status.Should().Be(HttpStatusCode.Conflict);
        text.Should().Contain("random");
        (await Lifecycle.ImportAsync(service, "seeded", good)).Status.Should().Be(HttpStatusCode.OK, "only the seed differs: the model fits");

        (await Lifecycle.ImportAsync(service, "target", good, admin: false)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Lifecycle.ImportAsync(service, "nope", good)).Status.Should().Be(HttpStatusCode.NotFound);
        (await Lifecycle.SendAsync(service, HttpMethod.Get, "/loops/nope/model")).Status.Should().Be(HttpStatusCode.NotFound);
        (await Lifecycle.SendAsync(service, HttpMethod.Get, "/loops/target/model", admin: false)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Lifecycle.SendAsync(service, HttpMethod.Post, "/loops/target/model/reset", admin: false)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Lifecycle.SendAsync(service, HttpMethod.Post, "/loops/nope/model/reset")).Status.Should().Be(HttpStatusCode.NotFound);
        (await Lifecycle.ExportAsync(service, "target")).Bytes.Should().Equal(good, "refused imports leave the model as it was");
    }
}

public class LoopDeletionTests
{
    [Fact]
    public async Task Delete_removes_the_loop_and_every_row_of_it_and_only_it()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("doomed", Lifecycle.Definition());
        var keep = await service.CreateLoopAsync("kept", Lifecycle.Definition());
        await Lifecycle.TrainAsync(service, "doomed", key, 30);
        await Lifecycle.TrainAsync(service, "kept", keep, 10);
        await Lifecycle.WaitLearnedAsync(service, "doomed", key, 30); // 30 > checkpoint-every 20: a checkpoint row exists
        // The other loop's rows must settle (every rewarded event completed) before the snapshot the deletion is checked against.
        var settle = DateTime.UtcNow.AddSeconds(15);
        while (Lifecycle.Rows(service, "kept")["completions"] < 10)
        {
            DateTime.UtcNow.Should().BeBefore(settle, "the kept loop's 10 rewarded events should complete");
            await Task.Delay(50);
        }
        var before = Lifecycle.Rows(service, "doomed");
        before["decisions"].Should().Be(30);
        before["checkpoints"].Should().Be(1);
        var kept = Lifecycle.Rows(service, "kept");

        (await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/doomed", admin: false)).Status.Should().Be(HttpStatusCode.Unauthorized);
        var (status, body) = await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/doomed");
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("decisions").GetInt64().Should().Be(30);
        Lifecycle.Rows(service, "doomed").Values.Should().AllSatisfy(n => n.Should().Be(0));
        Lifecycle.Rows(service, "kept").Should().Equal(kept);

        (await service.PostAsync("/loops/doomed/rank", key, Lifecycle.Rank())).Status.Should().Be(HttpStatusCode.Forbidden, "the loop and its key are gone");
        (await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/doomed")).Status.Should().Be(HttpStatusCode.NotFound);
        await Task.Delay(300); // learner passes: a deleted loop writes no checkpoint back
        Lifecycle.Rows(service, "doomed").Values.Should().AllSatisfy(n => n.Should().Be(0));

        // The name may be used again, for a new, empty loop.
        var again = await service.CreateLoopAsync("doomed", Lifecycle.Definition());
        (await service.GetAsync("/loops/doomed", again)).GetProperty("decisions").GetInt64().Should().Be(0);
        (await Lifecycle.GoodProbabilityAsync(service, "doomed", again)).Should().BeApproximately(0.5, 1e-12);
        await service.RestartAsync();
        Lifecycle.Rows(service, "doomed")["decisions"].Should().Be(1);
    }
}

public class LogRetentionTests
{
    [Fact]
    public async Task Retention_deletes_old_finished_events_and_keeps_unfinished_ones()
    {
        await using var service = await RunningService.StartAsync(configure: s => s with { RetentionSweepInterval = TimeSpan.FromMilliseconds(100) });
        // Two seconds of retention; rewards wait 30 s, so events without rewards stay unfinished throughout.
        var key = await service.CreateLoopAsync("short", Lifecycle.Definition($""", "log-retention-days": {2.0 / 86400:R}"""));
        await Lifecycle.TrainAsync(service, "short", key, 12);
        var unfinished = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (_, body) = await service.PostAsync("/loops/short/rank", key, Lifecycle.Rank());
            unfinished.Add(body.GetProperty("eventId").GetString()!);
        }
        Lifecycle.Rows(service, "short")["decisions"].Should().Be(17);
        await Lifecycle.WaitLearnedAsync(service, "short", key, 12);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (Lifecycle.Rows(service, "short")["decisions"] > 5)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the 12 rewarded, learned events are older than 2 s");
            await Task.Delay(100);
        }
        var rows = Lifecycle.Rows(service, "short");
        rows["decisions"].Should().Be(5);
        rows["rewards"].Should().Be(0);
        foreach (var id in unfinished)
        {
            (await service.SendRawAsync(HttpMethod.Get, $"/loops/short/events/{id}", apiKey: key)).Status.Should().Be(HttpStatusCode.OK, "unfinished events are never deleted");
        }
        (await service.GetAsync("/loops/short", key)).GetProperty("retentionDeleted").GetInt64().Should().Be(12);
        // The loop goes on: a new event still takes a reward and is learned.
        await Lifecycle.TrainAsync(service, "short", key, 1);
        await Lifecycle.WaitLearnedAsync(service, "short", key, 13);
    }

    [Fact]
    public async Task Erasing_a_user_deletes_only_that_users_events()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("people", Lifecycle.Definition());
        var ids = new Dictionary<string, List<string>> { ["alice"] = [], ["bob"] = [], [""] = [] };
        foreach (var user in new[] { "alice", "bob", "alice", "", "alice", "bob" })
        {
            var (status, body) = await service.PostAsync("/loops/people/rank", key, Lifecycle.Rank(user.Length == 0 ? "" : $$""", "userKey": "{{user}}" """));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var id = body.GetProperty("eventId").GetString()!;
            ids[user].Add(id);
            (await service.PostAsync($"/loops/people/events/{id}/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        }

        (await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/people/users/alice/events", admin: false)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/nope/users/alice/events")).Status.Should().Be(HttpStatusCode.NotFound);
        var (erase, answer) = await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/people/users/alice/events");
        erase.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("erased").GetInt64().Should().Be(3);
        (await Lifecycle.SendAsync(service, HttpMethod.Delete, "/loops/people/users/alice/events")).Body.GetProperty("erased").GetInt64().Should().Be(0);

        var rows = Lifecycle.Rows(service, "people");
        rows["decisions"].Should().Be(3);
        rows["rewards"].Should().Be(3);
        foreach (var id in ids["alice"])
        {
            (await service.SendRawAsync(HttpMethod.Get, $"/loops/people/events/{id}", apiKey: key)).Status.Should().Be(HttpStatusCode.NotFound);
        }
        foreach (var id in ids["bob"].Concat(ids[""]))
        {
            (await service.SendRawAsync(HttpMethod.Get, $"/loops/people/events/{id}", apiKey: key)).Status.Should().Be(HttpStatusCode.OK);
        }
        using (var connection = new SqliteConnection($"Data Source={service.Settings.DatabasePath};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM decisions WHERE user_key LIKE '%bob%' OR user_key LIKE '%alice%'";
            ((long)command.ExecuteScalar()!).Should().Be(0, "user keys are stored hashed");
        }
        (await service.PostAsync("/loops/people/rank", key, Lifecycle.Rank(""", "userKey": 5"""))).Status.Should().Be(HttpStatusCode.BadRequest);
    }
}
