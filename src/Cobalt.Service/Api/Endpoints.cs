using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cobalt.Service.Api;

/// <summary>
/// The HTTP API: <c>PUT /loops/{loop}</c> creates a loop from a policy specification; <c>POST /loops/{loop}/rank</c> ranks
/// actions for a context and logs the decision with its propensities before answering; <c>POST
/// /loops/{loop}/events/{eventId}/reward</c> logs a reward; <c>GET /loops/{loop}</c>, <c>/health</c> and <c>/metrics</c> report.
/// Every malformed request gets a 4xx answer with a message naming what is wrong.
/// </summary>
internal static class Endpoints
{
    private const string LoopKeyHeader = "X-Api-Key";
    private const string AdminKeyHeader = "X-Admin-Key";

    public static void Map(IEndpointRouteBuilder app, LoopRegistry loops, ServiceSettings settings, LatencyRecorder latency, TimeProvider time)
    {
        app.MapPut("/loops/{loop}", (string loop, HttpContext http) => Handle(http, async () =>
        {
            if (settings.AdminKey is not null && !KeyMatches(http.Request.Headers[AdminKeyHeader], LoopRegistry.Hash(settings.AdminKey)))
            {
                throw new BadRequestException(http.Request.Headers.ContainsKey(AdminKeyHeader) ? 403 : 401, $"Creating a loop needs the service's admin key in {AdminKeyHeader}.");
            }
            CheckName(loop);
            var body = await ReadBodyAsync(http, settings).ConfigureAwait(false);
            string? key;
            try
            {
                key = await loops.CreateAsync(loop, body, http.RequestAborted).ConfigureAwait(false);
            }
            catch (OptionsException e)
            {
                throw new BadRequestException(400, e.Message);
            }
            catch (InvalidOperationException e)
            {
                throw new BadRequestException(409, e.Message);
            }
            return key is null
                ? Results.Ok(new { loop, created = false })
                : Results.Json(new { loop, created = true, apiKey = key }, statusCode: 201);
        })).WithName("CreateLoop").WithDescription("Create a loop: {\"policy\": {\"kind\", \"options\"}, \"options\": loop options}. Answers the loop's API key once.");

        app.MapGet("/loops/{loop}", (string loop, HttpContext http) => Handle(http, async () =>
        {
            var l = await AuthoriseAsync(loops, loop, http).ConfigureAwait(false);
            var (decisions, rewards) = await loops.Store.CountAsync(loop, http.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new
            {
                loop = l.Name,
                policy = l.Spec.Kind,
                decisions,
                rewards,
                learnedSequence = l.LearnedSequence,
                checkpointSequence = l.CheckpointSequence,
                apprentice = l.Options.Apprentice,
                exploration = l.Options.Apprentice ? "apprentice" : Core.Configuration.Names.Kebab(l.Exploration.ToString()),
                refusedUpdates = l.RefusedUpdates,
                lastRefusal = l.LastRefusal,
            });
        })).WithName("GetLoop");

        app.MapPost("/loops/{loop}/rank", (string loop, HttpContext http) => Handle(http, async () =>
        {
            var started = Stopwatch.GetTimestamp();
            var l = await AuthoriseAsync(loops, loop, http).ConfigureAwait(false);
            RankRequest request;
            using (var json = await ReadJsonAsync(http, settings).ConfigureAwait(false))
            {
                request = RankRequest.Parse(json.RootElement, l.Options, settings.MaxFeatures);
            }
            var eligible = request.Actions.Where(a => !request.Excluded.Contains(a.Id)).ToArray();
            var ids = await loops.ActionIdsAsync(l, [.. eligible.Select(a => a.Id)], http.RequestAborted).ConfigureAwait(false);
            var features = eligible.SelectMany(a => a.Features).ToArray();
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
            try
            {
                await loops.Store.AppendDecisionAsync(loop, eventId, time.GetUtcNow().ToUnixTimeMilliseconds(), decision.Slots.Count, stored.ToBytes(), http.RequestAborted).ConfigureAwait(false);
            }
            catch (DuplicateEventException)
            {
                throw new BadRequestException(409, $"event '{eventId}' already exists in this loop; event ids are used once.");
            }
            latency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            l.Activity.RecordRank();
            var slate = decision.Slots.Select(s => new { id = eligible[s.CandidateIndex].Id, probability = s.Propensity }).ToArray();
            // Every eligible action with its probability of being chosen first, when the policy has a closed form.
            var probabilities = decision.FirstSlotProbabilities?.Select((p, i) => new { id = eligible[i].Id, probability = p }).ToArray();
            return Results.Ok(new { eventId, slate, chosen = slate[0].id, probabilities, apprentice = l.Options.Apprentice });
        })).WithName("Rank").WithDescription("Rank actions for a context; the decision is logged (with its propensities) before the answer.");

        app.MapPost("/loops/{loop}/events/{eventId}/reward", (string loop, string eventId, HttpContext http) => Handle(http, async () =>
        {
            var l = await AuthoriseAsync(loops, loop, http).ConfigureAwait(false);
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
            var outcome = await loops.Store.AppendRewardAsync(loop, eventId, slot, reward, time.GetUtcNow().ToUnixTimeMilliseconds(),
                (long)(l.Options.RewardWaitSeconds * 1000), http.RequestAborted).ConfigureAwait(false);
            return outcome switch
            {
                RewardOutcome.Accepted => Accepted(l, eventId, slot),
                RewardOutcome.UnknownEvent => throw new BadRequestException(404, $"event '{eventId}' is not in loop '{loop}'."),
                RewardOutcome.Expired => throw new BadRequestException(410, $"event '{eventId}' is older than the reward wait of {l.Options.RewardWaitSeconds} s; it has been given the default reward."),
                RewardOutcome.Duplicate => throw new BadRequestException(409, $"slot {slot} of event '{eventId}' already has a reward."),
                _ => throw new BadRequestException(400, $"event '{eventId}' has no slot {slot}."),
            };
        })).WithName("Reward").WithDescription("Record the reward of one slot of a ranked event.");

        app.MapGet("/loops/{loop}/events/{eventId}", (string loop, string eventId, HttpContext http) => Handle(http, async () =>
        {
            await AuthoriseAsync(loops, loop, http).ConfigureAwait(false);
            var e = await loops.Store.GetEventAsync(loop, eventId, http.RequestAborted).ConfigureAwait(false)
                ?? throw new BadRequestException(404, $"event '{eventId}' is not in loop '{loop}'.");
            return Results.Ok(new
            {
                eventId = e.EventId,
                sequence = e.Sequence,
                createdMilliseconds = e.CreatedMilliseconds,
                slots = e.Decision.Chosen.Select((c, i) => new
                {
                    actionId = e.Decision.ActionIds[c],
                    propensity = double.IsNaN(e.Decision.Propensities[i]) ? (double?)null : e.Decision.Propensities[i],
                    reward = double.IsNaN(e.Rewards[i]) ? (double?)null : e.Rewards[i],
                }),
            });
        })).WithName("GetEvent").WithDescription("A logged event with its chosen actions (dense ids), propensities and rewards so far.");

        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).WithName("Health");

