using System.Diagnostics;

namespace Cobalt.Service.Api;

/// <summary>
/// The service's OpenTelemetry spans, on the <see cref="ActivitySource"/> <see cref="SourceName"/>:
/// <c>cobalt.rank</c> and <c>cobalt.reward</c> (one per call, children of ASP.NET Core's request span),
/// <c>cobalt.store.append</c> (the durable append of a decision or a reward, inside them) and <c>cobalt.learn</c> (a learner
/// pass over one loop that learned at least one event). Tags: <c>cobalt.loop</c>, <c>cobalt.event_id</c>,
/// <c>cobalt.slate_size</c>, <c>cobalt.reward.outcome</c>, <c>cobalt.store.record</c>, <c>cobalt.learned</c>. With no
/// listener (no OTLP endpoint configured, see <see cref="TelemetryOptions"/>) <c>StartActivity</c> answers null and the
/// spans cost nothing.
/// </summary>
public static class ServiceTracing
{
    /// <summary>The activity source's name (add it to a TracerProvider to export the spans).</summary>
    public const string SourceName = "Cobalt.Service";

    /// <summary>The source of every span the service makes.</summary>
    public static readonly ActivitySource Source = new(SourceName, typeof(ServiceTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Span names.</summary>
    public const string Rank = "cobalt.rank", Reward = "cobalt.reward", Learn = "cobalt.learn", StoreAppend = "cobalt.store.append";

    /// <summary>Starts a span for <paramref name="loop"/>, or null when nobody listens.</summary>
    public static Activity? Start(string name, string loop, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        activity?.SetTag("cobalt.loop", loop);
        return activity;
    }

    /// <summary>Marks the span as failed with <paramref name="exception"/>'s message.</summary>
    public static void Fail(Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
    }
}
