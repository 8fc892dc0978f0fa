using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Cobalt.Service.Api;

/// <summary>
/// Answers a request that failed because the event store is unavailable (<see cref="StoreUnavailableException"/>, after
/// the store's retries) with 503 Service Unavailable, a Retry-After header and problem details (<c>application/problem+json</c>, with <c>error</c> and
/// <c>retryAfterSeconds</c>) naming the store's problem:
/// never 500, and the process goes on serving.
/// </summary>
internal static class StoreUnavailableHandler
{
    /// <summary>Adds the handler in front of the endpoints.</summary>
    public static void Use(IApplicationBuilder app, int retryAfterSeconds) => app.Use(async (http, next) =>
    {
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (Exception e) when (!http.Response.HasStarted && (e is StoreUnavailableException || ResilientEventStore.IsStoreFault(e)))
        {
            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var problem = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Detail = e.Message,
                Extensions = { ["error"] = e.Message, ["retryAfterSeconds"] = retryAfterSeconds },
            };
            await TypedResults.Problem(problem).ExecuteAsync(http).ConfigureAwait(false);
        }
    });
}
