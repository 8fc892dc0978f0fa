using System.Net;
using System.Text.Json;

namespace Cobalt.Service.Tests;

public class ServiceTests
{
    private const string Disjoint = """{ "policy": { "kind": "linucb-disjoint", "options": { "alpha": 0.2 } }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 30 } }""";

    private static string Rank(string? eventId = null, string context = "[1]") =>
        $$"""{ {{(eventId is null ? "" : $"\"eventId\": \"{eventId}\", ")}}"context": {{context}}, "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] } ] }""";

    [Fact]
    public async Task Loops_are_created_once_with_the_admin_key()
    {
        await using var service = await RunningService.StartAsync();
        await service.CreateLoopAsync("news", Disjoint);

        async Task<HttpStatusCode> Put(string definition, string? admin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/loops/news") { Content = new StringContent(definition) };
            if (admin is not null)
            {
                request.Headers.Add("X-Admin-Key", admin);
            }
            using var response = await service.Client.SendAsync(request);
            return response.StatusCode;
        }

        (await Put(Disjoint, "admin-secret")).Should().Be(HttpStatusCode.OK, "an identical definition is idempotent");
        (await Put(Disjoint.Replace("0.2", "0.3", StringComparison.Ordinal), "admin-secret")).Should().Be(HttpStatusCode.Conflict);
        (await Put(Disjoint, null)).Should().Be(HttpStatusCode.Unauthorized);
        (await Put(Disjoint, "guess")).Should().Be(HttpStatusCode.Forbidden);
        (await Put("""{ "policy": { "kind": "linucb" } }""", "admin-secret")).Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_loop_learns_from_rewards_in_the_background()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("learn", Disjoint);

        var good = 0;
        for (var t = 0; t < 200; t++)
        {
            var (status, body) = await service.PostAsync("/loops/learn/rank", key, Rank());
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var chosen = body.GetProperty("chosen").GetString();
            if (t >= 150)
            {
                good += chosen == "good" ? 1 : 0;
            }
            var reward = chosen == "good" ? 1 : 0;
            (await service.PostAsync($"/loops/learn/events/{body.GetProperty("eventId").GetString()}/reward", key, $$"""{ "value": {{reward}} }""")).Status.Should().Be(HttpStatusCode.OK);
            if (t % 20 == 19)
            {
                await Task.Delay(120); // let the learner catch up
            }
        }

        good.Should().BeGreaterThan(40, "after learning, the rewarded action is chosen almost always");
        var loop = await service.GetAsync("/loops/learn", key);
        loop.GetProperty("learnedSequence").GetInt64().Should().BeGreaterThan(150);
        loop.GetProperty("decisions").GetInt64().Should().Be(200);
        loop.GetProperty("rewards").GetInt64().Should().Be(200);
    }

    [Fact]
    public async Task Restarting_resumes_from_the_checkpoint_and_the_log_tail()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("resume", Disjoint);
        for (var t = 0; t < 45; t++)
        {
            var (_, body) = await service.PostAsync("/loops/resume/rank", key, Rank($"e{t}"));
            await service.PostAsync($"/loops/resume/events/e{t}/reward", key, """{ "value": 1 }""");
            _ = body;
        }
        await Task.Delay(300);
        var before = (await service.GetAsync("/loops/resume", key)).GetProperty("learnedSequence").GetInt64();

        await service.RestartAsync();

