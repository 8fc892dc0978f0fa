using Cobalt.Core.Data;
using Cobalt.Service.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cobalt.Service.Loops;

/// <summary>
/// Learns in the background from the durable event log, never on the request path. Events are learned in the order in
/// which they become complete, not in log order: each pass first records, in the store's completion order, the events
/// that are complete (all slots rewarded, or the reward wait plus <see cref="ServiceSettings.LearnGrace"/> passed; missing
/// slots then get the default reward, and the grace lets a reward accepted at the end of its wait reach the log first),
/// then learns the completion order from where the loop stopped. One event whose reward never comes holds back no
/// other, and every replica that reads the same completion order learns the same model. Checkpoints are written every
/// <see cref="ServiceSettings.CheckpointEvery"/> events and when the service stops.
/// </summary>
/// <remarks>
/// Faults stay where they happen. A store error (after the store's retries) skips the loop until the next pass. A
/// damaged decision payload is skipped and reported with its sequence number. Any other error while learning a loop
/// quarantines that loop: its model goes back to the last good one (its last checkpoint), it keeps ranking with it,
/// reports itself degraded (<see cref="LoopHealth"/>) and learns no more until the service restarts; other loops go on.
/// Nothing a loop does stops the learner or the host.
/// </remarks>
internal sealed class Learner(LoopRegistry registry, ServiceSettings settings, TimeProvider time, ILogger<Learner>? logger = null) : BackgroundService
{
    private const int Page = 512;
    private const int CompletionBatch = 4096;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private long _lastPassMilliseconds = time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>When the learner last finished a pass over every loop.</summary>
    public DateTimeOffset LastPass => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastPassMilliseconds));

    /// <summary>Learns whatever is ready in every loop once; a loop's failure is contained to that loop.</summary>
    public async Task LearnAsync(CancellationToken cancellationToken)
    {
        foreach (var loop in registry.All)
        {
            try
            {
                await LearnAsync(loop, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoreUnavailableException || ResilientEventStore.IsStoreFault(e))
            {
                ServiceLog.StoreSkipped(_logger, loop.Name, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Quarantine(loop, $"learning failed: {e.GetType().Name}: {e.Message}");
            }
        }
        Interlocked.Exchange(ref _lastPassMilliseconds, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>Records the loop's newly complete events, learns them in completion order, then checkpoints if due; returns the number of events learned.</summary>
    /// <exception cref="StoreUnavailableException">The store failed (after its retries).</exception>
    public async Task<int> LearnAsync(Loop loop, CancellationToken cancellationToken, bool forceCheckpoint = false)
    {
        ArgumentNullException.ThrowIfNull(loop);
        await loop.ModelGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (loop.Deleted)
            {
                return 0; // deleted while this pass was on its way: learns and checkpoints nothing more
            }
            using var span = Api.ServiceTracing.Start(Api.ServiceTracing.Learn, loop.Name);
            var learned = await LearnLockedAsync(loop, forceCheckpoint, cancellationToken).ConfigureAwait(false);
            await SweepRetentionAsync(loop, cancellationToken).ConfigureAwait(false);
            if (span is not null)
            {
                span.SetTag("cobalt.learned", learned);
                if (learned == 0)
                {
                    span.ActivityTraceFlags &= ~System.Diagnostics.ActivityTraceFlags.Recorded; // an idle pass is not exported
                }
            }
            return learned;
        }
        finally
        {
            loop.ModelGate.Release();
        }
    }

    /// <summary>
    /// Deletes the loop's finished events older than its <see cref="LoopOptions.LogRetentionDays"/>, at most every
    /// <see cref="ServiceSettings.RetentionSweepInterval"/>: only events this loop has learned and checkpointed (it first
    /// checkpoints what it has learned), never one still waiting for rewards or not yet learned.
    /// </summary>
    private async Task SweepRetentionAsync(Loop loop, CancellationToken cancellationToken)
    {
        var options = loop.Options;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (options.LogRetentionDays <= 0 || now - loop.RetentionSweptMilliseconds < settings.RetentionSweepInterval.TotalMilliseconds
            || registry.Health(loop.Name).Quarantine is not null)
        {
            return;
        }
        if (loop.LearnedSequence > loop.CheckpointSequence)
        {
            await CheckpointAsync(loop, cancellationToken).ConfigureAwait(false);
        }
        var cutoff = now - (long)(options.LogRetentionDays * 86_400_000);
        var deleted = await registry.Store.DeleteFinishedAsync(loop.Name, cutoff, loop.CheckpointSequence, cancellationToken).ConfigureAwait(false);
        loop.RetentionSweptMilliseconds = now;
        if (deleted > 0)
        {
            Interlocked.Add(ref loop.RetentionDeleted, deleted);
            ServiceLog.RetentionDeleted(_logger, loop.Name, deleted, options.LogRetentionDays);
        }
    }

    private async Task<int> LearnLockedAsync(Loop loop, bool forceCheckpoint, CancellationToken cancellationToken)
    {
        var health = registry.Health(loop.Name);
        if (health.Quarantine is not null)
        {
            return 0;
        }
        var options = loop.Options;
        var wait = (long)(options.RewardWaitSeconds * 1000 + settings.LearnGrace.TotalMilliseconds);
        var expiredBefore = time.GetUtcNow().ToUnixTimeMilliseconds() - wait;
        // Rewards that sum or replace may still change until the wait is over: such events complete only then.
        var completeWhenRewarded = options.RewardAggregation is RewardAggregation.Reject or RewardAggregation.Earliest;
        while (await registry.Store.CompleteAsync(loop.Name, expiredBefore, CompletionBatch, completeWhenRewarded, cancellationToken).ConfigureAwait(false) == CompletionBatch)
        {
        }
        var learned = 0;
        while (true)
        {
            var events = await registry.Store.ReadCompletedAsync(loop.Name, loop.LearnedSequence, Page, cancellationToken).ConfigureAwait(false);
            if (events.Count == 0)
            {
                break;
            }
            var feedback = new List<Feedback>();
            try
            {
                foreach (var e in events)
                {
                    if (e.Damage is not null)
                    {
                        health.ReportDamaged(e.Damage);
                        ServiceLog.DamagedEvent(_logger, loop.Name, e.Damage);
                        continue;
                    }
                    if (e.Inactive)
                    {
                        Interlocked.Increment(ref loop.InactiveSkipped); // deferred and never activated: finished as inactive, not learned
                        continue;
                    }
                    var context = e.Decision.ToContext(e.Sequence, options.ActionDimension);
                    for (var slot = 0; slot < e.Rewards.Length; slot++)
                    {
                        var reward = double.IsFinite(e.Rewards[slot]) ? LearnedReward(e.Rewards[slot], options) : options.DefaultReward;
                        var propensity = e.Decision.Propensities[slot];
                        feedback.Add(new Feedback(context, e.Decision.Chosen[slot], Normalise(reward, options), double.IsNaN(propensity) ? null : propensity, slot));
                    }
                }
                foreach (var refusal in loop.Learn(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(feedback), events[^1].Completion, events.Count))
                {
                    RefusedUpdate(_logger, loop.Name, refusal, null);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Quarantine(loop, $"learning completions {events[0].Completion}..{events[^1].Completion} (log sequences {events[0].Sequence}..{events[^1].Sequence}) failed: {e.GetType().Name}: {e.Message}");
                return learned;
            }
            foreach (var e in events)
            {
                if (e.Damage is null && !e.Inactive)
                {
                    loop.Activity.RecordLearned(e.CreatedMilliseconds, e.Rewards, options.DefaultReward);
                }
            }
            learned += events.Count;
            if (events.Count < Page)
            {
                break;
            }
        }
        if (forceCheckpoint ? loop.LearnedSequence > loop.CheckpointSequence : loop.LearnedSequence - loop.CheckpointSequence >= settings.CheckpointEvery)
        {
            await CheckpointAsync(loop, cancellationToken).ConfigureAwait(false);
        }
        return learned;
    }

    /// <summary>Writes the loop's checkpoint (its learned state and the last completion it covers); it becomes the loop's last good model.</summary>
    public async Task CheckpointAsync(Loop loop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var (sequence, state) = loop.Snapshot();
        await registry.Store.SaveCheckpointAsync(loop.Name, sequence, state, cancellationToken).ConfigureAwait(false);
        loop.CheckpointSequence = sequence;
        registry.Health(loop.Name).LastGood = (sequence, state);
        ServiceLog.Checkpointed(_logger, loop.Name, sequence, state.Length);
    }

    /// <summary>Stops the loop's learning and puts its last good model back in service.</summary>
    private void Quarantine(Loop loop, string problem)
    {
        var health = registry.Health(loop.Name);
        var (sequence, state) = health.LastGood;
        try
        {
            loop.Restore(sequence, state);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A model that cannot even take its last good state back is replaced by a fresh one (its action ids come back from the store).
            var fresh = new Loop(loop.Name, loop.Spec, loop.Options, loop.ApiKeyHash, new Dictionary<string, int>());
            try
            {
                fresh.Restore(sequence, state);
            }
            catch (Exception again) when (again is not OperationCanceledException)
            {
                sequence = 0;
            }
            registry.Replace(fresh);
            ServiceLog.LoopFault(_logger, $"Loop '{loop.Name}' was rebuilt after its restore failed: {e.Message}");
        }
        var reason = $"loop '{loop.Name}' is quarantined: {problem}; it ranks with its last good model (completion {sequence}) and learns no more until the service restarts.";
        health.Quarantined(reason);
        ServiceLog.LoopQuarantined(_logger, loop.Name, problem, sequence);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.LearnInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await LearnAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    ServiceLog.LoopFault(_logger, $"The learner's pass failed and is tried again: {e.Message}"); // never stops the host
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var loop in registry.All)
        {
            try
            {
                await LearnAsync(loop, cancellationToken, forceCheckpoint: true).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ServiceLog.LoopWarning(_logger, $"Loop '{loop.Name}' was not checkpointed at shutdown (its log is replayed from its last checkpoint): {e.Message}");
            }
        }
    }

    private static readonly Action<ILogger, string, string, Exception?> RefusedUpdate =
        LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(1501, "RefusedUpdate"), "Loop {Loop}: {Refusal}");

    /// <summary>A stored reward as learned: clamped to the loop's range (a sum of rewards may leave it).</summary>
    internal static double LearnedReward(double stored, LoopOptions options) => Math.Clamp(stored, options.RewardMin, options.RewardMax);

    /// <summary>Maps a reward from the loop's range onto [0, 1], where the models learn.</summary>
    private static double Normalise(double reward, LoopOptions options) => (reward - options.RewardMin) / (options.RewardMax - options.RewardMin);
}

/// <summary>How the service runs.</summary>
/// <param name="DatabasePath">The SQLite file of the event log (unused when <see cref="PostgresConnectionString"/> is set).</param>
/// <param name="AdminKey">Key that may create loops (header X-Admin-Key); null lets anyone create loops.</param>
public sealed record ServiceSettings(string DatabasePath, string? AdminKey = null)
{
    /// <summary>How often the learner looks for new events.</summary>
    public TimeSpan LearnInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long after an event's reward wait the learner still waits before giving its missing slots the default reward:
    /// longer than any reward append takes from its timestamp to its commit, in every replica sharing the log.
    /// </summary>
    public TimeSpan LearnGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Events learned between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Largest request body (bytes).</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>Longest feature vector a request may carry.</summary>
    public int MaxFeatures { get; init; } = 4096;

    /// <summary>Commit every write with an fsync (survives power loss, slower), not only process crashes (SQLite only).</summary>
    public bool FullSync { get; init; }

    /// <summary>
    /// Npgsql connection string of a PostgreSQL event store; when set it replaces the SQLite file, and several service
    /// processes may share it (see <see cref="Storage.PostgresEventStore"/>).
    /// </summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>How often a transient store error (connection lost, server restarting, database busy) is retried before the call fails with 503.</summary>
    public int StoreRetries { get; init; } = 3;

    /// <summary>Wait before the first retry of a store call; each further retry waits twice as long.</summary>
    public TimeSpan StoreRetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Seconds a 503 answer (the store is unavailable) asks the client to wait (the Retry-After header).</summary>
    public int RetryAfterSeconds { get; init; } = 2;

    /// <summary>How often each loop with a log retention (<see cref="LoopOptions.LogRetentionDays"/>) is swept for old finished events.</summary>
    public TimeSpan RetentionSweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest model state file <c>PUT /loops/{loop}/model</c> accepts (bytes).</summary>
    public long MaxModelBytes { get; init; } = 1L << 30;

    /// <summary>Longest time since the learner's last pass over every loop for <c>/ready</c> to report ready.</summary>
    public TimeSpan ReadyLearnerLag { get; init; } = TimeSpan.FromSeconds(30);
}
