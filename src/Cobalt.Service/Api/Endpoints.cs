using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Service.Client;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cobalt.Service.Api;

/// <summary>
/// The HTTP API: <c>PUT /loops/{loop}</c> creates a loop from a policy specification; <c>POST /loops/{loop}/rank</c> ranks
/// actions for a context and logs the decision with its propensities before answering; <c>POST
/// /loops/{loop}/events/{eventId}/reward</c> logs a reward; <c>GET /loops/{loop}</c> and <c>/health</c> report. Admin calls
/// (see <see cref="Access"/>): <c>PUT /loops/{loop}</c>, <c>GET /loops</c>, <c>POST /loops/{loop}/key</c> (rotate the loop's
/// key), <c>GET /metrics</c> (Prometheus text, see <see cref="MetricsEndpoint"/>) and <c>GET /metrics/json</c>. Every malformed request gets a 4xx answer with a message naming what is wrong
/// (<see cref="InputRules"/>), as RFC 9457 problem details (<see cref="Error"/>).
/// </summary>
internal static class Endpoints
{
    /// <summary>The largest model feature dimension a loop may ask for (for example context x action with user-outer-item features).</summary>
    public const int MaxModelFeatures = 4096;

    public static void Map(IEndpointRouteBuilder app, LoopRegistry loops, ServiceSettings settings, Access access, LatencyRecorder latency, ServiceMetrics metrics, TimeProvider time)
    {
        if (settings.PostgresConnectionString is { Length: > 0 })
        {
            // Other processes sharing the store may rotate keys: re-read the stored hashes now and then.
            var lifetime = app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>();
            _ = Task.Run(() => access.SweepAsync(lifetime.ApplicationStopping));
        }

        app.MapPut("/loops/{loop}", (string loop, HttpContext http) => Handle(http, async () =>
        {
            access.RequireAdmin(http, "Creating a loop");
            CheckName(loop);
            var body = await ReadBodyAsync(http, settings).ConfigureAwait(false);
            string? key;
            try
            {
                CheckDefinition(body, settings);
                key = await loops.CreateAsync(loop, body, http.RequestAborted).ConfigureAwait(false);
            }
            catch (OptionsException e)
            {
                throw new BadRequestException(400, e.Message);
            }
            catch (Exception e) when (e is OverflowException or OutOfMemoryException)
            {
                throw new BadRequestException(400, $"The policy does not fit in memory with these dimensions ({e.Message}); use smaller context-dimension / action-dimension.");
            }
            catch (InvalidOperationException e)
            {
                throw new BadRequestException(409, e.Message);
            }
            if (key is not null)
            {
                ServiceLog.LoopCreated(loops.Logger, loop, (await loops.FindAsync(loop, http.RequestAborted).ConfigureAwait(false))?.Spec.Kind ?? "?");
            }
            return key is null
                ? Results.Ok(new LoopCreated(loop, false))
                : Results.Json(new LoopCreated(loop, true, key), statusCode: 201);
        })).WithName("CreateLoop").WithDescription("Create a loop (admin key): {\"policy\": {\"kind\", \"options\"}, \"options\": loop options}. Answers the loop's API key once.")
            .WithTags("Loops").RequireKey(KeyRequirement.Admin).Body<LoopDefinition>("application/json")
            .Produces<LoopCreated>(201).Produces<LoopCreated>(200).Problems(400, 401, 403, 409, 413)
            .Example("""{"policy":{"kind":"linucb-shared","options":{"features":"user-then-item","alpha":0.5}},"options":{"context-dimension":2,"action-dimension":2,"reward-wait-seconds":60}}""",
                """{"loop":"news","created":true,"apiKey":"k3Yx...one-time"}""");

        app.MapGet("/loops", (Func<HttpContext, Task<IResult>>)(http => Handle(http, async () =>
        {
            access.RequireAdmin(http, "Listing loops");
            await loops.LoadAsync(http.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new LoopList([.. loops.All.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => new LoopSummary(
                l.Name, l.Spec.Kind, Interlocked.Read(ref l.Ranks), Interlocked.Read(ref l.Rewards), l.LearnedSequence, l.Options.Apprentice))]));
        }))).WithName("ListLoops").WithDescription("Every loop of the store with its policy kind and this process's counters (admin key).")
            .WithTags("Loops").RequireKey(KeyRequirement.Admin).Produces<LoopList>().Problems(401, 403);

