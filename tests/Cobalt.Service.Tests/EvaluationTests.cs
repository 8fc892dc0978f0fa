using System.Net;
using System.Text.Json;

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
}
