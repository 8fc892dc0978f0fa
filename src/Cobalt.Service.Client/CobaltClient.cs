using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cobalt.Service.Client;

/// <summary>
/// A typed client of the Cobalt rank/reward service over one <see cref="HttpClient"/>. Admin calls (create, list, change,
/// delete loops, rotate keys, models, erasing a user's events, metrics) send the admin key in <c>X-Admin-Key</c>; loop calls
/// (rank, reward, activate, events, evaluations, activity) go through <see cref="ForLoop"/>, which sends the loop's key in
/// <c>X-Api-Key</c>. A refused call throws <see cref="CobaltServiceException"/> with the status and the problem details.
/// </summary>
/// <remarks>Thread-safe: one client may serve many concurrent calls, as its <see cref="HttpClient"/> does.</remarks>
public sealed class CobaltClient : IDisposable
{
    /// <summary>Header of the admin key.</summary>
    public const string AdminKeyHeader = "X-Admin-Key";

    /// <summary>Header of a loop's API key.</summary>
    public const string LoopKeyHeader = "X-Api-Key";

    /// <summary>JSON options of the service's bodies: camelCase members, nulls left out of requests.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _adminKey;

    /// <summary>A client over <paramref name="http"/> (its BaseAddress is the service), with the admin key if admin calls are made.</summary>
    public CobaltClient(HttpClient http, string? adminKey = null, bool disposeHttpClient = false)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress (the service, e.g. http://127.0.0.1:5080).", nameof(http));
        }
        _adminKey = string.IsNullOrWhiteSpace(adminKey) ? null : adminKey;
        _ownsHttp = disposeHttpClient;
    }

    /// <summary>A client of the service at <paramref name="address"/> with its own pooled connections (at most <paramref name="connections"/>).</summary>
    public CobaltClient(Uri address, string? adminKey = null, int connections = int.MaxValue)
        : this(new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        }, adminKey, disposeHttpClient: true)
    {
    }

    /// <summary>The service's address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The calls of one loop, made with its API key.</summary>
    public LoopClient ForLoop(string loop, string apiKey) => new(this, loop, apiKey);

    /// <summary><c>PUT /loops/{loop}</c>: creates a loop (201 with its API key) or confirms an identical one (200, no key).</summary>
    public Task<LoopCreated> CreateLoopAsync(string loop, LoopDefinition definition, CancellationToken cancellationToken = default) =>
        SendAsync<LoopCreated>(HttpMethod.Put, Path(loop), Json(definition), admin: true, null, cancellationToken);

    /// <summary><c>GET /loops</c>: every loop with this process's counters.</summary>
    public Task<LoopList> ListLoopsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<LoopList>(HttpMethod.Get, "/loops", null, admin: true, null, cancellationToken);

    /// <summary><c>PATCH /loops/{loop}</c>: changes the options set in <paramref name="changes"/>; the model is kept.</summary>
    public Task<LoopChanged> ChangeLoopAsync(string loop, LoopSettings changes, CancellationToken cancellationToken = default) =>
        SendAsync<LoopChanged>(HttpMethod.Patch, Path(loop), Json(changes), admin: true, null, cancellationToken);

    /// <summary><c>DELETE /loops/{loop}</c>: deletes the loop with its whole log.</summary>
    public Task<LoopDeleted> DeleteLoopAsync(string loop, CancellationToken cancellationToken = default) =>
        SendAsync<LoopDeleted>(HttpMethod.Delete, Path(loop), null, admin: true, null, cancellationToken);

    /// <summary><c>POST /loops/{loop}/key</c>: a new API key for the loop (the old one stops working).</summary>
    public Task<LoopKey> RotateKeyAsync(string loop, CancellationToken cancellationToken = default) =>
        SendAsync<LoopKey>(HttpMethod.Post, Path(loop) + "/key", null, admin: true, null, cancellationToken);

    /// <summary><c>GET /loops/{loop}/model</c>: the loop's model state file with its checksum, sequence and kind.</summary>
    public async Task<ModelFile> ExportModelAsync(string loop, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Get, Path(loop) + "/model", null, admin: true, null, cancellationToken).ConfigureAwait(false);
        var state = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new ModelFile(state, Header(response, "X-Model-SHA256"),
            long.Parse(Header(response, "X-Model-Sequence"), CultureInfo.InvariantCulture), Header(response, "X-Model-Kind"));
    }

    /// <summary><c>PUT /loops/{loop}/model</c>: replaces the loop's model with a state file (checked against <paramref name="sha256"/> when given).</summary>
    public Task<ModelImported> ImportModelAsync(string loop, byte[] state, string? sha256 = null, CancellationToken cancellationToken = default)
    {
        var content = new ByteArrayContent(state ?? throw new ArgumentNullException(nameof(state)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return SendAsync<ModelImported>(HttpMethod.Put, Path(loop) + "/model", content, admin: true,
            sha256 is null ? null : r => r.Headers.Add("X-Model-SHA256", sha256), cancellationToken);
    }

    /// <summary><c>POST /loops/{loop}/model/reset</c>: an untrained model with the loop's options.</summary>
    public Task<ModelReset> ResetModelAsync(string loop, CancellationToken cancellationToken = default) =>
        SendAsync<ModelReset>(HttpMethod.Post, Path(loop) + "/model/reset", null, admin: true, null, cancellationToken);

    /// <summary><c>DELETE /loops/{loop}/users/{userKey}/events</c>: erases the events ranked with this user key.</summary>
    public Task<UserEventsErased> EraseUserEventsAsync(string loop, string userKey, CancellationToken cancellationToken = default) =>
        SendAsync<UserEventsErased>(HttpMethod.Delete, $"{Path(loop)}/users/{Uri.EscapeDataString(userKey)}/events", null, admin: true, null, cancellationToken);

    /// <summary><c>GET /metrics/json</c>: rank latency percentiles and per-loop counters.</summary>
    public Task<MetricsReport> GetMetricsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<MetricsReport>(HttpMethod.Get, "/metrics/json", null, admin: true, null, cancellationToken);

    /// <summary><c>GET /metrics</c>: the Prometheus text exposition.</summary>
    public async Task<string> GetPrometheusMetricsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/metrics", null, admin: true, null, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /health</c>: liveness.</summary>
    public Task<HealthResponse> GetHealthAsync(CancellationToken cancellationToken = default) =>
        SendAsync<HealthResponse>(HttpMethod.Get, "/health", null, admin: false, null, cancellationToken);

    /// <summary><c>GET /ready</c>: readiness; a not-ready service (503) is answered, not thrown.</summary>
    public async Task<ReadinessResponse> GetReadinessAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/ready", UriKind.Relative));
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable))
        {
            throw await CobaltServiceException.FromAsync(request, response, cancellationToken).ConfigureAwait(false);
        }
        return (await response.Content.ReadFromJsonAsync<ReadinessResponse>(JsonOptions, cancellationToken).ConfigureAwait(false))!;
    }

    internal async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, bool admin, Action<HttpRequestMessage>? prepare,
        CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content, admin, prepare, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(JsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new CobaltServiceException(response.StatusCode, $"{method} {path} answered {(int)response.StatusCode} with an empty body.", null, null);
    }

    internal async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, bool admin, Action<HttpRequestMessage>? prepare,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        if (admin && _adminKey is not null)
        {
            request.Headers.Add(AdminKeyHeader, _adminKey);
        }
        prepare?.Invoke(request);
        var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await CobaltServiceException.FromAsync(request, response, cancellationToken).ConfigureAwait(false);
            }
        }
        return response;
    }

    /// <summary>
    /// The body as UTF-8 JSON with its length known (<c>Content-Length</c>): <see cref="JsonContent"/> streams with chunked
    /// transfer encoding, which costs the server a chunk decoder and a pipe per request.
    /// </summary>
    internal static ByteArrayContent Json<T>(T body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    internal static string Path(string loop) => "/loops/" + Uri.EscapeDataString(loop ?? throw new ArgumentNullException(nameof(loop)));

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.First() : throw new CobaltServiceException(response.StatusCode, $"The answer has no {name} header.", null, null);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}