        app.MapPost("/loops/{loop}/key", (string loop, HttpContext http) => Handle(http, async () =>
        {
            access.RequireAdmin(http, "Rotating a loop's key");
            var l = await loops.FindAsync(loop, http.RequestAborted).ConfigureAwait(false)
                ?? throw new BadRequestException(404, $"There is no loop '{loop}'.");
            var key = await access.RotateAsync(l, http.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new LoopKey(l.Name, key));
        })).WithName("RotateLoopKey").WithDescription("Give the loop a new API key (admin key); the old key stops working. Answers the new key once.")
            .WithTags("Loops").RequireKey(KeyRequirement.Admin).Produces<LoopKey>().Problems(401, 403, 404);

        app.MapGet("/loops/{loop}", (string loop, HttpContext http) => Handle(http, async () =>
        {
            var l = await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            var (decisions, rewards) = await loops.Store.CountAsync(loop, http.RequestAborted).ConfigureAwait(false);
            var health = loops.Health(l.Name);
            return Results.Ok(new LoopStatus(l.Name, l.Spec.Kind, decisions, rewards, l.LearnedSequence, l.CheckpointSequence, l.Options.Apprentice,
                health.Status, health.Quarantine, health.DamagedEvents, health.Problems,
                l.Options.Apprentice ? "apprentice" : Core.Configuration.Names.Kebab(l.Exploration.ToString()), l.RefusedUpdates, l.LastRefusal,
                Interlocked.Read(ref l.InactiveSkipped), Interlocked.Read(ref l.RetentionDeleted), LifecycleEndpoints.Settings(l.Options)));
        })).WithName("GetLoop").WithDescription("The loop's state: its log counts, learning progress, health (quarantine, damaged events, problems) and options (loop key).")
            .WithTags("Loops").RequireKey(KeyRequirement.Loop).Produces<LoopStatus>().Problems(401, 403);