        app.MapGet("/metrics", () =>
        {
            var (p50, p99) = latency.Percentiles();
            return Results.Ok(new
            {
                rankLatencyMilliseconds = new { p50, p99 },
                loops = loops.All.Select(l => new { loop = l.Name, ranks = l.Ranks, rewards = l.Rewards, learned = l.Learned, learnedSequence = l.LearnedSequence, checkpointSequence = l.CheckpointSequence, refusedUpdates = l.RefusedUpdates }),
            });
        }).WithName("Metrics");
    }

    private static IResult Accepted(Loop loop, string eventId, int slot)
    {
        Interlocked.Increment(ref loop.Rewards);
        loop.Activity.RecordReward();
        return Results.Ok(new { eventId, slot, accepted = true });
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
            return Results.Json(new { error = e.Message }, statusCode: e.Status);
        }
        catch (BadHttpRequestException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: e.StatusCode);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.StatusCode(499);
        }
    }

    /// <summary>The loop named in the route, when the request carries its API key: 401 without a key, 404 for no such loop, 403 for another loop's key.</summary>
    internal static async ValueTask<Loop> AuthoriseAsync(LoopRegistry loops, string loop, HttpContext http)
    {
        var key = http.Request.Headers[LoopKeyHeader];
        if (key.Count == 0 || string.IsNullOrEmpty(key[0]))
        {
            throw new BadRequestException(401, $"Send the loop's API key in the {LoopKeyHeader} header.");
        }
        if (await loops.FindAsync(loop, http.RequestAborted).ConfigureAwait(false) is not { } l)
        {
            throw new BadRequestException(404, $"There is no loop '{loop}'.");
        }
        return KeyMatches(key, l.ApiKeyHash) ? l : throw new BadRequestException(403, $"That API key does not belong to loop '{loop}'.");
    }

    private static bool KeyMatches(Microsoft.Extensions.Primitives.StringValues key, string hash) =>
        key.Count == 1 && key[0] is { Length: > 0 } k
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(LoopRegistry.Hash(k)), Encoding.ASCII.GetBytes(hash));

    private static void CheckName(string loop)
    {
        if (loop.Length is 0 or > 64 || !loop.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new BadRequestException(400, "A loop name has 1 to 64 letters, digits, '-', '_' or '.'.");
        }
    }

    private static async Task<string> ReadBodyAsync(HttpContext http, ServiceSettings settings)
    {
        if (http.Request.ContentLength > settings.MaxRequestBytes)
        {
            throw new BadRequestException(413, $"The body is larger than the limit of {settings.MaxRequestBytes} bytes.");
        }
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var buffer = new char[8192];
        var body = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            body.Append(buffer, 0, read);
            if (body.Length > settings.MaxRequestBytes)
            {
                throw new BadRequestException(413, $"The body is larger than the limit of {settings.MaxRequestBytes} bytes.");
            }
        }
        return body.ToString();
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpContext http, ServiceSettings settings)
    {
        var body = await ReadBodyAsync(http, settings).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"The body is not valid JSON: {e.Message}");
        }
    }
}