        var after = await service.GetAsync("/loops/resume", key);
        after.GetProperty("checkpointSequence").GetInt64().Should().Be(before, "the graceful stop wrote a checkpoint");
        after.GetProperty("decisions").GetInt64().Should().Be(45);
        (await service.PostAsync("/loops/resume/rank", key, Rank("e45"))).Status.Should().Be(HttpStatusCode.OK);
        var (duplicate, _) = await service.PostAsync("/loops/resume/rank", key, Rank("e3"));
        duplicate.Should().Be(HttpStatusCode.Conflict, "event ids survive the restart");
    }

    [Fact]
    public async Task Bad_requests_get_4xx_answers_that_name_the_problem()
    {
        await using var service = await RunningService.StartAsync(configure: s => s with { MaxRequestBytes = 4096 });
        var key = await service.CreateLoopAsync("strict", Disjoint);
        var (ok, ranked) = await service.PostAsync("/loops/strict/rank", key, Rank("first"));
        ok.Should().Be(HttpStatusCode.OK);

        var cases = new (string Path, string Body, HttpStatusCode Status, string Message)[]
        {
            ("/loops/strict/rank", "not json", HttpStatusCode.BadRequest, "not valid JSON"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [] }""", HttpStatusCode.BadRequest, "actions is missing or empty"),
            ("/loops/strict/rank", """{ "context": [1, 2], "actions": [ { "id": "a", "features": [1, 0] } ] }""", HttpStatusCode.BadRequest, "context has 2 features; this loop expects 1"),
            ("/loops/strict/rank", """{ "context": [1e999], "actions": [ { "id": "a", "features": [1, 0] } ] }""", HttpStatusCode.BadRequest, "context[0] must be a finite number"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, "x"] } ] }""", HttpStatusCode.BadRequest, "actions[0].features[1] must be a finite number"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] }, { "id": "a", "features": [0, 1] } ] }""", HttpStatusCode.BadRequest, "action id 'a' appears twice"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1] } ] }""", HttpStatusCode.BadRequest, "actions[0].features has 1 values; this loop expects 2"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "excluded": ["a"] }""", HttpStatusCode.BadRequest, "every action is excluded"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "slateSize": 0 }""", HttpStatusCode.BadRequest, "slateSize must be a whole number"),
            ("/loops/strict/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "colour": 1 }""", HttpStatusCode.BadRequest, "Unknown field 'colour'"),
            ("/loops/strict/events/nope/reward", """{ "value": 1 }""", HttpStatusCode.NotFound, "event 'nope' is not in loop 'strict'"),
            ("/loops/strict/events/first/reward", """{ "value": 2 }""", HttpStatusCode.BadRequest, "outside this loop's reward range"),
            ("/loops/strict/events/first/reward", """{ "value": 1, "slot": 3 }""", HttpStatusCode.BadRequest, "has no slot 3"),
            ("/loops/strict/events/first/reward", """{ "slot": 0 }""", HttpStatusCode.BadRequest, "value is missing"),
            ("/loops/absent/rank", Rank(), HttpStatusCode.Forbidden, "That API key does not belong to loop 'absent'. A loop that does not exist gets this same answer."),
        };
        foreach (var (path, body, status, message) in cases)
        {
            var (actual, answer) = await service.PostAsync(path, key, body);
            actual.Should().Be(status, $"{path} {body[..Math.Min(body.Length, 80)]}");
            answer.GetProperty("error").GetString().Should().Contain(message);
        }

        // An oversized body is refused from its Content-Length before it is read (the client waits for 100-continue).
        using (var large = new HttpRequestMessage(HttpMethod.Post, "/loops/strict/rank") { Content = new StringContent("{ \"pad\": \"" + new string('x', 5000) + "\" }") })
        {
            large.Headers.Add("X-Api-Key", key);
            large.Headers.ExpectContinue = true;
            using var response = await service.Client.SendAsync(large);
            response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
            (await response.Content.ReadAsStringAsync()).Should().Contain("larger than the limit");
        }

        var eventId = ranked.GetProperty("eventId").GetString();
        (await service.PostAsync($"/loops/strict/events/{eventId}/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        var (again, duplicate) = await service.PostAsync($"/loops/strict/events/{eventId}/reward", key, """{ "value": 1 }""");
        again.Should().Be(HttpStatusCode.Conflict);
        duplicate.GetProperty("error").GetString().Should().Contain("already has a reward");

        var quick = await service.CreateLoopAsync("quick", Disjoint.Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 0.3", StringComparison.Ordinal));
        (await service.PostAsync("/loops/quick/rank", quick, Rank("late"))).Status.Should().Be(HttpStatusCode.OK);
        await Task.Delay(600);
        var (expired, lateAnswer) = await service.PostAsync("/loops/quick/events/late/reward", quick, """{ "value": 1 }""");
        expired.Should().Be(HttpStatusCode.Gone, lateAnswer.ToString());
    }

    [Fact]
    public async Task Keys_belong_to_their_loop()
    {
        await using var service = await RunningService.StartAsync();
        var first = await service.CreateLoopAsync("first", Disjoint);
        var second = await service.CreateLoopAsync("second", Disjoint);

        (await service.PostAsync("/loops/first/rank", "", Rank())).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await service.PostAsync("/loops/first/rank", second, Rank())).Status.Should().Be(HttpStatusCode.Forbidden);
        (await service.PostAsync("/loops/first/rank", first, Rank())).Status.Should().Be(HttpStatusCode.OK);
        (await service.GetAsync("/health")).GetProperty("status").GetString().Should().Be("ok");
        (await service.GetAsync("/metrics/json")).GetProperty("loops").GetArrayLength().Should().Be(2);
        var openApi = await service.Client.GetStringAsync("/openapi/v1.json");
        openApi.Should().Contain("/loops/{loop}/rank").And.Contain("/loops/{loop}/events/{eventId}/reward");
    }

    [Fact]
    public async Task An_apprentice_loop_serves_the_callers_choice_and_learns_from_it()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("apprentice", Disjoint.Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 30, \"apprentice\": true", StringComparison.Ordinal));

        var (missing, error) = await service.PostAsync("/loops/apprentice/rank", key, Rank());
        missing.Should().Be(HttpStatusCode.BadRequest);
        error.GetProperty("error").GetString().Should().Contain("apprentice mode");

        for (var t = 0; t < 30; t++)
        {
            var body = Rank($"a{t}").Replace("\"actions\"", "\"defaultAction\": \"bad\", \"actions\"", StringComparison.Ordinal);
            var (status, answer) = await service.PostAsync("/loops/apprentice/rank", key, body);
            status.Should().Be(HttpStatusCode.OK);
            answer.GetProperty("chosen").GetString().Should().Be("bad");
            answer.GetProperty("slate")[0].GetProperty("probability").GetDouble().Should().Be(1.0);
            await service.PostAsync($"/loops/apprentice/events/a{t}/reward", key, """{ "value": 0 }""");
        }
        await Task.Delay(300);
        (await service.GetAsync("/loops/apprentice", key)).GetProperty("learnedSequence").GetInt64().Should().BeGreaterThan(20);
    }

    [Fact]
    public async Task The_answer_gives_every_eligible_actions_probability_of_being_chosen()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("greedy", """{ "policy": { "kind": "epsilon-greedy", "options": { "epsilon": 0.3 } }, "options": { "context-dimension": 1, "action-dimension": 2 } }""");
        var body = """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [0, 1] }, { "id": "c", "features": [1, 1] } ], "excluded": ["c"] }""";

        var (status, answer) = await service.PostAsync("/loops/greedy/rank", key, body);

        status.Should().Be(HttpStatusCode.OK, answer.ToString());
        var probabilities = answer.GetProperty("probabilities").EnumerateArray()
            .ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("probability").GetDouble());
        probabilities.Keys.Should().BeEquivalentTo(["a", "b"], "excluded actions are not eligible");
        probabilities.Values.Sum().Should().BeApproximately(1.0, 1e-12);
        probabilities.Values.Should().AllSatisfy(p => p.Should().BeGreaterThanOrEqualTo(0.15 - 1e-12), "epsilon / 2 is the floor of each action");
        var chosen = answer.GetProperty("chosen").GetString()!;
        answer.GetProperty("slate")[0].GetProperty("probability").GetDouble().Should().BeApproximately(probabilities[chosen], 1e-12);
    }
}