        app.MapPost("/loops/{loop}/rank", (string loop, HttpContext http) => Handle(http, async () =>
        {
            var started = Stopwatch.GetTimestamp();
            using var span = ServiceTracing.Start(ServiceTracing.Rank, loop);
            var l = await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            RankRequest request;
            using (var body = await ReadUtf8Async(http, settings).ConfigureAwait(false))
            {
                // A plain numeric body is read straight into the action matrix; anything else (namespaces, ONNX, a mistake) the general way.
                if (RankReader.TryParse(body.Text.Span, l.Options, settings.MaxFeatures) is { } fast)
                {
                    request = fast;
                }
                else
                {
                    using var json = InputRules.ParseJson(body.Text, "The body");
                    using var vectors = Features.RankFeatures.Transform(json.RootElement, l.Options, settings.MaxFeatures); // namespaces, ONNX
                    request = RankRequest.Parse(vectors?.RootElement ?? json.RootElement, l.Options, settings.MaxFeatures);
                }
            }
            var eligible = request.Actions.Where(a => !request.Excluded.Contains(a.Id)).ToArray();
            var ids = await loops.ActionIdsAsync(l, [.. eligible.Select(a => a.Id)], http.RequestAborted).ConfigureAwait(false);
            var dimension = l.Options.ActionDimension;
            double[] features;
            if (request.Matrix is { } matrix && eligible.Length == request.Actions.Count)
            {
                features = matrix; // every action is eligible: the parser's matrix is the candidates' (no copy)
            }
            else
            {
                features = new double[eligible.Length * dimension];
                for (var i = 0; i < eligible.Length; i++)
                {
                    eligible[i].Features.Span.CopyTo(features.AsSpan(i * dimension)); // each has the loop's dimension (RankRequest checked)
                }
            }
            var context = new DecisionContext(Interlocked.Increment(ref l.Ranks), DecisionContext.NoUser, request.Context,
                CandidateSet.FromFeatures(ids, new FeatureMatrix(eligible.Length, l.Options.ActionDimension, features)));
            var eventId = request.EventId ?? Guid.NewGuid().ToString("N");
            Decision decision;
            if (l.Options.Apprentice)
            {
                var index = Array.FindIndex(eligible, a => a.Id == request.DefaultAction);
                decision = new Decision(context, [new SlateSlot(index, ids[index], 1.0)],
                    firstSlotProbabilities: eligible.Select((_, i) => i == index ? 1.0 : 0.0).ToArray());
            }
            else
            {
                decision = l.Select(context, request.SlateSize, eventId);
            }
            var stored = new StoredDecision(request.Context, ids, features, decision.Slots.Select(s => s.CandidateIndex).ToArray(),
                decision.Slots.Select(s => s.Propensity ?? double.NaN).ToArray(), decision.FirstSlotProbabilities?.ToArray());
            if (l.Deleted)
            {
                throw new BadRequestException(404, $"Loop '{loop}' was deleted.");
            }
            span?.SetTag("cobalt.event_id", eventId);
            span?.SetTag("cobalt.slate_size", decision.Slots.Count);
            using var append = ServiceTracing.Start(ServiceTracing.StoreAppend, loop);
            append?.SetTag("cobalt.store.record", "decision");
            try
            {
                var marks = new DecisionMarks(request.UserKey is { } user ? LifecycleEndpoints.UserKeyHash(loop, user) : null, request.DeferActivation);
                await loops.Store.AppendDecisionAsync(loop, eventId, time.GetUtcNow().ToUnixTimeMilliseconds(), decision.Slots.Count, stored.ToBytes(), marks, http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not (DuplicateEventException or UnknownLoopException) && ServiceTracing.Source.HasListeners())
            {
                ServiceTracing.Fail(append, e);
                throw;
            }
            catch (DuplicateEventException)
            {
                throw new BadRequestException(409, $"event '{eventId}' already exists in this loop; event ids are used once.");
            }
            catch (UnknownLoopException)
            {
                l.Deleted = true; // deleted by another process sharing the store
                loops.Remove(l);
                throw new BadRequestException(404, $"Loop '{loop}' was deleted.");
            }
            append?.Dispose();
            latency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            metrics.Ranked(l.Name, started);
            l.Activity.RecordRank();
            var slate = decision.Slots.Select(s => new SlateEntry(eligible[s.CandidateIndex].Id, s.Propensity)).ToArray();
            // Every eligible action with its probability of being chosen first, when the policy has a closed form.
            var probabilities = decision.FirstSlotProbabilities?.Select((p, i) => new ActionProbability(eligible[i].Id, p)).ToArray();
            return Results.Ok(new RankResponse(eventId, slate, slate[0].Id, probabilities, l.Options.Apprentice, request.DeferActivation));
        })).WithName("Rank").WithDescription("Rank actions for a context; the decision is logged (with its propensities) before the answer.")
            .WithTags("Decisions").RequireKey(KeyRequirement.Loop).Body<Client.RankRequest>("application/json").Produces<RankResponse>()
            .Problems(400, 401, 403, 404, 409, 413)
            .Example("""{"context":[0.2,1.0],"actions":[{"id":"article-1","features":[0.5,0.1]},{"id":"article-2","features":[0.0,0.9]}],"userKey":"user-17"}""",
                """{"eventId":"5f0c2a9e8b7d4c1fa3e6d2b1c0a9f8e7","slate":[{"id":"article-2","probability":0.8}],"chosen":"article-2","probabilities":[{"id":"article-1","probability":0.2},{"id":"article-2","probability":0.8}],"apprentice":false,"deferActivation":false}""");

        app.MapPost("/loops/{loop}/events/{eventId}/reward", (string loop, string eventId, HttpContext http) => Handle(http, async () =>
        {
            var started = Stopwatch.GetTimestamp();
            using var span = ServiceTracing.Start(ServiceTracing.Reward, loop);
            span?.SetTag("cobalt.event_id", eventId);
            var l = await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            CheckRouteEventId(eventId);
            double? value = null;
            var slot = 0;
            using (var json = await ReadJsonAsync(http, settings).ConfigureAwait(false))
            {
                if (json.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new BadRequestException(400, "The body must be a JSON object {\"value\": number, \"slot\"?: number}.");
                }
                foreach (var member in json.RootElement.EnumerateObject())
                {
                    switch (member.Name)
                    {
                        case "value":
                            value = member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetDouble(out var v) && double.IsFinite(v)
                                ? v
                                : throw new BadRequestException(400, "value must be a finite number.");
                            break;
                        case "slot":
                            slot = member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt32(out var s) && s >= 0
                                ? s
                                : throw new BadRequestException(400, "slot must be a whole number of at least 0.");
                            break;
                        default:
                            throw new BadRequestException(400, $"Unknown field '{member.Name}'; allowed: value, slot.");
                    }
                }
            }
            if (value is not { } reward)
            {
                throw new BadRequestException(400, "value is missing.");
            }
            if (reward < l.Options.RewardMin || reward > l.Options.RewardMax)
            {
                throw new BadRequestException(400, $"value {reward} is outside this loop's reward range [{l.Options.RewardMin}, {l.Options.RewardMax}].");
            }
            var options = l.Options;
            RewardOutcome outcome;
            using (var append = ServiceTracing.Start(ServiceTracing.StoreAppend, loop))
            {
                append?.SetTag("cobalt.store.record", "reward");
                outcome = await loops.Store.AppendRewardAsync(loop, eventId, slot, reward, time.GetUtcNow().ToUnixTimeMilliseconds(),
                    (long)(options.RewardWaitSeconds * 1000), options.RewardAggregation, http.RequestAborted).ConfigureAwait(false);
            }
            span?.SetTag("cobalt.reward.outcome", Core.Configuration.Names.Kebab(outcome.ToString()));
            return outcome switch
            {
                RewardOutcome.Accepted => Accepted(l, eventId, slot, metrics, started),
                RewardOutcome.Ignored => Results.Ok(new RewardResponse(eventId, slot, false, $"slot {slot} already has a reward and this loop keeps the earliest (reward-aggregation earliest).")),
                RewardOutcome.NotActivated => throw new BadRequestException(409, $"event '{eventId}' was ranked with deferActivation and is not activated: POST /loops/{loop}/events/{eventId}/activate first (a slate never shown takes no reward)."),
                RewardOutcome.UnknownEvent => throw new BadRequestException(404, $"event '{eventId}' is not in loop '{loop}'."),
                RewardOutcome.Expired => throw new BadRequestException(410, $"event '{eventId}' is older than the reward wait of {l.Options.RewardWaitSeconds} s; it has been given the default reward."),
                RewardOutcome.Duplicate => throw new BadRequestException(409, $"slot {slot} of event '{eventId}' already has a reward (this loop's reward-aggregation is reject; PATCH it to sum, earliest or last to take more)."),
                _ => throw new BadRequestException(400, $"event '{eventId}' has no slot {slot}."),
            };
        })).WithName("Reward").WithDescription("Record the reward of one slot of a ranked event.")
            .WithTags("Decisions").RequireKey(KeyRequirement.Loop).Body<RewardRequest>("application/json").Produces<RewardResponse>()
            .Problems(400, 401, 403, 404, 409, 410, 413)
            .Example("""{"value":1,"slot":0}""", """{"eventId":"5f0c2a9e8b7d4c1fa3e6d2b1c0a9f8e7","slot":0,"accepted":true}""");

        app.MapGet("/loops/{loop}/events/{eventId}", (string loop, string eventId, HttpContext http) => Handle(http, async () =>
        {
            await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            CheckRouteEventId(eventId);
            var e = await loops.Store.GetEventAsync(loop, eventId, http.RequestAborted).ConfigureAwait(false)
                ?? throw new BadRequestException(404, $"event '{eventId}' is not in loop '{loop}'.");
            return Results.Ok(new EventRecord(e.EventId, e.Sequence, e.CreatedMilliseconds, e.Damage, [.. e.Decision.Chosen.Select((c, i) => new EventSlot(
                e.Decision.ActionIds[c],
                double.IsNaN(e.Decision.Propensities[i]) ? null : e.Decision.Propensities[i],
                double.IsNaN(e.Rewards[i]) ? null : e.Rewards[i]))]));
        })).WithName("GetEvent").WithDescription("A logged event with its chosen actions (dense ids), propensities and rewards so far.")
            .WithTags("Decisions").RequireKey(KeyRequirement.Loop).Produces<EventRecord>().Problems(400, 401, 403, 404);

        app.MapGet("/metrics/json", (Func<HttpContext, Task<IResult>>)(http => Handle(http, () =>
        {
            access.RequireAdmin(http, "Reading /metrics/json");
            var (p50, p99) = latency.Percentiles();
            return Task.FromResult(Results.Ok(new MetricsReport(new LatencyPercentiles(p50, p99),
                [.. loops.All.Select(l => new LoopCounters(l.Name, Interlocked.Read(ref l.Ranks), Interlocked.Read(ref l.Rewards), Interlocked.Read(ref l.Learned), l.LearnedSequence, l.CheckpointSequence, l.RefusedUpdates))])));
        }))).WithName("MetricsJson").WithDescription("Rank latency p50/p99 and per-loop counters as JSON (admin key); GET /metrics has them in Prometheus text format.")
            .WithTags("Operations").RequireKey(KeyRequirement.Admin).WithMetadata(NoStoreAccess.Instance).Produces<MetricsReport>().Problems(401, 403);
    }

