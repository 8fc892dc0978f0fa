using System.Net;
using System.Text;

namespace Cobalt.Service.Tests;

/// <summary>
/// Issue 15, input rules: event ids that could never be rewarded, lone surrogates, duplicate keys and dimensions that
/// overflow are a client's mistakes: each gets a 400 naming the field, never a 500, and nothing reaches the log.
/// </summary>
public class InputRulesTests
{
    private const string Definition = """{ "policy": { "kind": "linucb-shared", "options": { "features": "user-then-item" } }, "options": { "context-dimension": 1, "action-dimension": 2 } }""";

    private static string Rank(string eventIdJson, string actions = """[ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [0, 1] } ]""") =>
        $$"""{ "eventId": {{eventIdJson}}, "context": [1], "actions": {{actions}} }""";

    [Fact]
    public async Task Event_ids_use_a_documented_alphabet_so_every_ranked_event_can_be_rewarded()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("ids", Definition);

        // Every allowed character, at the longest allowed length, ranks and is rewarded through the URL path.
        var longest = ("Az09._~:-" + new string('x', 128))[..128];
        foreach (var id in new[] { "Az09._~:-", longest })
        {
            var (status, body) = await service.PostAsync("/loops/ids/rank", key, Rank($"\"{id}\""));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            (await service.PostAsync($"/loops/ids/events/{id}/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK, id);
        }

        // Ids that could never be rewarded (or are too long) are refused at rank, naming the field and the rule.
        foreach (var id in new[] { "a/b", "a b", "a?b", "a#b", "é", "a%2Fb", "", new string('x', 129) })
        {
            var (status, body) = await service.PostAsync("/loops/ids/rank", key, Rank($"\"{id}\""));
            status.Should().Be(HttpStatusCode.BadRequest, $"event id '{id}'");
            body.GetProperty("error").GetString().Should().Contain("eventId").And.Contain("A-Z a-z 0-9 . _ ~ : -").And.Contain("128");
        }
        (await service.GetAsync("/loops/ids", key)).GetProperty("decisions").GetInt64().Should().Be(2, "refused ranks are not logged");
    }

    [Fact]
    public async Task A_lone_surrogate_anywhere_in_a_request_is_a_400_naming_where()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("text", Definition);
        (await service.PostAsync("/loops/text/rank", key, Rank("\"ok\""))).Status.Should().Be(HttpStatusCode.OK);

        var cases = new (string Path, string Body, string Where)[]
        {
            ("/loops/text/rank", Rank("\"e\\ud800\""), "eventId"),
            ("/loops/text/rank", Rank("\"e\\udfff1\""), "eventId"),
            ("/loops/text/rank", Rank("\"e1\"", """[ { "id": "a\ud83d", "features": [1, 0] } ]"""), "actions[0].id"),
            ("/loops/text/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "excluded": ["\udc00"] }""", "excluded[0]"),
            ("/loops/text/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "x\ud800": 1 }""", "key"),
            ("/loops/text/events/ok/reward", """{ "value": 1, "\ud800": 0 }""", "key"),
        };
        foreach (var (path, body, where) in cases)
        {
            var (status, answer) = await service.PostAsync(path, key, body);
            status.Should().Be(HttpStatusCode.BadRequest, body);
            answer.GetProperty("error").GetString().Should().Contain("lone UTF-16 surrogate").And.Contain(where);
        }

        // A surrogate encoded straight into UTF-8 bytes (not valid UTF-8) is refused too, not silently replaced.
        using (var raw = new HttpRequestMessage(HttpMethod.Post, "/loops/text/rank"))
        {
            var bytes = Encoding.UTF8.GetBytes(Rank("\"eX\"")).ToList();
            var at = bytes.IndexOf((byte)'X');
            bytes.RemoveAt(at);
            bytes.InsertRange(at, [0xED, 0xA0, 0x80]);
            raw.Content = new ByteArrayContent([.. bytes]);
            raw.Headers.Add("X-Api-Key", key);
            using var response = await service.Client.SendAsync(raw);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            (await response.Content.ReadAsStringAsync()).Should().Contain("not valid UTF-8");
        }

        // In the path (percent-encoded) and in a loop definition or evaluation candidates.
        var (pathStatus, _, _) = await service.SendRawAsync(HttpMethod.Post, "/loops/text/events/%ED%A0%80/reward", """{ "value": 1 }""", apiKey: key);
        ((int)pathStatus).Should().BeInRange(400, 499);
        var (putStatus, putBody, _) = await service.SendRawAsync(HttpMethod.Put, "/loops/other",
            """{ "policy": { "kind": "linucb-shared", "name": "x\ud800" }, "options": { "context-dimension": 1, "action-dimension": 2 } }""", adminKey: "admin-secret");
        putStatus.Should().Be(HttpStatusCode.BadRequest, putBody);
        putBody.Should().Contain("policy.name").And.Contain("lone UTF-16 surrogate");
        var candidates = Uri.EscapeDataString("""[{ "kind": "random", "name": "\ud800" }]""");
        var (evaluationStatus, evaluationBody, _) = await service.SendRawAsync(HttpMethod.Get, $"/loops/text/evaluations?candidates={candidates}", apiKey: key);
        evaluationStatus.Should().Be(HttpStatusCode.BadRequest, evaluationBody);
        evaluationBody.Should().Contain("candidates").And.Contain("lone UTF-16 surrogate");

        (await service.GetAsync("/loops/text", key)).GetProperty("decisions").GetInt64().Should().Be(1);
    }

