using System.Text.Json.Nodes;
using Cobalt.Service.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Cobalt.Service.Api;

/// <summary>Which key a call needs: none, the service's admin key (<c>X-Admin-Key</c>) or the loop's API key (<c>X-Api-Key</c>).</summary>
internal enum KeyRequirement
{
    None,
    Admin,
    Loop,
}

/// <summary>
/// The body an operation reads. The handlers read their bodies themselves (to name the bad field, refuse duplicate keys and
/// lone surrogates), so this is documentation only: unlike <c>Accepts</c>, it does not make routing refuse other content types.
/// </summary>
internal sealed record ApiRequestBody(Type Type, string ContentType);

/// <summary>A header an operation reads (<see cref="Response"/> false) or answers with (true).</summary>
internal sealed record ApiHeader(string Name, string Description, bool Response, JsonSchemaType Type = JsonSchemaType.String);

/// <summary>Marks an endpoint that never calls the event store (so it cannot answer 503).</summary>
internal sealed record NoStoreAccess
{
    public static readonly NoStoreAccess Instance = new();
}

/// <summary>Example bodies of an operation (JSON text), shown in the OpenAPI document.</summary>
internal sealed record ApiExample(string? Request, string? Response);

/// <summary>
/// The OpenAPI 3.1 document, served at <see cref="DocumentPath"/>: every operation with its request and response schemas
/// (the records of <c>Cobalt.Service.Client</c>, which the handlers answer with), the security scheme it needs
/// (<c>adminKey</c>: header <c>X-Admin-Key</c>; <c>loopKey</c>: header <c>X-Api-Key</c>), every 4xx it can answer as
/// <c>application/problem+json</c> (<see cref="ServiceProblem"/>), 503 when the event store is unavailable, and examples.
/// <c>/metrics</c>, <c>/health</c> and <c>/ready</c> are not route handlers (OpenTelemetry's and the health checks'
/// middleware), so a document transformer adds them.
/// </summary>
internal static class ApiDocumentation
{
    /// <summary>Where the document is served.</summary>
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>Name of the admin key's security scheme.</summary>
    public const string AdminScheme = "adminKey";

    /// <summary>Name of the loop key's security scheme.</summary>
    public const string LoopScheme = "loopKey";

    private const string ProblemJson = "application/problem+json";

