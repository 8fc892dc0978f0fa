using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Service.Client;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Tests;

/// <summary>The typed client (<see cref="CobaltClient"/>) against a real service: every call it has, round trips and refusals.</summary>
public class ClientTests
{
    private static readonly RankAction[] Actions = [new("a", new[] { 1.0, 0, 0 }), new("b", new[] { 0.0, 1, 0 }), new("c", new[] { 0.0, 0, 1 })];

    [Fact]
    public async Task The_client_covers_the_loop_life_cycle_ranks_rewards_models_evaluations_and_metrics()
    {
        await using var service = await RunningService.StartAsync();
        using var client = new CobaltClient(service.Address, service.Settings.AdminKey);
        (await client.GetHealthAsync()).Status.Should().Be("ok");
        var definition = new LoopDefinition(new PolicyDefinition("linucb-shared", new Dictionary<string, JsonElement> { ["alpha"] = JsonSerializer.SerializeToElement(0.5) }),
            new LoopSettings { ContextDimension = 2, ActionDimension = 3, RewardWaitSeconds = 60 });
        var created = await client.CreateLoopAsync("shop", definition);
        created.Created.Should().BeTrue();
        created.ApiKey.Should().NotBeNullOrEmpty();
        (await client.CreateLoopAsync("shop", definition)).Should().Be(new LoopCreated("shop", false), "an identical PUT answers 200 without a key");
        (await client.ListLoopsAsync()).Loops.Select(l => l.Loop).Should().Equal("shop");

        var loop = client.ForLoop("shop", created.ApiKey!);
        var ranked = await loop.RankAsync(new RankRequest { Context = [0.5, -1], Actions = Actions, UserKey = "user-1" });
        ranked.Slate.Should().ContainSingle();
        ranked.Chosen.Should().Be(ranked.Slate[0].Id);
        ranked.Probabilities.Should().NotBeNull().And.HaveCount(3);
        ranked.Probabilities!.Sum(p => p.Probability).Should().BeApproximately(1, 1e-9);
        ranked.Probabilities!.Single(p => p.Id == ranked.Chosen).Probability.Should().BeApproximately(ranked.Slate[0].Probability!.Value, 1e-12);
        (await loop.RewardAsync(ranked.EventId, 1)).Should().Be(new RewardResponse(ranked.EventId, 0, true));
        var logged = await loop.GetEventAsync(ranked.EventId);
        logged.Slots.Should().ContainSingle().Which.Reward.Should().Be(1);
        // Learned before the PATCH below: under the "sum" aggregation it sets, an event is complete only when its wait ends.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        LoopStatus status;
        while ((status = await loop.GetAsync()).LearnedSequence < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        status.LearnedSequence.Should().BeGreaterThanOrEqualTo(1, "the fully rewarded event is learned");

        var deferred = await loop.RankAsync(new RankRequest { Context = [0, 1], Actions = Actions, DeferActivation = true, Excluded = ["a"], SlateSize = 2 });
        deferred.DeferActivation.Should().BeTrue();
        deferred.Slate.Select(s => s.Id).Should().NotContain("a").And.HaveCount(2);
        (await FluentActions.Awaiting(() => loop.RewardAsync(deferred.EventId, 1)).Should().ThrowAsync<CobaltServiceException>())
            .Which.StatusCode.Should().Be(HttpStatusCode.Conflict, "a deferred event takes no reward before activation");
        (await loop.ActivateAsync(deferred.EventId)).Should().Be(new ActivationResponse(deferred.EventId, true, false));
        (await loop.ActivateAsync(deferred.EventId)).WasActive.Should().BeTrue();
        (await loop.RewardAsync(deferred.EventId, 0, slot: 1)).Accepted.Should().BeTrue();

        var changed = await client.ChangeLoopAsync("shop", new LoopSettings { RewardWaitSeconds = 30, RewardAggregation = "sum" });
        changed.Changed.Keys.Should().BeEquivalentTo("reward-wait-seconds", "reward-aggregation");
        changed.Changed["reward-wait-seconds"].From!.Value.GetDouble().Should().Be(60);
        changed.Options.RewardWaitSeconds.Should().Be(30);
        var shaped = await FluentActions.Awaiting(() => client.ChangeLoopAsync("shop", new LoopSettings { ContextDimension = 5 })).Should().ThrowAsync<CobaltServiceException>();
        shaped.Which.StatusCode.Should().Be(HttpStatusCode.Conflict);
        shaped.Which.Problem!.Error.Should().Contain("context-dimension").And.Be(shaped.Which.Problem.Detail);

        status = await loop.GetAsync();
        status.Options.RewardWaitSeconds.Should().Be(30);
        status.Decisions.Should().Be(2);

        var model = await client.ExportModelAsync("shop");
        model.Kind.Should().Be("linucb-shared");
        model.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(model.State)));
        var imported = await client.ImportModelAsync("shop", model.State, model.Sha256);
        imported.Sha256.Should().Be(model.Sha256);
        var damaged = model.State.ToArray();
        damaged[^1] ^= 0xFF;
        (await FluentActions.Awaiting(() => client.ImportModelAsync("shop", damaged, model.Sha256)).Should().ThrowAsync<CobaltServiceException>())
            .Which.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await client.ResetModelAsync("shop")).Reset.Should().BeTrue();

        var evaluation = await loop.EvaluateAsync(last: 100);
        evaluation.Loop.Should().Be("shop");
        evaluation.Window.Should().Be(100);
        evaluation.Estimates.Should().NotBeEmpty();
        (await loop.GetActivityAsync(window: 60)).Ranks.Should().Be(2);
        (await client.GetMetricsAsync()).Loops.Single(l => l.Loop == "shop").Ranks.Should().Be(2);
        (await client.GetPrometheusMetricsAsync()).Split('\n').Should().Contain(l => l.StartsWith("cobalt_ranks_total{", StringComparison.Ordinal) && l.Contains("loop=\"shop\"", StringComparison.Ordinal) && l.EndsWith(" 2", StringComparison.Ordinal));
        (await client.GetReadinessAsync()).Status.Should().Be("ready");

        (await client.EraseUserEventsAsync("shop", "user-1")).Erased.Should().Be(1);
        var rotated = await client.RotateKeyAsync("shop");
        (await FluentActions.Awaiting(() => loop.GetAsync()).Should().ThrowAsync<CobaltServiceException>()).Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await client.ForLoop("shop", rotated.ApiKey).GetAsync()).Decisions.Should().Be(1, "the erased user's event is gone");
        (await client.DeleteLoopAsync("shop")).Should().Be(new LoopDeleted("shop", true, 1, 1));
        (await FluentActions.Awaiting(() => client.DeleteLoopAsync("shop")).Should().ThrowAsync<CobaltServiceException>()).Which.StatusCode.Should().Be(HttpStatusCode.NotFound);
        using var anonymous = new CobaltClient(service.Address);
        (await FluentActions.Awaiting(() => anonymous.ListLoopsAsync()).Should().ThrowAsync<CobaltServiceException>()).Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_client_sends_feature_namespaces()
    {
        await using var service = await RunningService.StartAsync();
        using var client = new CobaltClient(service.Address, service.Settings.AdminKey);
        var created = await client.CreateLoopAsync("named", new LoopDefinition(new PolicyDefinition("linucb-shared"),
            new LoopSettings { ContextDimension = 8, ActionDimension = 8, Features = new FeatureSettings { Input = "namespaces", Interactions = ["user:item"], MaxFeatures = 100 } }));
        var loop = client.ForLoop("named", created.ApiKey!);
        static IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>[] Namespace(string name, object a, object b) =>
            [new Dictionary<string, IReadOnlyDictionary<string, JsonElement>> { [name] = new Dictionary<string, JsonElement> { ["x"] = JsonSerializer.SerializeToElement(a), ["y"] = JsonSerializer.SerializeToElement(b) } }];
        var ranked = await loop.RankAsync(new RankRequest
        {
            ContextFeatures = Namespace("user", 31, "oslo"),
            Actions = [new("jazz", ActionFeatures.FromNamespaces(Namespace("item", 9.5, "jazz"))), new("rock", ActionFeatures.FromNamespaces(Namespace("item", 4.0, "rock")))],
        });
        ranked.Probabilities!.Sum(p => p.Probability).Should().BeApproximately(1, 1e-9);
        var numbers = await FluentActions.Awaiting(() => loop.RankAsync(new RankRequest { Context = [1, 2], Actions = Actions })).Should().ThrowAsync<CobaltServiceException>();
        numbers.Which.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        numbers.Which.Problem!.Detail.Should().Contain("context");
    }

    [Fact]
    public void Loop_settings_carry_every_loop_option()
    {
        // The contract type must hold every option the service has, or PATCH answers and GET /loops/{loop} would drop some.
        var options = new LoopOptions { ContextDimension = 3, ActionDimension = 2, Epsilon = 0.2, LogRetentionDays = 7, Apprentice = true };
        var json = OptionsBinder.ToJson(options);
        var settings = JsonSerializer.Deserialize<LoopSettings>(json)!;
        var back = JsonSerializer.SerializeToElement(settings, CobaltClient.JsonOptions);
        using var original = JsonDocument.Parse(json);
        Flatten(back).Should().BeEquivalentTo(Flatten(original.RootElement));
    }

    private static Dictionary<string, string> Flatten(JsonElement element, string prefix = "")
    {
        var flat = new Dictionary<string, string>();
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object && property.Name != "onnx")
            {
                foreach (var (key, value) in Flatten(property.Value, prefix + property.Name + "."))
                {
                    flat[key] = value;
                }
            }
            else
            {
                flat[prefix + property.Name] = property.Value.ValueKind == JsonValueKind.Number
                    ? property.Value.GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)
                    : property.Value.GetRawText();
            }
        }
        return flat;
    }
}
