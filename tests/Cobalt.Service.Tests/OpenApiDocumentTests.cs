using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

/// <summary>
/// The OpenAPI document of a started service (<c>GET /openapi/v1.json</c>): every route the service maps is in it, with a
/// schema'd request body where it reads one, a schema'd success answer, the key it needs as a security requirement, and
/// exactly the 4xx answers it can give (as problem details); the examples are real calls that work.
/// </summary>
public class OpenApiDocumentTests
{
    /// <summary>Every operation: its key (null: none), whether it reads a body, and the 4xx it answers.</summary>
    private static readonly Dictionary<string, (string? Scheme, bool Body, int[] Problems)> Expected = new()
    {
        ["PUT /loops/{loop}"] = ("adminKey", true, [400, 401, 403, 409, 413]),
        ["GET /loops"] = ("adminKey", false, [401, 403]),
        ["POST /loops/{loop}/key"] = ("adminKey", false, [401, 403, 404]),
        ["GET /loops/{loop}"] = ("loopKey", false, [401, 403]),
        ["PATCH /loops/{loop}"] = ("adminKey", true, [400, 401, 403, 404, 409, 413]),
        ["DELETE /loops/{loop}"] = ("adminKey", false, [401, 403, 404]),
        ["POST /loops/{loop}/rank"] = ("loopKey", true, [400, 401, 403, 404, 409, 413]),
        ["POST /loops/{loop}/events/{eventId}/reward"] = ("loopKey", true, [400, 401, 403, 404, 409, 410, 413]),
        ["POST /loops/{loop}/events/{eventId}/activate"] = ("loopKey", false, [400, 401, 403, 404, 410]),
        ["GET /loops/{loop}/events/{eventId}"] = ("loopKey", false, [400, 401, 403, 404]),
        ["GET /loops/{loop}/model"] = ("adminKey", false, [401, 403, 404]),
        ["PUT /loops/{loop}/model"] = ("adminKey", true, [400, 401, 403, 404, 409, 413]),
        ["POST /loops/{loop}/model/reset"] = ("adminKey", false, [401, 403, 404]),
        ["DELETE /loops/{loop}/users/{userKey}/events"] = ("adminKey", false, [400, 401, 403, 404]),
        ["GET /loops/{loop}/evaluations"] = ("loopKey", false, [400, 401, 403, 429]),
        ["GET /loops/{loop}/activity"] = ("loopKey", false, [400, 401, 403]),
        ["GET /loops/{loop}/dashboard"] = (null, false, []),
        ["GET /metrics/json"] = ("adminKey", false, [401, 403]),
        ["GET /metrics"] = ("adminKey", false, [401, 403]),
        ["GET /health"] = (null, false, []),
        ["GET /ready"] = (null, false, []),
    };

