using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;

namespace Cobalt.Service.Api;

/// <summary>
/// The service's instruments on the <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/>, exported by
/// OpenTelemetry in Prometheus text format at <c>GET /metrics</c> (admin key). Per loop (tag <c>loop</c>):
/// <c>cobalt.ranks</c> and <c>cobalt.rewards</c> (accepted) counters, <c>cobalt.rank.duration</c> and
/// <c>cobalt.reward.duration</c> histograms (seconds, from the request's start to the answer, the log append included),
/// <c>cobalt.events.learned</c>, <c>cobalt.events.quarantined</c> (damaged events skipped), <c>cobalt.loop.quarantined</c>
/// (1 while the loop is degraded), <c>cobalt.loop.learned_sequence</c>, <c>cobalt.loop.checkpoint_sequence</c> and
/// <c>cobalt.loop.refused_updates</c>; for the process: <c>cobalt.learner.lag</c> (seconds since the learner's last full
/// pass), <c>cobalt.store.errors</c> (store calls that failed after their retries) and <c>cobalt.evaluation.queue</c>
/// (evaluations running or waiting).
/// </summary>
internal sealed class ServiceMetrics : IDisposable
{
    /// <summary>The name of the service's meter (what an OpenTelemetry <c>AddMeter</c> subscribes to).</summary>
    public const string MeterName = "Cobalt.Service";

    /// <summary>Latency bucket bounds in seconds: 0.25 ms to 5 s, about two per decade and a half.</summary>
    private static readonly double[] LatencyBuckets = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _ranks;
    private readonly Counter<long> _rewards;
    private readonly Histogram<double> _rankDuration;
    private readonly Histogram<double> _rewardDuration;

    public ServiceMetrics(LoopRegistry loops, ResilientEventStore store, Learner learner, EvaluationQueue evaluations, TimeProvider time)
    {
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _ranks = _meter.CreateCounter<long>("cobalt.ranks", "{rank}", "Rank calls answered, per loop.");
        _rewards = _meter.CreateCounter<long>("cobalt.rewards", "{reward}", "Rewards accepted, per loop.");
        _rankDuration = _meter.CreateHistogram("cobalt.rank.duration", "s", "Time to answer a rank call (the log append included), per loop.", advice: advice);
        _rewardDuration = _meter.CreateHistogram("cobalt.reward.duration", "s", "Time to answer an accepted reward, per loop.", advice: advice);
        _meter.CreateObservableCounter("cobalt.events.learned", () => PerLoop(loops, l => Interlocked.Read(ref l.Learned)), "{event}", "Events the learner has learned, per loop.");
        _meter.CreateObservableCounter("cobalt.events.quarantined", () => PerLoop(loops, l => loops.Health(l.Name).DamagedEvents), "{event}", "Damaged events the learner skipped, per loop.");
        _meter.CreateObservableGauge("cobalt.loop.quarantined", () => PerLoop(loops, l => loops.Health(l.Name).Quarantine is null ? 0L : 1L), "{loop}", "1 while the loop is quarantined (degraded), else 0.");
        _meter.CreateObservableGauge("cobalt.loop.learned_sequence", () => PerLoop(loops, l => l.LearnedSequence), "{event}", "The log sequence the loop's model has learned through.");
        _meter.CreateObservableGauge("cobalt.loop.checkpoint_sequence", () => PerLoop(loops, l => l.CheckpointSequence), "{event}", "The log sequence of the loop's last checkpoint.");
        _meter.CreateObservableCounter("cobalt.loop.refused_updates", () => PerLoop(loops, l => l.RefusedUpdates), "{update}", "Model updates the loop refused (non-finite results).");
        _meter.CreateObservableGauge("cobalt.learner.lag", () => Math.Max(0, (time.GetUtcNow() - learner.LastPass).TotalSeconds), "s", "Seconds since the learner last finished a pass over every loop.");
        _meter.CreateObservableCounter("cobalt.store.errors", () => store.Failures, "{error}", "Event store calls that failed after their retries.");
        _meter.CreateObservableGauge("cobalt.evaluation.queue", () => (long)evaluations.Pending, "{evaluation}", "Offline evaluations running or waiting.");
    }

    /// <summary>Counts an answered rank of <paramref name="loop"/> that started at <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Ranked(string loop, long started)
    {
        var tag = new KeyValuePair<string, object?>("loop", loop);
        _ranks.Add(1, tag);
        _rankDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
    }

    /// <summary>Counts an accepted reward of <paramref name="loop"/> whose request started at <paramref name="started"/>.</summary>
    public void Rewarded(string loop, long started)
    {
        var tag = new KeyValuePair<string, object?>("loop", loop);
        _rewards.Add(1, tag);
        _rewardDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private static Measurement<long>[] PerLoop(LoopRegistry loops, Func<Loop, long> value) =>
        loops.All.Select(l => new Measurement<long>(value(l), new KeyValuePair<string, object?>("loop", l.Name))).ToArray();
}