/// <summary>The calls of one loop, made with its API key (<c>X-Api-Key</c>); get one from <see cref="CobaltClient.ForLoop"/>.</summary>
public sealed class LoopClient
{
    private readonly CobaltClient _client;
    private readonly string _path;
    private readonly Action<HttpRequestMessage> _key;

    internal LoopClient(CobaltClient client, string loop, string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        _client = client;
        Loop = loop;
        _path = CobaltClient.Path(loop);
        _key = r => r.Headers.Add(CobaltClient.LoopKeyHeader, apiKey);
    }

    /// <summary>The loop's name.</summary>
    public string Loop { get; }

    /// <summary><c>GET /loops/{loop}</c>: the loop's state.</summary>
    public Task<LoopStatus> GetAsync(CancellationToken cancellationToken = default) =>
        _client.SendAsync<LoopStatus>(HttpMethod.Get, _path, null, admin: false, _key, cancellationToken);

    /// <summary><c>POST /loops/{loop}/rank</c>: ranks the actions; the decision is logged before the answer.</summary>
    public Task<RankResponse> RankAsync(RankRequest request, CancellationToken cancellationToken = default) =>
        _client.SendAsync<RankResponse>(HttpMethod.Post, _path + "/rank", CobaltClient.Json(request), admin: false, _key, cancellationToken);

