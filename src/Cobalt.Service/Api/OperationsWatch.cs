using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cobalt.Service.Api;

/// <summary>
/// Logs the changes of the process's state that no request reports: the event store becoming unavailable (its last call
/// failed after the retries) and answering again, and the learner's lag (time since its last full pass) rising above
/// <see cref="ServiceSettings.ReadyLearnerLag"/> (the readiness limit) and falling back. It looks every
/// <see cref="Every"/>, so a fault shorter than that may go unlogged (the <c>cobalt.store.errors</c> counter still
/// counts it).
/// </summary>
internal sealed class OperationsWatch(ResilientEventStore store, Learner learner, ServiceSettings settings, TimeProvider time, ILogger<OperationsWatch> logger) : BackgroundService
{
    /// <summary>How often the state is looked at.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    private DateTimeOffset? _storeDownSince;
    private bool _lagging;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Look();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Compares the state with the last look and logs what changed.</summary>
    internal void Look()
    {
        var problem = store.Problem;
        if (problem is { } p && _storeDownSince is null)
        {
            _storeDownSince = time.GetUtcNow(); // this clock, not the store's, so the duration is on one clock
            ServiceLog.StoreUnavailable(logger, p.Reason);
        }
        else if (problem is null && _storeDownSince is { } since)
        {
            _storeDownSince = null;
            var seconds = (time.GetUtcNow() - since).TotalSeconds;
            ServiceLog.StoreRecovered(logger, seconds);
        }
        var lag = (time.GetUtcNow() - learner.LastPass).TotalSeconds;
        var limit = settings.ReadyLearnerLag.TotalSeconds;
        if (!_lagging && lag > limit)
        {
            _lagging = true;
            ServiceLog.LearnerLagging(logger, lag, limit);
        }
        else if (_lagging && lag <= limit)
        {
            _lagging = false;
            ServiceLog.LearnerCaughtUp(logger, lag);
        }
    }
}
