using System.Net;
using System.Text.Json;

namespace Cobalt.Service.Tests;

public class RewardAggregationTests
{
    /// <summary>
    /// One event with two rewards for its slot, per aggregation mode; the learned model's mean for the served action is
    /// proportional to the reward it learned (one ridge update), so its ratio to a loop that learned a single reward of 1
    /// gives the learned reward exactly.
    /// </summary>
    [Theory]
    [InlineData("sum", 0.8)]
    [InlineData("earliest", 0.3)]
    [InlineData("last", 0.5)]
    [InlineData("reject", 0.3)]
    public async Task Each_mode_gives_the_learner_its_reward(string mode, double expected)
    {
        await using var service = await RunningService.StartAsync();
        // Reward range [0, 10] so that a sum stays in range; a one-second wait (sum and last are learned only after it).
        var options = $$""", "reward-max": 10, "reward-aggregation": "{{mode}}", "exploration": "epsilon-greedy", "epsilon": 0.5""";
        var definition = Lifecycle.Definition(options).Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 1", StringComparison.Ordinal);
        var key = await service.CreateLoopAsync("agg", definition);
        var reference = await service.CreateLoopAsync("ref", Lifecycle.Definition(""", "reward-max": 10""").Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 1", StringComparison.Ordinal));

        var (status, body) = await service.PostAsync("/loops/agg/rank", key, Lifecycle.Rank(""", "eventId": "e1" """));
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        var chosen = body.GetProperty("chosen").GetString()!;
        var first = await service.PostAsync("/loops/agg/events/e1/reward", key, """{ "value": 0.3 }""");
        first.Status.Should().Be(HttpStatusCode.OK);
        var second = await service.PostAsync("/loops/agg/events/e1/reward", key, """{ "value": 0.5 }""");
        switch (mode)
        {
            case "reject":
                second.Status.Should().Be(HttpStatusCode.Conflict);
                second.Body.GetProperty("error").GetString().Should().Contain("reward-aggregation");
                break;
            case "earliest":
                second.Status.Should().Be(HttpStatusCode.OK);
                second.Body.GetProperty("accepted").GetBoolean().Should().BeFalse();
                break;
            default:
                second.Status.Should().Be(HttpStatusCode.OK);
                second.Body.GetProperty("accepted").GetBoolean().Should().BeTrue();
                break;
        }
        var stored = await service.GetAsync("/loops/agg/events/e1", key);
        stored.GetProperty("slots")[0].GetProperty("reward").GetDouble().Should().BeApproximately(expected, 1e-12);

        // The same action in the reference loop, rewarded once with 1.
        var (_, answer) = await service.PostAsync("/loops/ref/rank", reference, Lifecycle.Rank(""", "eventId": "r1" """));
        var refChosen = answer.GetProperty("chosen").GetString()!;
        (await service.PostAsync("/loops/ref/events/r1/reward", reference, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);

        await Lifecycle.WaitLearnedAsync(service, "agg", key, 1);
        await Lifecycle.WaitLearnedAsync(service, "ref", reference, 1);
        var learned = Lifecycle.Means((await Lifecycle.ExportAsync(service, "agg")).Bytes);
        var unit = Lifecycle.Means((await Lifecycle.ExportAsync(service, "ref")).Bytes);
        var index = chosen == "good" ? 0 : 1;
        var refIndex = refChosen == "good" ? 0 : 1;
        // Disjoint LinUCB, one update with features x of norm 1: mean = r x'x / (1 + x'x) = r / 2 for either action.
        unit[refIndex].Should().BeApproximately(0.1 / 2, 1e-12);
        learned[index].Should().BeApproximately(expected / 10 / 2, 1e-12, $"{mode} gives the learner {expected}");
        learned[1 - index].Should().Be(0);
    }

    [Fact]
    public async Task A_sum_above_the_range_is_clamped_when_learned_and_sum_waits_for_the_reward_wait()
    {
        await using var service = await RunningService.StartAsync();
        var definition = Lifecycle.Definition(""", "reward-aggregation": "sum" """).Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 2", StringComparison.Ordinal);
        var key = await service.CreateLoopAsync("sum", definition);
        var (_, body) = await service.PostAsync("/loops/sum/rank", key, Lifecycle.Rank(""", "eventId": "e" """));
        var index = body.GetProperty("chosen").GetString() == "good" ? 0 : 1;
        (await service.PostAsync("/loops/sum/events/e/reward", key, """{ "value": 0.75 }""")).Status.Should().Be(HttpStatusCode.OK);
        await Task.Delay(500);
        (await service.GetAsync("/loops/sum", key)).GetProperty("learnedSequence").GetInt64().Should().Be(0, "a sum may still grow: the event waits for its reward wait");
        (await service.PostAsync("/loops/sum/events/e/reward", key, """{ "value": 0.75 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await service.GetAsync("/loops/sum/events/e", key)).GetProperty("slots")[0].GetProperty("reward").GetDouble().Should().Be(1.5, "the log keeps the raw sum");
        await Lifecycle.WaitLearnedAsync(service, "sum", key, 1);
        Lifecycle.Means((await Lifecycle.ExportAsync(service, "sum")).Bytes)[index].Should().BeApproximately(1.0 / 2, 1e-12, "the learner takes the sum clamped to reward-max 1");
        (await service.PostAsync("/loops/sum/events/e/reward", key, """{ "value": 0.1 }""")).Status.Should().Be(HttpStatusCode.Gone);
    }
}

public class DeferredActivationTests
{
    [Fact]
    public async Task Unactivated_events_are_not_learned_and_are_counted_apart()
    {
        await using var service = await RunningService.StartAsync();
        var definition = Lifecycle.Definition().Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 1", StringComparison.Ordinal);
        var key = await service.CreateLoopAsync("deferred", definition);
        var (fresh, _) = await Lifecycle.ExportAsync(service, "deferred");

        // Ten deferred events, never activated: rewards are refused, and none is learned.
        for (var i = 0; i < 10; i++)
        {
            var (status, body) = await service.PostAsync("/loops/deferred/rank", key, Lifecycle.Rank($$""", "eventId": "d{{i}}", "deferActivation": true"""));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            body.GetProperty("deferActivation").GetBoolean().Should().BeTrue();
        }
        var refused = await service.PostAsync("/loops/deferred/events/d0/reward", key, """{ "value": 1 }""");
        refused.Status.Should().Be(HttpStatusCode.Conflict);
        refused.Body.GetProperty("error").GetString().Should().Contain("activate");
        await Lifecycle.WaitLearnedAsync(service, "deferred", key, 10);
        (await Lifecycle.ExportAsync(service, "deferred")).Bytes.Should().Equal(fresh, "events never activated are not learned");
        (await service.GetAsync("/loops/deferred", key)).GetProperty("inactiveEvents").GetInt64().Should().Be(10);
        var late = await service.PostAsync("/loops/deferred/events/d1/activate", key, "");
        late.Status.Should().Be(HttpStatusCode.Gone, "past the reward wait the event is finished as inactive");

        // An activated deferred event takes its reward and is learned; activating twice (or a normal event) is harmless.
        var (_, ranked) = await service.PostAsync("/loops/deferred/rank", key, Lifecycle.Rank(""", "eventId": "shown", "deferActivation": true"""));
        var index = ranked.GetProperty("chosen").GetString() == "good" ? 0 : 1;
        var activated = await service.PostAsync("/loops/deferred/events/shown/activate", key, "");
        activated.Status.Should().Be(HttpStatusCode.OK, activated.Body.ToString());
        activated.Body.GetProperty("wasActive").GetBoolean().Should().BeFalse();
        (await service.PostAsync("/loops/deferred/events/shown/activate", key, "")).Body.GetProperty("wasActive").GetBoolean().Should().BeTrue();
        (await service.PostAsync("/loops/deferred/events/shown/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await service.PostAsync("/loops/deferred/events/nope/activate", key, "")).Status.Should().Be(HttpStatusCode.NotFound);
        (await service.PostAsync("/loops/deferred/events/shown/activate", "wrong-key", "")).Status.Should().Be(HttpStatusCode.Forbidden);
        (await service.PostAsync("/loops/deferred/rank", key, Lifecycle.Rank(""", "deferActivation": "yes" """))).Status.Should().Be(HttpStatusCode.BadRequest);
        await Lifecycle.WaitLearnedAsync(service, "deferred", key, 11);
        Lifecycle.Means((await Lifecycle.ExportAsync(service, "deferred")).Bytes)[index].Should().BeApproximately(0.5, 1e-12, "the activated event is learned with its reward 1");

        // The offline evaluation leaves the inactive events out and reports them.
        var (evaluated, text, _) = await service.SendRawAsync(HttpMethod.Get, "/loops/deferred/evaluations", apiKey: key);
        evaluated.Should().Be(HttpStatusCode.OK, text);
        var evaluation = JsonDocument.Parse(text).RootElement;
        evaluation.GetProperty("inactive").GetInt32().Should().Be(10);
        evaluation.GetProperty("events").GetInt32().Should().Be(1);
    }
}
