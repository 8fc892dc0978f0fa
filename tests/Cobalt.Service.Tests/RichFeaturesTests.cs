using System.Net;
using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Service.Loops;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

/// <summary>
/// Issue 16, rich features: rank calls carry JSON feature namespaces (as Azure Personalizer took them), hashed into the loop's
/// dimensions as Vowpal Wabbit hashes them (the hashes themselves are pinned in Cobalt.Core.Tests' FeatureHashingTests),
/// with interactions; numeric vectors keep working; bad input is a 400 naming the request part.
/// </summary>
public class RichFeaturesTests
{
    private const string Definition = """
        { "policy": { "kind": "linucb-shared", "options": { "features": "item", "alpha": 0.5 } },
          "options": { "context-dimension": 16, "action-dimension": 64, "epsilon": 0.1,
                       "features": { "input": "namespaces", "interactions": ["user:item"] } } }
        """;

    private static async Task<StoredDecision> StoredAsync(RunningService service, string loop, string eventId)
    {
        var registry = service.Services.GetRequiredService<LoopRegistry>();
        var logged = await registry.Store.GetEventAsync(loop, eventId, CancellationToken.None);
        return logged!.Decision;
    }

    [Fact]
    public async Task Namespaces_are_hashed_into_the_loop_dimensions_with_signs_and_interactions()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("rich", Definition);
        var body = """
            { "eventId": "e1",
              "contextFeatures": [ { "user": { "tier": "gold", "age": 31, "premium": true, "trial": false, "tags": ["a", "b"], "loc": { "city": "Oslo" } } } ],
              "actions": [ { "id": "a1", "features": [ { "item": { "genre": "news", "price": 3.5 } } ] },
                           { "id": "a2", "features": { "item": { "genre": "sport", "price": 0 } } } ] }
            """;
        var (status, answer) = await service.PostAsync("/loops/rich/rank", key, body);
        status.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetProperty("probability").GetDouble()).Should().BeApproximately(1, 1e-12);

        // The expected vectors, composed from the hash primitives by hand.
        var user = FeatureHashing.Namespace("user");
        var item = FeatureHashing.Namespace("item");
        var userFeatures = new (uint Hash, double Value)[]
        {
            (FeatureHashing.Categorical(user, "tier", "gold"), 1),
            (FeatureHashing.Numeric(user, "age"), 31),
            (FeatureHashing.Numeric(user, "premium"), 1),
            (FeatureHashing.Categorical(user, "tags", "a"), 1),
            (FeatureHashing.Categorical(user, "tags", "b"), 1),
            (FeatureHashing.Categorical(user, "loc.city", "Oslo"), 1),
        };
        var context = new double[16];
        foreach (var (hash, value) in userFeatures)
        {
            context[hash % 16] += ((hash >> 31) == 0 ? 1 : -1) * value;
        }
        double[] Action(params (uint Hash, double Value)[] own)
        {
            var row = new double[64];
            foreach (var (hash, value) in own)
            {
                row[hash % 64] += ((hash >> 31) == 0 ? 1 : -1) * value;
            }
            foreach (var (hu, vu) in userFeatures)
            {
                foreach (var (hi, vi) in own)
                {
                    var q = unchecked((16777619u * hu) ^ hi);
                    row[q % 64] += ((q >> 31) == 0 ? 1 : -1) * vu * vi;
                }
            }
            return row;
        }
        var a1 = Action((FeatureHashing.Categorical(item, "genre", "news"), 1), (FeatureHashing.Numeric(item, "price"), 3.5));
        var a2 = Action((FeatureHashing.Categorical(item, "genre", "sport"), 1)); // price 0 adds nothing

        var stored = await StoredAsync(service, "rich", "e1");
        stored.Context.Should().Equal(context, (x, y) => Math.Abs(x - y) < 1e-9);
        stored.ActionFeatures.Take(64).Should().Equal(a1, (x, y) => Math.Abs(x - y) < 1e-9);
        stored.ActionFeatures.Skip(64).Should().Equal(a2, (x, y) => Math.Abs(x - y) < 1e-9);
        a1.Count(v => v != 0).Should().BeGreaterThan(8, "2 own features and 12 crossed ones spread over 64 buckets");
        a1.Any(v => v < 0).Should().BeTrue("about half the hashes carry a minus sign");
    }

    [Fact]
    public async Task Numbers_keep_working_and_a_loop_refuses_the_form_it_does_not_take()
    {
        await using var service = await RunningService.StartAsync();
        var both = await service.CreateLoopAsync("both", """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 2, "action-dimension": 4, "features": { "input": "both" } } }""");
        var numeric = await service.CreateLoopAsync("numeric", """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 2, "action-dimension": 4 } }""");
        var named = await service.CreateLoopAsync("named", """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 2, "action-dimension": 4, "features": { "input": "namespaces" } } }""");

        const string Numbers = """{ "eventId": "n1", "context": [0.5, -1], "actions": [ { "id": "a", "features": [1, 0, 0, 2] }, { "id": "b", "features": [0, 1, 0, 0] } ] }""";
        const string Mixed = """{ "eventId": "m1", "contextFeatures": [ { "u": { "x": 2 } } ], "actions": [ { "id": "a", "features": [1, 0, 0, 2] }, { "id": "b", "features": [ { "i": { "g": "news" } } ] } ] }""";
        (await service.PostAsync("/loops/both/rank", both, Numbers)).Status.Should().Be(HttpStatusCode.OK);
        (await service.PostAsync("/loops/numeric/rank", numeric, Numbers)).Status.Should().Be(HttpStatusCode.OK);
        (await service.PostAsync("/loops/both/rank", both, Mixed)).Status.Should().Be(HttpStatusCode.OK);
        var stored = await StoredAsync(service, "both", "n1");
        stored.Context.Should().Equal(0.5, -1);
        stored.ActionFeatures.Should().Equal(1, 0, 0, 2, 0, 1, 0, 0);
        var mixed = await StoredAsync(service, "both", "m1");
        mixed.ActionFeatures.Take(4).Should().Equal(1, 0, 0, 2);
        mixed.ActionFeatures.Skip(4).Count(v => v != 0).Should().Be(1);
        mixed.Context.Sum(Math.Abs).Should().Be(2);

        var (status, answer) = await service.PostAsync("/loops/numeric/rank", numeric, Mixed.Replace("m1", "m2", StringComparison.Ordinal));
        status.Should().Be(HttpStatusCode.BadRequest);
        answer.GetProperty("error").GetString().Should().Contain("contextFeatures").And.Contain("features.input");
        (status, answer) = await service.PostAsync("/loops/named/rank", named, Numbers.Replace("n1", "n2", StringComparison.Ordinal));
        status.Should().Be(HttpStatusCode.BadRequest);
        answer.GetProperty("error").GetString().Should().StartWith("context:").And.Contain("namespaces");
        (await service.GetAsync("/loops/named", named)).GetProperty("decisions").GetInt64().Should().Be(0);
    }

    [Theory]
    [InlineData("""[ { "user": "gold" } ]""", """[ { "item": { "g": "x" } } ]""", "contextFeatures[0].user must be an object of features")]
    [InlineData("""[ 3 ]""", """[ { "item": { "g": "x" } } ]""", "contextFeatures[0] must be an object of namespaces")]
    [InlineData("""[ { "user": { "tier": null } } ]""", """[ { "item": { "g": "x" } } ]""", "contextFeatures[0].user.tier must be text, a number, true/false")]
    [InlineData("""[ { "user": { "tier": "gold" } } ]""", """[ { "item": { "tags": ["a", 2] } } ]""", "actions[0].features[0].item.tags[1] must be text")]
    [InlineData("""[ { "user": { "age": 1e300 } } ]""", """[ { "item": { "g": "x" } } ]""", "contextFeatures[0].user.age is 1E+300")]
    [InlineData("""[ { "user": { "tier": "gold" } } ]""", """[ { "item": { "": 1 } } ]""", "actions[0].features[0].item.: a feature name has 1 to 256 characters")]
    [InlineData("""[ { "user": { "tier": "gold" } } ]""", """ "news" """, "actions[0].features must be a list of namespace objects")]
    public async Task Bad_namespaces_are_a_400_naming_the_request_part(string context, string features, string expected)
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("rich", Definition);
        var (status, answer) = await service.PostAsync("/loops/rich/rank", key, $$"""{ "contextFeatures": {{context}}, "actions": [ { "id": "a", "features": {{features}} } ] }""");
        status.Should().Be(HttpStatusCode.BadRequest, answer.ToString());
        answer.GetProperty("error").GetString().Should().Contain(expected);
    }

    [Fact]
    public async Task Too_many_features_and_bad_options_are_refused_naming_the_limit()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("small", """
            { "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 4, "action-dimension": 8,
              "features": { "input": "namespaces", "interactions": ["user:item"], "max-features": 10 } } }
            """);
        var tags = string.Join(", ", Enumerable.Range(0, 11).Select(i => $"\"t{i}\""));
        var (status, answer) = await service.PostAsync("/loops/small/rank", key, $$"""{ "contextFeatures": [ { "user": { "tags": [{{tags}}] } } ], "actions": [ { "id": "a", "features": [] } ] }""");
        status.Should().Be(HttpStatusCode.BadRequest);
        answer.GetProperty("error").GetString().Should().Contain("contextFeatures").And.Contain("features.max-features").And.Contain("10");
        // 4 user features x 3 item features = 12 crossed features: over the limit for the action, though each part alone is small.
        (status, answer) = await service.PostAsync("/loops/small/rank", key, """
            { "contextFeatures": [ { "user": { "a": 1, "b": 2, "c": 3, "d": 4 } } ], "actions": [ { "id": "a", "features": [ { "item": { "x": 1, "y": 2, "z": 3 } } ] } ] }
            """);
        status.Should().Be(HttpStatusCode.BadRequest);
        answer.GetProperty("error").GetString().Should().Contain("actions[0].features (with interactions)");

        foreach (var (options, field) in new[]
        {
            ("""{ "input": "namespaces", "interactions": ["user"] }""", "options.features.interactions[0]"),
            ("""{ "input": "namespaces", "interactions": ["user:user"] }""", "options.features.interactions[0]"),
            ("""{ "interactions": ["user:item"] }""", "options.features.interactions"),
            ("""{ "input": "words" }""", "options.features.input"),
        })
        {
            var created = await service.SendRawAsync(HttpMethod.Put, "/loops/bad", $$"""{ "policy": { "kind": "linucb-shared" }, "options": { "features": {{options}} } }""", adminKey: "admin-secret");
            created.Status.Should().Be(HttpStatusCode.BadRequest, options);
            created.Body.Should().Contain(field);
        }
    }

    /// <summary>
    /// A loop that sees only namespaces learns a preference that lives only in the user x item interaction: gold users like
    /// news, others like sport. After 400 logged rounds the served choice matches the preference far above the 50% of chance.
    /// </summary>
    [Fact]
    public async Task A_namespaced_loop_learns_a_preference_carried_by_an_interaction()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("learn", Definition);
        var rng = new Random(16); // test data only
        async Task<double> Round(int i)
        {
            var gold = rng.Next(2) == 0;
            var body = $$"""
                { "eventId": "r{{i}}", "contextFeatures": [ { "user": { "tier": "{{(gold ? "gold" : "silver")}}" } } ],
                  "actions": [ { "id": "news", "features": [ { "item": { "genre": "news" } } ] }, { "id": "sport", "features": [ { "item": { "genre": "sport" } } ] } ] }
                """;
            var (status, answer) = await service.PostAsync("/loops/learn/rank", key, body);
            status.Should().Be(HttpStatusCode.OK, answer.ToString());
            var chosen = answer.GetProperty("chosen").GetString();
            var reward = (chosen == "news") == gold ? 1.0 : 0.0;
            (await service.PostAsync($"/loops/learn/events/r{i}/reward", key, $$"""{ "value": {{reward}} }""")).Status.Should().Be(HttpStatusCode.OK);
            return reward;
        }
        for (var i = 0; i < 400; i++)
        {
            await Round(i);
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await service.GetAsync("/loops/learn", key)).GetProperty("learnedSequence").GetInt64() < 400 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var late = 0.0;
        for (var i = 400; i < 500; i++)
        {
            late += await Round(i);
        }
        late.Should().BeGreaterThan(80, "with epsilon 0.1 over 2 actions the best policy earns about 95 of 100");

        // The log holds the hashed vectors, so the loop's own log evaluates other policies as for a numeric loop.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/loops/learn/evaluations?last=400");
        request.Headers.Add("X-Api-Key", key);
        using var response = await service.Client.SendAsync(request);
        var evaluation = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        response.StatusCode.Should().Be(HttpStatusCode.OK, evaluation.ToString());
        double Estimate(string policy, string estimator) => evaluation.GetProperty("estimates").EnumerateArray()
            .Single(e => e.GetProperty("policy").GetString() == policy && e.GetProperty("estimator").GetString() == estimator).GetProperty("value").GetDouble();
        Estimate("random", "SNIPS").Should().BeApproximately(0.5, 0.1, "a coin flip earns half whatever the features");
    }
}