    /// <summary><c>POST /loops/{loop}/events/{eventId}/reward</c>: the reward of one slot (slot 0 unless given).</summary>
    public Task<RewardResponse> RewardAsync(string eventId, double value, int? slot = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync<RewardResponse>(HttpMethod.Post, Event(eventId) + "/reward", CobaltClient.Json(new RewardRequest(value, slot)), admin: false, _key, cancellationToken);

    /// <summary><c>POST /loops/{loop}/events/{eventId}/activate</c>: activates an event ranked with deferActivation.</summary>
    public Task<ActivationResponse> ActivateAsync(string eventId, CancellationToken cancellationToken = default) =>
        _client.SendAsync<ActivationResponse>(HttpMethod.Post, Event(eventId) + "/activate", null, admin: false, _key, cancellationToken);

    /// <summary><c>GET /loops/{loop}/events/{eventId}</c>: a logged event with its slots, propensities and rewards.</summary>
    public Task<EventRecord> GetEventAsync(string eventId, CancellationToken cancellationToken = default) =>
        _client.SendAsync<EventRecord>(HttpMethod.Get, Event(eventId), null, admin: false, _key, cancellationToken);

    /// <summary>
    /// <c>GET /loops/{loop}/evaluations</c>: candidate policies compared on the loop's log (the last <paramref name="last"/>
    /// events; the loop's policy and standard alternatives unless <paramref name="candidates"/> are given).
    /// </summary>
    public Task<EvaluationReport> EvaluateAsync(int? last = null, IReadOnlyList<PolicyDefinition>? candidates = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (last is { } l)
        {
            query.Add("last=" + l.ToString(CultureInfo.InvariantCulture));
        }
        if (candidates is not null)
        {
            query.Add("candidates=" + Uri.EscapeDataString(JsonSerializer.Serialize(candidates, CobaltClient.JsonOptions)));
        }
        return _client.SendAsync<EvaluationReport>(HttpMethod.Get, _path + "/evaluations" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), null, admin: false, _key, cancellationToken);
    }

    /// <summary><c>GET /loops/{loop}/activity</c>: recent activity in buckets (window and step in seconds).</summary>
    public Task<LoopActivityReport> GetActivityAsync(int? window = null, int? step = null, CancellationToken cancellationToken = default)
    {
        var query = string.Join('&', new[] { ("window", window), ("step", step) }.Where(p => p.Item2 is not null)
            .Select(p => $"{p.Item1}={p.Item2!.Value.ToString(CultureInfo.InvariantCulture)}"));
        return _client.SendAsync<LoopActivityReport>(HttpMethod.Get, _path + "/activity" + (query.Length > 0 ? "?" + query : ""), null, admin: false, _key, cancellationToken);
    }

    private string Event(string eventId) => $"{_path}/events/{Uri.EscapeDataString(eventId)}";
}

/// <summary>A call the service refused (or answered with something other than the expected body): the status and the problem details.</summary>
public sealed class CobaltServiceException : Exception
{
    /// <summary>A refused call.</summary>
    public CobaltServiceException(HttpStatusCode status, string message, ServiceProblem? problem, TimeSpan? retryAfter)
        : base(message)
    {
        StatusCode = status;
        Problem = problem;
        RetryAfter = retryAfter;
    }

    /// <summary>Prefer the main constructor.</summary>
    public CobaltServiceException()
        : this(0, "The Cobalt service refused the call.", null, null)
    {
    }

    /// <summary>Prefer the main constructor.</summary>
    public CobaltServiceException(string message)
        : this(0, message, null, null)
    {
    }

    /// <summary>Prefer the main constructor.</summary>
    public CobaltServiceException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem details, when the answer had them.</summary>
    public ServiceProblem? Problem { get; }

    /// <summary>How long the service asked to wait (Retry-After on 429 and 503).</summary>
    public TimeSpan? RetryAfter { get; }

    internal static async Task<CobaltServiceException> FromAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        ServiceProblem? problem = null;
        try
        {
            problem = text.Length > 0 ? JsonSerializer.Deserialize<ServiceProblem>(text, CobaltClient.JsonOptions) : null;
        }
        catch (JsonException)
        {
        }
        var detail = problem?.Detail ?? problem?.Error ?? (text.Length > 0 ? text : response.ReasonPhrase);
        return new CobaltServiceException(response.StatusCode, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {detail}", problem,
            response.Headers.RetryAfter?.Delta);
    }
}