    private static IResult Accepted(Loop loop, string eventId, int slot, ServiceMetrics metrics, long started)
    {
        Interlocked.Increment(ref loop.Rewards);
        metrics.Rewarded(loop.Name, started);
        loop.Activity.RecordReward();
        return Results.Ok(new RewardResponse(eventId, slot, true));
    }

    /// <summary>Runs a handler, turning refused requests into their status and message, and anything unexpected into a 500 that says so.</summary>
    internal static async Task<IResult> Handle(HttpContext http, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (BadRequestException e)
        {
            return Error(e.Status, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            return Error(e.StatusCode, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.StatusCode(499);
        }
    }

    /// <summary>
    /// The answer to a refused request: RFC 9457 problem details (<c>application/problem+json</c>) written by ASP.NET Core's
    /// <see cref="IProblemDetailsService"/>: <c>type</c> and <c>title</c> of the status, <c>status</c>, <c>detail</c> (the
    /// message naming what is wrong), <c>instance</c> (the request path) and <c>error</c> (the same
    /// message; the member every earlier client reads).
    /// </summary>
    internal static IResult Error(int status, string message) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Detail = message, Extensions = { ["error"] = message } });

    /// <summary>An event id from a route: any id a rank call ever accepted may be looked up, but never a lone surrogate (the store could not encode it).</summary>
    internal static void CheckRouteEventId(string eventId)
    {
        if (InputRules.HasLoneSurrogate(eventId))
        {
            throw new BadRequestException(400, "The event id in the path has a lone UTF-16 surrogate; event ids use " + InputRules.EventIdAlphabet + ".");
        }
    }