    [Fact]
    public async Task Every_route_has_schemas_its_key_and_its_4xx_answers()
    {
        await using var service = await RunningService.StartAsync();
        using var response = await service.Client.GetAsync("/openapi/v1.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        root.GetProperty("openapi").GetString().Should().StartWith("3.");

        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        foreach (var (name, header) in new[] { ("adminKey", "X-Admin-Key"), ("loopKey", "X-Api-Key") })
        {
            schemes.GetProperty(name).GetProperty("type").GetString().Should().Be("apiKey");
            schemes.GetProperty(name).GetProperty("in").GetString().Should().Be("header");
            schemes.GetProperty(name).GetProperty("name").GetString().Should().Be(header);
        }

        var operations = new Dictionary<string, JsonElement>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "patch" or "delete"))
            {
                operations[$"{operation.Name.ToUpperInvariant()} {path.Name}"] = operation.Value;
            }
        }
        // The document holds every route the service maps (less the document itself), and nothing else.
        var mapped = service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/openapi", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet();
        mapped.Should().BeSubsetOf(operations.Keys, "every mapped route is documented");
        operations.Keys.Should().BeEquivalentTo(Expected.Keys);

        foreach (var (name, (scheme, body, problems)) in Expected)
        {
            var operation = operations[name];
            var responses = operation.GetProperty("responses");
            var success = responses.EnumerateObject().Where(r => r.Name.StartsWith('2')).ToArray();
            success.Should().NotBeEmpty(name);
            foreach (var answer in success)
            {
                var content = answer.Value.GetProperty("content").EnumerateObject().ToArray();
                content.Should().NotBeEmpty($"{name} {answer.Name} has a body");
                content.Where(c => !c.Value.TryGetProperty("schema", out var _)).Should().BeEmpty($"{name} {answer.Name} has a schema");
            }
            if (body)
            {
                var request = operation.GetProperty("requestBody").GetProperty("content").EnumerateObject().Single();
                request.Value.TryGetProperty("schema", out var schema).Should().BeTrue(name);
                (schema.TryGetProperty("$ref", out _) || schema.TryGetProperty("type", out _)).Should().BeTrue($"{name}'s request schema is not empty");
            }
            else
            {
                operation.TryGetProperty("requestBody", out _).Should().BeFalse(name);
            }
            if (scheme is null)
            {
                operation.TryGetProperty("security", out _).Should().BeFalse(name);
            }
            else
            {
                operation.GetProperty("security").EnumerateArray().Single().EnumerateObject().Single().Name.Should().Be(scheme, name);
                responses.TryGetProperty("503", out _).Should().Be(!name.StartsWith("GET /metrics", StringComparison.Ordinal), $"{name} documents 503 if it reads the store");
            }
            var documented = responses.EnumerateObject().Where(r => r.Name.StartsWith('4')).Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
            documented.Should().Equal(problems, name);
            foreach (var status in problems)
            {
                var problem = responses.GetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                problem.GetProperty("description").GetString().Should().NotBeNullOrWhiteSpace();
                problem.GetProperty("content").GetProperty("application/problem+json").TryGetProperty("schema", out _).Should().BeTrue($"{name} {status}");
            }
        }

        // The schemas are the contract records, with their members (camelCase, loop options kebab-case).
        var schemas = root.GetProperty("components").GetProperty("schemas");
        Members(schemas, "RankResponse").Should().BeEquivalentTo("eventId", "slate", "chosen", "probabilities", "apprentice", "deferActivation");
        var rankRequest = operations["POST /loops/{loop}/rank"].GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        rankRequest.GetProperty("properties").EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(
            "actions", "context", "contextFeatures", "eventId", "excluded", "slateSize", "defaultAction", "userKey", "deferActivation");
        rankRequest.GetProperty("properties").GetProperty("actions").GetProperty("items").GetProperty("properties").GetProperty("features")
            .GetProperty("oneOf").GetArrayLength().Should().Be(2, "a vector or namespaces");
        rankRequest.GetProperty("properties").GetProperty("context").GetProperty("items").GetProperty("type").GetString().Should().Be("number", "numbers are not read from strings");
        Members(schemas, "LoopSettings").Should().Contain(["context-dimension", "reward-wait-seconds", "apprentice", "reward-aggregation", "features"]);
        foreach (var status in new[] { "400", "503" })
        {
            var problem = Resolve(schemas, operations["POST /loops/{loop}/rank"].GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/problem+json").GetProperty("schema"));
            problem.GetProperty("properties").EnumerateObject().Select(p => p.Name).Should().Contain(["status", "detail", "error"], "problem details keep the error member");
        }
        operations["GET /loops/{loop}/model"].GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/octet-stream", out _).Should().BeTrue();
        operations["GET /loops/{loop}/model"].GetProperty("responses").GetProperty("200").GetProperty("headers").EnumerateObject().Select(h => h.Name)
            .Should().BeEquivalentTo("X-Model-SHA256", "X-Model-Sequence", "X-Model-Kind");
        operations["PUT /loops/{loop}/model"].GetProperty("parameters").EnumerateArray().Should().Contain(p => p.GetProperty("name").GetString() == "X-Model-SHA256" && p.GetProperty("in").GetString() == "header");
        operations["PUT /loops/{loop}/model"].GetProperty("requestBody").GetProperty("content").GetProperty("application/octet-stream").GetProperty("schema").GetProperty("format").GetString().Should().Be("binary");

        // The examples are calls that work: create a loop from the create example, rank with the rank example, reward it.
        var create = Example(operations["PUT /loops/{loop}"], request: true);
        var key = await service.CreateLoopAsync("example", create);
        var (rankStatus, ranked) = await service.PostAsync("/loops/example/rank", key, Example(operations["POST /loops/{loop}/rank"], request: true));
        rankStatus.Should().Be(HttpStatusCode.OK, ranked.ToString());
        ranked.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(
            JsonDocument.Parse(Example(operations["POST /loops/{loop}/rank"], request: false)).RootElement.EnumerateObject().Select(p => p.Name),
            "the answer has the example's members");
        var (rewardStatus, rewarded) = await service.PostAsync($"/loops/example/events/{ranked.GetProperty("eventId").GetString()}/reward", key,
            Example(operations["POST /loops/{loop}/events/{eventId}/reward"], request: true));
        rewardStatus.Should().Be(HttpStatusCode.OK, rewarded.ToString());
        rewarded.GetProperty("accepted").GetBoolean().Should().BeTrue();
        var patch = Example(operations["PATCH /loops/{loop}"], request: true);
        using var change = new HttpRequestMessage(HttpMethod.Patch, "/loops/example") { Content = new StringContent(patch, Encoding.UTF8, "application/json") };
        change.Headers.Add("X-Admin-Key", service.Settings.AdminKey);
        using var changed = await service.Client.SendAsync(change);
        changed.StatusCode.Should().Be(HttpStatusCode.OK, await changed.Content.ReadAsStringAsync());
    }

    private static JsonElement Resolve(JsonElement schemas, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!.Split('/')[^1]) : schema;

    private static string[] Members(JsonElement schemas, string name) =>
        [.. schemas.GetProperty(name).GetProperty("properties").EnumerateObject().Select(p => p.Name)];

    private static string Example(JsonElement operation, bool request)
    {
        var content = request
            ? operation.GetProperty("requestBody").GetProperty("content")
            : operation.GetProperty("responses").EnumerateObject().First(r => r.Name.StartsWith('2')).Value.GetProperty("content");
        return content.GetProperty("application/json").GetProperty("example").GetRawText();
    }
}
