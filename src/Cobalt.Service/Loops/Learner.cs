using Cobalt.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cobalt.Service.Loops;

/// <summary>
/// Learns in the background from the durable event log, never on the request path: every loop replays its log in order
/// from the last event it learned; an event is learned once all its slots have rewards or its reward wait, plus
/// <see cref="ServiceSettings.LearnGrace"/>, has passed (missing slots then get the default reward; the grace lets a reward
/// accepted at the end of its wait reach the log first, so no acknowledged reward is passed over). The oldest unfinished event holds back the ones after it, so every
/// replica that reads the same log learns the same sequence. Checkpoints are written every
/// <see cref="ServiceSettings.CheckpointEvery"/> events and when the service stops.
/// </summary>
internal sealed class Learner(LoopRegistry registry, ServiceSettings settings, TimeProvider time, ILogger<Learner>? logger = null) : BackgroundService
{
    /// <summary>Learns whatever is ready in every loop once.</summary>
    public async Task LearnAsync(CancellationToken cancellationToken)
    {
        foreach (var loop in registry.All)
        {
            await LearnAsync(loop, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Learns the ready events of one loop, then checkpoints if due; returns the number of events learned.</summary>
    public async Task<int> LearnAsync(Loop loop, CancellationToken cancellationToken, bool forceCheckpoint = false)
    {
        var learned = 0;
        while (true)
        {
            var events = await registry.Store.ReadAfterAsync(loop.Name, loop.LearnedSequence, 512, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var wait = (long)(loop.Options.RewardWaitSeconds * 1000 + settings.LearnGrace.TotalMilliseconds);
            var feedback = new List<Feedback>();
            long last = loop.LearnedSequence;
            var count = 0;
            foreach (var e in events)
            {
                var complete = e.Rewards.All(double.IsFinite);
                if (!complete && now - e.CreatedMilliseconds <= wait)
                {
                    break; // head of line: learned in order
                }
                var context = e.Decision.ToContext(e.Sequence, loop.Options.ActionDimension);
                for (var slot = 0; slot < e.Rewards.Length; slot++)
                {
                    var reward = double.IsFinite(e.Rewards[slot]) ? e.Rewards[slot] : loop.Options.DefaultReward;
                    var propensity = e.Decision.Propensities[slot];
                    feedback.Add(new Feedback(context, e.Decision.Chosen[slot], Normalise(reward, loop.Options), double.IsNaN(propensity) ? null : propensity, slot));
                }
                last = e.Sequence;
                count++;
                loop.Activity.RecordLearned(e.CreatedMilliseconds, e.Rewards, loop.Options.DefaultReward);
            }
            if (count > 0)
            {
                foreach (var refusal in loop.Learn(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(feedback), last, count))
                {
                    if (logger is not null)
                    {
                        RefusedUpdate(logger, loop.Name, refusal, null);
                    }
                }
                learned += count;
            }
            if (count < events.Count || events.Count < 512)
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

    /// <summary>Writes the loop's checkpoint (its learned state and the last event it covers).</summary>
    public async Task CheckpointAsync(Loop loop, CancellationToken cancellationToken)
    {
        var (sequence, state) = loop.Snapshot();
        await registry.Store.SaveCheckpointAsync(loop.Name, sequence, state, cancellationToken).ConfigureAwait(false);
        loop.CheckpointSequence = sequence;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.LearnInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await LearnAsync(stoppingToken).ConfigureAwait(false);
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
            await LearnAsync(loop, cancellationToken, forceCheckpoint: true).ConfigureAwait(false);
        }
    }

    private static readonly Action<ILogger, string, string, Exception?> RefusedUpdate =
        LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(1501, "RefusedUpdate"), "Loop {Loop}: {Refusal}");

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
}
