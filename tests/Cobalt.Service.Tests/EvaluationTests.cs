using System.Net;
using System.Text.Json;
using Cobalt.Service.Evaluation;
using Cobalt.Service.Loops;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

public class EvaluationTests
{
    /// <summary>
    /// A loop that explores half the time between a rewarded and an unrewarded action: uniform random is worth 0.5, a policy
    /// that learns to take the rewarded action is worth nearly 1, and the served epsilon-greedy policy about 0.75.
    /// </summary>
    private static async Task<(RunningService Service, string Key)> ExploredLoopAsync(int events)
    {
        var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("explore",
            """{ "policy": { "kind": "epsilon-greedy", "options": { "epsilon": 0.5 } }, "options": { "context-dimension": 1, "action-dimension": 2, "seed": 11 } }""");
        for (var t = 0; t < events; t++)
        {
            var (status, body) = await service.PostAsync("/loops/explore/rank", key,
                """{ "context": [1], "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] } ] }""");
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var reward = body.GetProperty("chosen").GetString() == "good" ? 1 : 0;
            await service.PostAsync($"/loops/explore/events/{body.GetProperty("eventId").GetString()}/reward", key, $$"""{ "value": {{reward}} }""");
        }
        return (service, key);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(RunningService service, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", key);
        using var response = await service.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static double Estimate(JsonElement answer, string policy, string estimator) =>
        answer.GetProperty("estimates").EnumerateArray()
            .Single(e => e.GetProperty("policy").GetString() == policy && e.GetProperty("estimator").GetString() == estimator)
            .GetProperty("value").GetDouble();

    [Fact]
    public async Task Candidates_are_ranked_by_their_value_on_the_loops_own_log()
    {
        var (service, key) = await ExploredLoopAsync(400);
        await using var _ = service;
        var candidates = Uri.EscapeDataString("""[ { "kind": "random", "name": "uniform" }, { "kind": "linucb-disjoint", "name": "learner", "options": { "alpha": 0.1 } } ]""");

        var (status, answer) = await GetAsync(service, $"/loops/explore/evaluations?candidates={candidates}", key);

        status.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("events").GetInt32().Should().Be(400);
        answer.GetProperty("skipped").GetInt32().Should().Be(0);
        Estimate(answer, "logged (served)", "on-policy mean").Should().BeInRange(0.65, 0.85, "epsilon-greedy with epsilon 0.5 takes the good action 3/4 of the time");
        Estimate(answer, "uniform", "IPS").Should().BeInRange(0.4, 0.6, "the uniform policy is worth 1/2");
        Estimate(answer, "uniform", "SNIPS").Should().BeInRange(0.4, 0.6);
        Estimate(answer, "learner", "SNIPS").Should().BeGreaterThan(0.9, "a learner soon takes only the rewarded action");
        Estimate(answer, "learner", "Replay").Should().BeGreaterThan(0.9);
        foreach (var e in answer.GetProperty("estimates").EnumerateArray())
        {
            var value = e.GetProperty("value").GetDouble();
            e.GetProperty("lower").GetDouble().Should().BeLessThanOrEqualTo(value + 1e-9);
            e.GetProperty("upper").GetDouble().Should().BeGreaterThanOrEqualTo(value - 1e-9);
        }
    }

    [Fact]
    public async Task Without_candidates_the_loops_own_policy_and_the_standard_alternatives_are_compared()
    {
        var (service, key) = await ExploredLoopAsync(150);
        await using var _ = service;

        var (status, answer) = await GetAsync(service, "/loops/explore/evaluations?last=100", key);

        status.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("events").GetInt32().Should().Be(100, "only the latest events are used");
        var policies = answer.GetProperty("estimates").EnumerateArray().Select(e => e.GetProperty("policy").GetString()).Distinct().ToArray();
        policies.Should().Contain(["logged (served)", "epsilon-greedy (this loop)", "random", "linucb-disjoint", "thompson-linear"]);
        // The replayed loop policy is judged on the log it wrote: its estimate agrees with what was served.
        Estimate(answer, "epsilon-greedy (this loop)", "SNIPS").Should().BeApproximately(Estimate(answer, "logged (served)", "on-policy mean"), 0.15);
    }

    [Fact]
    public async Task Bad_evaluation_requests_are_refused_with_the_reason()
    {
        var (service, key) = await ExploredLoopAsync(5);
        await using var _ = service;

        var cases = new (string Query, string Message)[]
        {
            ("last=0", "last must be a whole number"),
            ("last=ten", "last must be a whole number"),
            ("candidates=" + Uri.EscapeDataString("[]"), "non-empty JSON array"),
            ("candidates=" + Uri.EscapeDataString("{"), "not valid JSON"),
            ("candidates=" + Uri.EscapeDataString("""[ { "kind": "nope" } ]"""), "unknown policy 'nope'"),
            ("candidates=" + Uri.EscapeDataString("""[ { "kind": "epsilon-greedy", "options": { "epsilon": 2 } } ]"""), "candidates[0].options"),
        };
        foreach (var (query, message) in cases)
        {
            var (status, answer) = await GetAsync(service, $"/loops/explore/evaluations?{query}", key);
            status.Should().Be(HttpStatusCode.BadRequest, query);
            answer.GetProperty("error").GetString().Should().Contain(message, query);
        }
        (await GetAsync(service, "/loops/explore/evaluations", "wrong")).Status.Should().Be(HttpStatusCode.Forbidden);
    }
    [Fact]
    public async Task Streaming_the_log_in_pages_of_any_size_gives_the_same_evaluation()
    {
        var service = await RunningService.StartAsync();
        await using var _ = service;
        var key = await service.CreateLoopAsync("paged",
            """{ "policy": { "kind": "epsilon-greedy", "options": { "epsilon": 0.3 } }, "options": { "context-dimension": 2, "action-dimension": 2, "seed": 5 } }""");
        for (var t = 0; t < 90; t++)
        {
            // Three or four actions per call; every fifth event gets no reward (it waits for it, so it is not finished).
            var actions = t % 2 == 0
                ? """[ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [0, 1] }, { "id": "c", "features": [0.5, 0.5] } ]"""
                : """[ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [0, 1] }, { "id": "c", "features": [0.5, 0.5] }, { "id": "d", "features": [0.2, 0.9] } ]""";
            var (status, body) = await service.PostAsync("/loops/paged/rank", key, $$"""{ "context": [{{t % 3}}, 1], "actions": {{actions}} }""");
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            if (t % 5 != 4)
            {
                var reward = (body.GetProperty("chosen").GetString(), t % 3) is ("a", 0) or ("b", 1) or ("c", 2) ? 1 : 0;
                await service.PostAsync($"/loops/paged/events/{body.GetProperty("eventId").GetString()}/reward", key, $$"""{ "value": {{reward}} }""");
            }
        }
        var registry = service.Services.GetRequiredService<LoopRegistry>();
        var loop = (await registry.FindAsync("paged", CancellationToken.None))!;
        var candidates = LoopEvaluator.DefaultCandidates(loop.Spec, loop.Options);
        var now = DateTimeOffset.UtcNow;

        var answers = new List<string>();
        foreach (var pageSize in (int[])[1, 7, 512])
        {
            var evaluation = await LoopEvaluator.EvaluateAsync(registry.Store, "paged", loop.Options, candidates, 50, now, pageSize, null, CancellationToken.None);
            evaluation.Events.Should().Be(50, "72 events are finished and the window holds the latest 50");
            evaluation.Skipped.Should().Be(0);
            evaluation.Estimates.Should().HaveCountGreaterThan(candidates.Count, "the on-policy mean and every supported candidate under every estimator");
            answers.Add(JsonSerializer.Serialize(new { evaluation.Estimates, evaluation.Candidates, evaluation.MinPropensity, evaluation.Events }));
        }

        answers[1].Should().Be(answers[0], "pages of 7 events give exactly what pages of 1 give");
        answers[2].Should().Be(answers[0], "pages of 512 events give exactly what pages of 1 give");
        // The window is the latest finished events: a window of all of them and one that cuts into them differ.
        var all = await LoopEvaluator.EvaluateAsync(registry.Store, "paged", loop.Options, candidates, 1000, now, 7, null, CancellationToken.None);
        all.Events.Should().Be(72);
        JsonSerializer.Serialize(new { all.Estimates, all.Candidates, all.MinPropensity, all.Events }).Should().NotBe(answers[0]);
    }
}