    [Fact]
    public async Task Duplicate_json_keys_are_refused_not_silently_taken()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("keys", Definition);
        (await service.PostAsync("/loops/keys/rank", key, Rank("\"first\""))).Status.Should().Be(HttpStatusCode.OK);

        var cases = new (string Path, string Body, string Key)[]
        {
            ("/loops/keys/rank", """{ "context": [5], "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ] }""", "'context'"),
            ("/loops/keys/rank", """{ "context": [1], "actions": [ { "id": "a", "id": "b", "features": [1, 0] } ] }""", "'actions[0].id'"),
            ("/loops/keys/rank", """{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "\u0061ctions": [] }""", "'actions'"),
            ("/loops/keys/events/first/reward", """{ "value": 0, "value": 1 }""", "'value'"),
        };
        foreach (var (path, body, duplicate) in cases)
        {
            var (status, answer) = await service.PostAsync(path, key, body);
            status.Should().Be(HttpStatusCode.BadRequest, body);
            answer.GetProperty("error").GetString().Should().Contain("twice").And.Contain(duplicate);
        }
        var (putStatus, putBody, _) = await service.SendRawAsync(HttpMethod.Put, "/loops/other",
            """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 1, "action-dimension": 2, "seed": 1, "seed": 2 } }""", adminKey: "admin-secret");
        putStatus.Should().Be(HttpStatusCode.BadRequest, putBody);
        putBody.Should().Contain("'options.seed' twice");

        var logged = await service.GetAsync("/loops/keys/events/first", key);
        logged.GetProperty("slots")[0].GetProperty("reward").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "the duplicated reward was not taken");
        (await service.GetAsync("/loops/keys", key)).GetProperty("decisions").GetInt64().Should().Be(1);
    }

    [Fact]
    public async Task Dimensions_beyond_the_limits_are_a_400_naming_the_option_never_a_500()
    {
        await using var service = await RunningService.StartAsync();

        var cases = new (string Options, string Features, string Field)[]
        {
            (""" "context-dimension": 100000, "action-dimension": 2 """, "user-then-item", "options.context-dimension"),
            (""" "context-dimension": 1, "action-dimension": 2147483647 """, "item", "options.action-dimension"),
            (""" "context-dimension": 100, "action-dimension": 100 """, "user-outer-item", "policy.options.features"),
            (""" "context-dimension": 65537, "action-dimension": 65537 """, "user-outer-item", "options.context-dimension"),
        };
        foreach (var (options, features, field) in cases)
        {
            var definition = $$"""{ "policy": { "kind": "linucb-shared", "options": { "features": "{{features}}" } }, "options": { {{options}} } }""";
            var (status, body, _) = await service.SendRawAsync(HttpMethod.Put, "/loops/huge", definition, adminKey: "admin-secret");
            status.Should().Be(HttpStatusCode.BadRequest, $"{definition}: {body}");
            body.Should().Contain(field);
        }

        // Within the limits, a loop refuses too many actions, too large a slate and feature vectors beyond its dimensions.
        var key = await service.CreateLoopAsync("small", """{ "policy": { "kind": "linucb-shared" }, "options": { "context-dimension": 1, "action-dimension": 2, "max-actions": 2, "max-slate-size": 2 } }""");
        var rank = new (string Body, string Message)[]
        {
            ("""{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [1, 0] }, { "id": "c", "features": [1, 0] } ] }""", "3 actions exceed this loop's limit of 2"),
            ("""{ "context": [1], "actions": [ { "id": "a", "features": [1, 0] } ], "slateSize": 3 }""", "slateSize must be a whole number from 1 to 2"),
            ($$"""{ "context": [1], "actions": [ { "id": "a", "features": [{{string.Join(",", Enumerable.Repeat("1", 5000))}}] } ] }""", "actions[0].features has 5000 values; the limit is 4096"),
        };
        foreach (var (body, message) in rank)
        {
            var (status, answer) = await service.PostAsync("/loops/small/rank", key, body);
            status.Should().Be(HttpStatusCode.BadRequest);
            answer.GetProperty("error").GetString().Should().Contain(message);
        }
    }
}