    private static void CheckName(string loop)
    {
        if (loop.Length is 0 or > 64 || !loop.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new BadRequestException(400, "A loop name has 1 to 64 letters, digits, '-', '_' or '.'.");
        }
    }

    /// <summary>
    /// Checks a loop definition before the registry builds its policy: the JSON rules, each dimension at most
    /// <see cref="ServiceSettings.MaxFeatures"/>, and every feature map of the policy at most <see cref="MaxModelFeatures"/>
    /// features (so a definition cannot make the service allocate a huge model or overflow a size).
    /// </summary>
    private static void CheckDefinition(string body, ServiceSettings settings)
    {
        using var json = InputRules.ParseJson(body, "The body");
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            return; // the registry names this mistake
        }
        var options = new LoopOptions();
        PolicySpec? spec = null;
        foreach (var member in json.RootElement.EnumerateObject())
        {
            if (member.Name == "options")
            {
                options = OptionsBinder.Bind<LoopOptions>(member.Value, "options");
            }
            else if (member.Name == "policy")
            {
                spec = PolicyCatalog.ParseSpec(member.Value, "policy");
            }
        }
        foreach (var (name, value) in new[] { (nameof(LoopOptions.ContextDimension), options.ContextDimension), (nameof(LoopOptions.ActionDimension), options.ActionDimension) })
        {
            if (value > settings.MaxFeatures)
            {
                throw new OptionsException($"options.{Names.Kebab(name)}", $"{value} is more than the service's limit of {settings.MaxFeatures} features.");
            }
        }
        if (spec is null)
        {
            return;
        }
        foreach (var property in spec.Options.GetType().GetProperties().Where(p => p.PropertyType == typeof(FeatureMap)))
        {
            var map = (FeatureMap)property.GetValue(spec.Options)!;
            var features = map == FeatureMap.UserOuterItem
                ? (long)options.ContextDimension * options.ActionDimension
                : map.Dimension(options.ContextDimension, options.ActionDimension);
            if (features > MaxModelFeatures)
            {
                throw new OptionsException($"policy.options.{Names.Kebab(property.Name)}",
                    $"{Names.Kebab(map.ToString())} gives {features} features with context-dimension {options.ContextDimension} and action-dimension {options.ActionDimension}; the limit is {MaxModelFeatures}.");
            }
        }
    }

    internal static async Task<string> ReadBodyAsync(HttpContext http, ServiceSettings settings)
    {
        if (http.Request.ContentLength > settings.MaxRequestBytes)
        {
            throw new BadRequestException(413, $"The body is larger than the limit of {settings.MaxRequestBytes} bytes.");
        }
        using var reader = new StreamReader(http.Request.Body, InputRules.StrictUtf8);
        var buffer = new char[8192];
        var body = new StringBuilder();
        int read;
        try
        {
            while ((read = await reader.ReadAsync(buffer, http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                body.Append(buffer, 0, read);
                if (body.Length > settings.MaxRequestBytes)
                {
                    throw new BadRequestException(413, $"The body is larger than the limit of {settings.MaxRequestBytes} bytes.");
                }
            }
        }
        catch (DecoderFallbackException)
        {
            throw new BadRequestException(400, $"The body is not valid UTF-8 (it has bytes that encode no character, such as an encoded lone surrogate).");
        }
        return body.ToString();
    }

    /// <summary>
    /// The body as JSON, read as UTF-8 bytes and parsed from them (no string, no transcoding: the rank path's largest
    /// allocations were the body's characters); the same rules and messages as <see cref="ReadBodyAsync"/> with
    /// <see cref="InputRules.ParseJson(string, string)"/>.
    /// </summary>
    private static async Task<JsonDocument> ReadJsonAsync(HttpContext http, ServiceSettings settings)
    {
        using var body = await ReadUtf8Async(http, settings).ConfigureAwait(false);
        return InputRules.ParseJson(body.Text.ToArray(), "The body");
    }

    /// <summary>A request body's UTF-8 bytes in a buffer from the shared pool, returned to it on <see cref="Dispose"/>.</summary>
    private sealed class Utf8Body(byte[] buffer, int start, int length) : IDisposable
    {
        private byte[]? buffer = buffer;

        /// <summary>The valid UTF-8 text, without a byte order mark.</summary>
        public ReadOnlyMemory<byte> Text { get; } = buffer.AsMemory(start, length);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref buffer, null) is { } b)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(b);
            }
        }
    }

    /// <summary>
    /// The body's bytes in a pooled buffer, checked: at most <see cref="ServiceSettings.MaxRequestBytes"/> (413) and strict
    /// UTF-8 (400); a byte order mark is skipped. Dispose the answer once nothing reads it (a JSON document parsed from it
    /// included).
    /// </summary>
    private static async Task<Utf8Body> ReadUtf8Async(HttpContext http, ServiceSettings settings)
    {
        var declared = http.Request.ContentLength;
        if (declared > settings.MaxRequestBytes)
        {
            throw new BadRequestException(413, $"The body is larger than the limit of {settings.MaxRequestBytes} bytes.");
        }
        var pool = System.Buffers.ArrayPool<byte>.Shared;
        // One byte more than declared, so that a body longer than its Content-Length is seen without growing the buffer.
        var buffer = pool.Rent(declared is > 0 and var n ? (int)n + 1 : 4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    // A body longer than declared, or of unknown length: grow.
                    var larger = pool.Rent(Math.Max(buffer.Length * 2, 4096));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    pool.Return(buffer);
                    buffer = larger;
                }
                var read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > settings.MaxRequestBytes)
                {
                    throw new BadRequestException(413, $"The body is larger than the limit of {settings.MaxRequestBytes} bytes.");
                }
                if (length == declared)
                {
                    break; // the server frames the body by its Content-Length: it has no more
                }
            }
            var text = buffer.AsSpan(0, length);
            if (!System.Text.Unicode.Utf8.IsValid(text))
            {
                throw new BadRequestException(400, $"The body is not valid UTF-8 (it has bytes that encode no character, such as an encoded lone surrogate).");
            }
            var start = text.StartsWith("\uFEFF"u8) ? 3 : 0; // a byte order mark, which the character reader skipped too
            return new Utf8Body(buffer, start, length - start);
        }
        catch
        {
            pool.Return(buffer);
            throw;
        }
    }
}
