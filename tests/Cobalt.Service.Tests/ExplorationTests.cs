using System.Globalization;
using System.Net;
using System.Text.Json;
using Cobalt.Core.Randomness;

namespace Cobalt.Service.Tests;

/// <summary>
/// Every served decision is randomised and logs the exact probability of what was served (issue 15, item 1), so a loop's own
/// log can evaluate other policies offline.
/// </summary>
public class ExplorationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(RunningService service, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", key);
        using var response = await service.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<(HttpStatusCode Status, string Body)> PutAsync(RunningService service, string name, string definition)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/loops/{name}") { Content = new StringContent(definition) };
        request.Headers.Add("X-Admin-Key", service.Settings.AdminKey);
        using var response = await service.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static JsonElement? Estimate(JsonElement answer, string policy, string estimator) =>
        answer.GetProperty("estimates").EnumerateArray()
            .Where(e => e.GetProperty("policy").GetString() == policy && e.GetProperty("estimator").GetString() == estimator)
            .Select(e => (JsonElement?)e.GetProperty("value")).FirstOrDefault();

    private static string Actions(int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(a => $$"""{ "id": "a{{a}}", "features": [{{string.Join(", ", Enumerable.Range(0, count).Select(j => j == a ? "1" : "0"))}}] }"""));

    private static async Task WaitLearnedAsync(RunningService service, string loop, string key, long events)
    {
        for (var i = 0; i < 200; i++)
        {
            var (_, status) = await GetAsync(service, $"/loops/{loop}", key);
            if (status.GetProperty("learnedSequence").GetInt64() >= events)
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"loop {loop} did not learn {events} events");
    }

    /// <summary>
    /// The issue's finding: a deterministic LinUCB loop logged propensity 1 for every decision, so its own log estimated the
    /// uniform random policy at 0.109 where its true value was about 0.5. Here five actions, two kinds of user, the user's
    /// favourite pays 1 and every other action 0.2: uniform random is worth exactly (1 + 4 * 0.2) / 5 = 0.36, and a
    /// personalising loop soon serves the favourites (worth nearly 1), so propensity-1 logging gives IPS about 0.19 and SNIPS
    /// about 0.95. Served through epsilon-greedy (default epsilon 0.05), the log supports every action and both estimates
    /// land near 0.36.
    /// </summary>
    [Fact]
    public async Task A_deterministic_loops_own_log_evaluates_uniform_random_near_its_true_value()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("det",
            """{ "policy": { "kind": "linucb-shared", "options": { "features": "user-outer-item", "alpha": 0.5 } }, "options": { "context-dimension": 2, "action-dimension": 5, "seed": 3 } }""");
        var rng = new Rng(42);
        const int events = 1500;
        var served = 0.0;
        for (var t = 0; t < events; t++)
        {
            var user = rng.NextInt(2);
            var favourite = user == 0 ? "a0" : "a3";
            var (status, body) = await service.PostAsync("/loops/det/rank", key,
                $$"""{ "eventId": "e{{t}}", "context": [{{(user == 0 ? "1, 0" : "0, 1")}}], "actions": [{{Actions(5)}}] }""");
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var reward = body.GetProperty("chosen").GetString() == favourite ? 1 : 0.2;
            served += reward;
            (await service.PostAsync($"/loops/det/events/e{t}/reward", key, $$"""{ "value": {{reward.ToString(CultureInfo.InvariantCulture)}} }""")).Status.Should().Be(HttpStatusCode.OK);
        }
        var candidates = Uri.EscapeDataString("""[ { "kind": "random", "name": "uniform" } ]""");

        var (code, answer) = await GetAsync(service, $"/loops/det/evaluations?last={events}&candidates={candidates}", key);

        code.Should().Be(HttpStatusCode.OK, answer.ToString());
        var ips = Estimate(answer, "uniform", "IPS")!.Value.GetDouble();
        var snips = Estimate(answer, "uniform", "SNIPS")!.Value.GetDouble();
        output.WriteLine($"served mean {served / events:F3}; uniform (true 0.36): IPS {ips:F3}, SNIPS {snips:F3}");
        (served / events).Should().BeGreaterThan(0.8, "user-outer-item features personalise");
        ips.Should().BeApproximately(0.36, 0.07);
        snips.Should().BeApproximately(0.36, 0.05);
        var support = answer.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("policy").GetString() == "uniform");
        var ess = support.GetProperty("effectiveSampleSize").GetDouble();
        var minPropensity = answer.GetProperty("minPropensity").GetDouble();
        output.WriteLine($"ESS {ess:F1} of {events}; smallest logged propensity {minPropensity}");
        minPropensity.Should().BeApproximately(0.05 / 5, 1e-9, "epsilon 0.05 spread over 5 actions is the least probability any action has");
        ess.Should().BeInRange(10, events);
        support.GetProperty("refused").ValueKind.Should().Be(JsonValueKind.Null);
    }

    /// <summary>
    /// The probability logged for every slot is the exact probability of that slot's action given the slots before it: with
    /// the model held fixed (no rewards), the empirical frequencies of thousands of ranks match the logged probabilities.
    /// </summary>
    [Theory]
    [InlineData("epsilon-greedy", """ "epsilon": 0.3 """)]
    [InlineData("softmax", """ "softmax-temperature": 0.5 """)]
    public async Task Logged_slot_probabilities_are_the_frequencies_of_what_is_served(string exploration, string parameter)
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("exact",
            $$"""{ "policy": { "kind": "linucb-disjoint", "options": { "alpha": 0.1 } }, "options": { "context-dimension": 1, "action-dimension": 4, "reward-wait-seconds": 3600, "exploration": "{{exploration}}", {{parameter}} } }""");
        // Teach it a preference order a0 > a1 > a2 > a3 (rewards 0.9, 0.6, 0.3, 0), then hold the model still.
        var taught = 0;
        for (var round = 0; round < 8; round++)
        {
            for (var a = 0; a < 4; a++)
            {
                var body = $$"""{ "eventId": "t{{taught}}", "context": [1], "actions": [ { "id": "a{{a}}", "features": [1, 0, 0, 0] } ] }""";
                (await service.PostAsync("/loops/exact/rank", key, body)).Status.Should().Be(HttpStatusCode.OK);
                await service.PostAsync($"/loops/exact/events/t{taught++}/reward", key, $$"""{ "value": {{(0.9 - 0.3 * a).ToString(CultureInfo.InvariantCulture)}} }""");
            }
        }
        await WaitLearnedAsync(service, "exact", key, taught);

        const int ranks = 2000;
        var first = new Dictionary<string, int>();
        var second = new Dictionary<string, int>();
        Dictionary<string, double>? firstProbabilities = null;
        Dictionary<string, double>? secondProbabilities = null;
        var conditionedOn = 0;
        for (var t = 0; t < ranks; t++)
        {
            var (status, body) = await service.PostAsync("/loops/exact/rank", key, $$"""{ "eventId": "r{{t}}", "context": [1], "actions": [{{Actions(4)}}], "slateSize": 2 }""");
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var probabilities = body.GetProperty("probabilities").EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("probability").GetDouble());
            probabilities.Values.Sum().Should().BeApproximately(1, 1e-9);
            probabilities.Values.Should().OnlyContain(p => p > 0, "every eligible action is explored");
            firstProbabilities ??= probabilities;
            probabilities.Should().Equal(firstProbabilities, "the model is held still");
            var slate = body.GetProperty("slate").EnumerateArray().Select(s => (Id: s.GetProperty("id").GetString()!, P: s.GetProperty("probability").GetDouble())).ToArray();
            slate[0].P.Should().Be(probabilities[slate[0].Id], "the first slot logs its probability of being served first");
            first[slate[0].Id] = first.GetValueOrDefault(slate[0].Id) + 1;
            if (slate[0].Id == "a0")
            {
                conditionedOn++;
                second[slate[1].Id] = second.GetValueOrDefault(slate[1].Id) + 1;
                secondProbabilities ??= [];
                if (secondProbabilities.TryGetValue(slate[1].Id, out var p))
                {
                    slate[1].P.Should().Be(p, "the second slot's probability given the first is fixed");
                }
                secondProbabilities[slate[1].Id] = slate[1].P;
            }
        }
        foreach (var (id, p) in firstProbabilities!)
        {
            var frequency = first.GetValueOrDefault(id) / (double)ranks;
            output.WriteLine($"slot 0 {id}: logged {p:F4}, served {frequency:F4}");
            frequency.Should().BeApproximately(p, 4 * Math.Sqrt(p * (1 - p) / ranks) + 1e-3, id);
        }
        secondProbabilities!.Values.Sum().Should().BeApproximately(1, 1e-9, "given a0 first, the second slot's probabilities over a1..a3 sum to 1");
        foreach (var (id, p) in secondProbabilities)
        {
            var frequency = second.GetValueOrDefault(id) / (double)conditionedOn;
            output.WriteLine($"slot 1 {id} | a0: logged {p:F4}, served {frequency:F4} of {conditionedOn}");
            frequency.Should().BeApproximately(p, 4 * Math.Sqrt(p * (1 - p) / conditionedOn) + 1e-3, id);
        }
    }

    /// <summary>A deterministic policy cannot be served without exploration; the refusal names the option.</summary>
    [Fact]
    public async Task A_deterministic_policy_served_without_exploration_is_refused()
    {
        await using var service = await RunningService.StartAsync();
        var (status, body) = await PutAsync(service, "none", """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 1, "action-dimension": 2, "exploration": "none" } }""");
        status.Should().Be(HttpStatusCode.BadRequest, body);
        body.Should().Contain("exploration").And.Contain("deterministic");
        var (fine, answer) = await PutAsync(service, "fine", """{ "policy": { "kind": "epsilon-greedy" }, "options": { "context-dimension": 1, "action-dimension": 2, "exploration": "none" } }""");
        fine.Should().Be(HttpStatusCode.Created, $"epsilon-greedy randomises by itself: {answer}");
        (await PutAsync(service, "none", """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 1, "action-dimension": 2 } }""")).Status
            .Should().Be(HttpStatusCode.Created, "the refused definition was not stored");
    }

    /// <summary>
    /// An apprentice loop logs the caller's action with probability 1: no other action has support, so an estimate of a policy
    /// that would choose them is refused with the reason instead of being reported.
    /// </summary>
    [Fact]
    public async Task An_estimate_needing_actions_the_log_never_explored_is_refused_with_the_reason()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("apprentice",
            """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 1, "action-dimension": 2, "apprentice": true } }""");
        for (var t = 0; t < 60; t++)
        {
            var (status, body) = await service.PostAsync("/loops/apprentice/rank", key,
                """{ "context": [1], "actions": [ { "id": "x", "features": [1, 0] }, { "id": "y", "features": [0, 1] } ], "defaultAction": "x" }""");
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            await service.PostAsync($"/loops/apprentice/events/{body.GetProperty("eventId").GetString()}/reward", key, """{ "value": 1 }""");
        }
        var candidates = Uri.EscapeDataString("""[ { "kind": "random", "name": "uniform" } ]""");

        var (code, answer) = await GetAsync(service, $"/loops/apprentice/evaluations?candidates={candidates}", key);

        code.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("minPropensity").GetDouble().Should().Be(1);
        var uniform = answer.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("policy").GetString() == "uniform");
        output.WriteLine(uniform.ToString());
        uniform.GetProperty("refused").GetString().Should().Contain("no support").And.Contain("60 of 60");
        uniform.GetProperty("unsupportedEvents").GetInt32().Should().Be(60);
        Estimate(answer, "uniform", "IPS").Should().BeNull("a refused estimate is not reported");
        Estimate(answer, "logged (served)", "on-policy mean").Should().NotBeNull();
    }
}
