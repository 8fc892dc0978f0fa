using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cobalt.Service.Api;

/// <summary>
/// Answers a request that failed because the event store is unavailable (<see cref="StoreUnavailableException"/>, after
/// the store's retries) with 503 Service Unavailable, a Retry-After header and a JSON error naming the store's problem:
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
            await http.Response.WriteAsJsonAsync(new { error = e.Message, retryAfterSeconds }, http.RequestAborted).ConfigureAwait(false);
        }
    });
}
