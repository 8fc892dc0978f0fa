using System.Collections.Concurrent;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Service.Client;
using Cobalt.Service.Evaluation;
using Cobalt.Service.Loops;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cobalt.Service.Api;

/// <summary>
/// <c>GET /loops/{loop}/evaluations</c>: candidate policies compared on the loop's own log (see <see cref="LoopEvaluator"/>).
/// Query: <c>last</c> (events, default 10,000) and <c>candidates</c> (a JSON array of policy specifications; default: the
/// loop's policy and the standard alternatives). An answer is reused for <see cref="CacheFor"/>, so a dashboard that polls
/// does not replay the log each time; concurrent identical requests share one evaluation. Evaluations run in the loop's
/// bounded queue (<see cref="EvaluationQueue"/>): one at a time per loop, two waiting, more answered 429 with Retry-After.
/// </summary>
internal static class EvaluationEndpoints
{
    /// <summary>How long an evaluation answer is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    /// <summary>The default evaluation window (latest finished events).</summary>
    public const int DefaultWindow = 10_000;

    public static void Map(IEndpointRouteBuilder app, LoopRegistry loops, Access access, EvaluationQueue queue, TimeProvider time)
    {
        var cache = new ConcurrentDictionary<string, (DateTimeOffset At, Task<LoopEvaluation> Evaluation)>(StringComparer.Ordinal);
        app.MapGet("/loops/{loop}/evaluations", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            var l = await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            var query = http.Request.Query;
            var window = DefaultWindow;
            if (query.TryGetValue("last", out var last)
                && !(int.TryParse(last, NumberStyles.Integer, CultureInfo.InvariantCulture, out window) && window is >= 1 and <= LoopEvaluator.MaxEvents))
            {
                throw new BadRequestException(400, $"last must be a whole number of events between 1 and {LoopEvaluator.MaxEvents}.");
            }
            var candidatesJson = query.TryGetValue("candidates", out var c) ? c.ToString() : null;
            var candidates = candidatesJson is null
                ? LoopEvaluator.DefaultCandidates(l.Spec, l.Options)
                : Parse(candidatesJson, l.Options);
            var now = time.GetUtcNow();
            var key = $"{loop}\n{window}\n{candidatesJson}";
            foreach (var stale in cache.Where(e => now - e.Value.At >= CacheFor && e.Value.Evaluation.IsCompleted))
            {
                cache.TryRemove(stale);
            }
            (DateTimeOffset At, Task<LoopEvaluation> Evaluation) entry;
            try
            {
                entry = cache.AddOrUpdate(key,
                    _ => (now, Start(loops, queue, l, candidates, window, now)),
                    (_, old) => now - old.At < CacheFor && !old.Evaluation.IsFaulted ? old : (now, Start(loops, queue, l, candidates, window, now)));
            }
            catch (EvaluationQueueFullException e)
            {
                http.Response.Headers.RetryAfter = e.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                throw new BadRequestException(429, e.Message);
            }
            var result = await entry.Evaluation.WaitAsync(http.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new EvaluationReport(result.Loop, result.Events, result.Skipped, result.Inactive, window, entry.At,
                [.. result.Estimates.Select(e => new EvaluationEstimate(e.Policy, e.Estimator, e.Value, e.Lower, e.Upper))],
                double.IsNaN(result.MinPropensity) ? null : result.MinPropensity,
                [.. result.Candidates.Select(c => new EvaluationCandidate(c.Policy, c.EffectiveSampleSize, c.UnsupportedEvents, c.UnsupportedMass, c.Refused))]));
        })).WithName("Evaluations").WithDescription("Compare candidate policies on the loop's own log (progressive replay; IPS, clipped IPS, SNIPS, Replay with bootstrap intervals). "
            + "Query: last (events, 1 to the evaluator's limit, default 10,000), candidates (a JSON array of policy specifications).")
            .WithTags("Evaluation").RequireKey(KeyRequirement.Loop).Produces<EvaluationReport>().Problems(400, 401, 403, 429);
    }

    private static IReadOnlyList<Policies.Catalog.PolicySpec> Parse(string json, LoopOptions options)
    {
        try
        {
            InputRules.ParseJson(json, "candidates").Dispose(); // no duplicate keys, no lone surrogates
            return LoopEvaluator.ParseCandidates(json, options);
        }
        catch (OptionsException e)
        {
            throw new BadRequestException(400, e.Message);
        }
    }

    // The replay runs in the loop's queue, off the request threads, so an abandoned request does not stop an evaluation others may share.
    private static Task<LoopEvaluation> Start(LoopRegistry loops, EvaluationQueue queue, Loop loop, IReadOnlyList<Policies.Catalog.PolicySpec> candidates, int window, DateTimeOffset now) =>
        queue.Enqueue(loop.Name, () => LoopEvaluator.EvaluateAsync(loops.Store, loop.Name, loop.Options, candidates, window, now));
}