    /// <summary>Registers the document and its transformers.</summary>
    public static void Add(IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer(async (document, context, cancellationToken) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Cobalt rank/reward service",
                Version = "v1",
                Description = "Contextual-bandit loops: rank actions for a context (the decision is logged with its propensities), "
                    + "reward the chosen actions, learn online, evaluate candidate policies offline on the loop's own log. "
                    + "Errors are RFC 9457 problem details whose 'detail' (and 'error') names what is wrong.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                [AdminScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = Access.AdminKeyHeader,
                    Description = "The service's admin key (cobalt serve --admin-key, COBALT_ADMIN_KEY or Cobalt:AdminKey): creating, changing, deleting and listing loops, keys, models, erasing users' events, metrics.",
                },
                [LoopScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = Access.LoopKeyHeader,
                    Description = "The loop's API key, answered once by PUT /loops/{loop} (or POST /loops/{loop}/key): rank, reward, activate, events, evaluations, activity. A wrong key and an unknown loop get the same 403.",
                },
            };
            await AddMiddlewarePathsAsync(document, context, cancellationToken).ConfigureAwait(false);
        });
        o.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var key = metadata.OfType<KeyRequirement>().LastOrDefault();
            if (key != KeyRequirement.None)
            {
                operation.Security = [Requirement(key == KeyRequirement.Admin ? AdminScheme : LoopScheme, context.Document)];
            }
            if (metadata.OfType<ApiRequestBody>().LastOrDefault() is { } body)
            {
                var schema = body.Type == typeof(Stream)
                    ? new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" }
                    : await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken).ConfigureAwait(false);
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new() { Schema = schema } },
                };
            }
            foreach (var header in metadata.OfType<ApiHeader>().Where(h => !h.Response))
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = header.Name, In = ParameterLocation.Header, Required = false, Description = header.Description,
                    Schema = new OpenApiSchema { Type = header.Type },
                });
            }
            operation.Responses ??= [];
            if (operation.Responses.FirstOrDefault(r => r.Key.StartsWith('2')).Value is OpenApiResponse ok)
            {
                foreach (var header in metadata.OfType<ApiHeader>().Where(h => h.Response))
                {
                    ok.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    ok.Headers[header.Name] = new OpenApiHeader { Description = header.Description, Schema = new OpenApiSchema { Type = header.Type } };
                }
            }
            if (!operation.Responses.ContainsKey("503") && key != KeyRequirement.None && !metadata.OfType<NoStoreAccess>().Any())
            {
                operation.Responses["503"] = await ProblemResponseAsync("The event store is unavailable (after retries); Retry-After says when to try again.", context, cancellationToken).ConfigureAwait(false);
            }
            IOpenApiSchema? problem = null;
            foreach (var (status, response) in operation.Responses)
            {
                if (status.StartsWith('4') || status.StartsWith('5'))
                {
                    // Problem details with the service's 'error' member (and retryAfterSeconds on 503).
                    problem ??= await context.GetOrCreateSchemaAsync(typeof(ServiceProblem), null, cancellationToken).ConfigureAwait(false);
                    response.Description = Describe(status);
                    response.Content?.Clear();
                    response.Content?.Add(ProblemJson, new OpenApiMediaType { Schema = problem });
                }
            }
            if (metadata.OfType<ApiExample>().LastOrDefault() is { } example)
            {
                if (example.Request is { } request && operation.RequestBody?.Content?.TryGetValue("application/json", out var input) == true)
                {
                    input.Example = JsonNode.Parse(request);
                }
                if (example.Response is { } answer && operation.Responses.FirstOrDefault(r => r.Key.StartsWith('2')).Value?.Content?.TryGetValue("application/json", out var output) == true)
                {
                    output.Example = JsonNode.Parse(answer);
                }
            }
        });
        o.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(ActionFeatures))
            {
                // A custom converter: say what it reads (a vector of numbers, or namespaces of named numbers and strings).
                schema.Type = null;
                schema.Description = "A feature vector [numbers], or namespaces [{\"namespace\": {\"name\": number or text}}].";
                schema.OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Number } },
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        Items = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            AdditionalProperties = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Number | JsonSchemaType.String },
                            },
                        },
                    },
                ];
            }
            return Task.CompletedTask;
        });
    });

    /// <summary>Marks an endpoint with the key it needs.</summary>
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, KeyRequirement key)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(key);

    /// <summary>Declares the body an endpoint reads (documentation only, see <see cref="ApiRequestBody"/>).</summary>
    public static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder builder, string contentType) =>
        builder.WithMetadata(new ApiRequestBody(typeof(T), contentType));

    /// <summary>Declares a header the endpoint reads (<paramref name="response"/> false) or answers with.</summary>
    public static RouteHandlerBuilder Header(this RouteHandlerBuilder builder, string name, string description, bool response = false, JsonSchemaType type = JsonSchemaType.String) =>
        builder.WithMetadata(new ApiHeader(name, description, response, type));

    /// <summary>Declares the problem-details answers (4xx) an endpoint can give.</summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status, ProblemJson);
        }
        return builder;
    }

    /// <summary>Attaches example bodies (JSON text).</summary>
    public static RouteHandlerBuilder Example(this RouteHandlerBuilder builder, string? request, string? response) =>
        builder.WithMetadata(new ApiExample(request, response));

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static string Describe(int status) => status switch
    {
        400 => "The request is malformed: detail names the field, parameter or header.",
        401 => "The key is missing (X-Admin-Key for admin calls, X-Api-Key for loop calls).",
        403 => "The key is wrong (for loop calls: also when the loop does not exist), or an admin call came from another machine in --insecure-local mode.",
        404 => "The loop or event does not exist (or was deleted).",
        409 => "The request conflicts with the loop's state: detail says how.",
        410 => "The event is older than the loop's reward wait.",
        413 => "The body is larger than the service's limit.",
        429 => "Too many evaluations are waiting for this loop; Retry-After says when to try again.",
        503 => "The event store is unavailable (after retries); Retry-After says when to try again.",
        _ => "Refused: detail says why.",
    };

    private static string Describe(string status) => int.TryParse(status, out var s) ? Describe(s) : "Refused: detail says why.";

    private static async Task<OpenApiResponse> ProblemResponseAsync(string description, OpenApiOperationTransformerContext context, CancellationToken cancellationToken) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [ProblemJson] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(ServiceProblem), null, cancellationToken).ConfigureAwait(false) },
        },
    };

    /// <summary>Adds <c>/metrics</c>, <c>/health</c> and <c>/ready</c>, which are middleware rather than route handlers.</summary>
    private static async Task AddMiddlewarePathsAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var problem = await context.GetOrCreateSchemaAsync(typeof(ServiceProblem), null, cancellationToken).ConfigureAwait(false);
        OpenApiResponse Problem(int status) => new() { Description = Describe(status), Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = problem } } };
        OpenApiResponse Json(string description, IOpenApiSchema schema, string example) => new()
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema, Example = JsonNode.Parse(example) } },
        };
        var health = await context.GetOrCreateSchemaAsync(typeof(HealthResponse), null, cancellationToken).ConfigureAwait(false);
        var readiness = await context.GetOrCreateSchemaAsync(typeof(ReadinessResponse), null, cancellationToken).ConfigureAwait(false);
        document.Paths ??= [];
        document.Paths["/metrics"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    OperationId = "Metrics",
                    Summary = "Prometheus text format (admin key)",
                    Description = "OpenTelemetry's Prometheus exposition: per-loop rank/reward counters and latency histograms, learner lag, store errors, quarantined events, evaluation queue, ASP.NET Core's request durations.",
                    Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
                    Security = [Requirement(AdminScheme, document)],
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse
                        {
                            Description = "Prometheus text exposition format 0.0.4 (OpenMetrics when the scraper asks for it).",
                            Content = new Dictionary<string, OpenApiMediaType>
                            {
                                ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = JsonValue.Create("# TYPE cobalt_ranks_total counter\ncobalt_ranks_total{loop=\"news\"} 1042\n") },
                            },
                        },
                        ["401"] = Problem(401),
                        ["403"] = Problem(403),
                    },
                },
            },
        };
        document.Paths["/health"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    OperationId = "Health",
                    Summary = "Liveness: the process answers (no key)",
                    Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
                    Responses = new OpenApiResponses { ["200"] = Json("The process answers.", health, """{"status":"ok"}""") },
                },
            },
        };
        document.Paths["/ready"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    OperationId = "Ready",
                    Summary = "Readiness: the event store answers and the learner keeps up (no key)",
                    Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Json("Ready (quarantined or unloadable loops are listed, but do not make the process not-ready).", readiness,
                            """{"status":"ready","reasons":[],"learnerLagSeconds":0.12,"degradedLoops":[],"unloadableLoops":[],"checks":{"event-store":{"status":"Healthy","durationMilliseconds":0.4}}}"""),
                        ["503"] = Json("Not ready, with the reasons.", readiness,
                            """{"status":"not-ready","reasons":["the event store does not answer: connection refused"],"learnerLagSeconds":0.2,"degradedLoops":[],"unloadableLoops":[],"checks":{"event-store":{"status":"Unhealthy","durationMilliseconds":5000}}}"""),
                    },
                },
            },
        };
    }
}
