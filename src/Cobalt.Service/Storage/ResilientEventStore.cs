using System.Net.Sockets;
using Cobalt.Service.Loops;
using Microsoft.Data.Sqlite;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Cobalt.Service.Storage;

/// <summary>
/// The event store as the service uses it: every call goes through a Polly retry pipeline (exponential backoff, no
/// jitter) for transient store errors (connection lost, server restarting, database busy), and a store error that
/// outlasts the retries becomes a <see cref="StoreUnavailableException"/> (answered 503 with Retry-After). It also keeps
/// the outcome of the last call, which <c>/ready</c> reports.
/// </summary>
/// <remarks>
/// A write whose commit succeeded but whose answer was lost (the connection broke) is retried; when the retry finds the
/// first attempt's row (the same decision payload, or the same reward value) it is taken as the success it was, so a
/// retried write is neither lost nor answered as a duplicate. Retry with exponential backoff after Polly's
/// <c>RetryResilienceStrategy</c> (App-vNext/Polly, Polly.Core 8.9.1).
/// </remarks>
public sealed class ResilientEventStore : IEventStore
{
    private readonly IEventStore _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly Lock _gate = new();
    private long _failures;
    private string? _problem;
    private DateTimeOffset _problemSince;

    /// <summary>Wraps <paramref name="inner"/>; a transient error is retried <paramref name="retries"/> times, the first after <paramref name="firstDelay"/>, each wait doubling.</summary>
    public ResilientEventStore(IEventStore inner, int retries, TimeSpan firstDelay, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        _inner = inner;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = retries,
                Delay = firstDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                MaxDelay = TimeSpan.FromSeconds(2),
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } e && _inner is PostgresEventStore postgres && BrokenConnection(e))
                    {
                        postgres.ClearPool(); // after a server restart every idle connection is broken: do not try them one by one
                    }
                    return default;
                },
            });
        }
        _pipeline = builder.Build();
    }

    /// <summary>The store this one wraps.</summary>
    public IEventStore Inner => _inner;

    /// <summary>Calls that failed after their retries, since the start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Why the last call failed and since when, or null when the last call succeeded.</summary>
    public (string Reason, DateTimeOffset Since)? Problem
    {
        get
        {
            lock (_gate)
            {
                return _problem is null ? null : (_problem, _problemSince);
            }
        }
    }

    /// <summary>An error of the store itself (not of the request): it is answered 503, never 500.</summary>
    public static bool IsStoreFault(Exception e) => e switch
    {
        StoreUnavailableException or DuplicateEventException or UnknownLoopException => false,
        IOException or NpgsqlException or SqliteException or SocketException or TimeoutException => true,
        _ => e.InnerException is { } inner && IsStoreFault(inner),
    };

    /// <summary>A store error that may pass: worth retrying.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal)
            || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState is "40001" or "40P01" or "55P03",
        NpgsqlException => true, // no server answer: the connection failed
        SqliteException s => (s.SqliteErrorCode & 0xff) is 5 or 6 or 10 or 14, // busy, locked, I/O error, cannot open
        SocketException or TimeoutException => true,
        IOException => e.InnerException is null || IsTransient(e.InnerException),
        _ => false,
    };

    private static bool BrokenConnection(Exception e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException or SocketException => true,
        _ => e.InnerException is { } inner && BrokenConnection(inner),
    };

    private async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _pipeline.ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            Succeeded();
            return result;
        }
        catch (DuplicateEventException)
        {
            Succeeded();
            throw;
        }
        catch (Exception e) when (IsStoreFault(e) && !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            lock (_gate)
            {
                if (_problem is null)
                {
                    _problemSince = DateTimeOffset.UtcNow;
                }
                _problem = $"{operation}: {e.Message}";
            }
            throw new StoreUnavailableException(operation, e);
        }
    }

    private Task<bool> RunAsync(string operation, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        RunAsync(operation, async token =>
        {
            await call(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private void Succeeded()
    {
        if (Volatile.Read(ref _problem) is not null)
        {
            lock (_gate)
            {
                _problem = null;
            }
        }
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) => RunAsync("initialising", _inner.InitializeAsync, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<LoopRecord>> LoopsAsync(CancellationToken cancellationToken) => RunAsync("reading loops", _inner.LoopsAsync, cancellationToken);

    /// <inheritdoc />
    public Task<bool> CreateLoopAsync(LoopRecord loop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var attempts = 0;
        return RunAsync("creating a loop", async token =>
        {
            attempts++;
            if (await _inner.CreateLoopAsync(loop, token).ConfigureAwait(false))
            {
                return true;
            }
            // Refused on a retry: the first attempt may have committed.
            return attempts > 1 && (await _inner.LoopsAsync(token).ConfigureAwait(false)).Any(l => l == loop);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> SetApiKeyHashAsync(string loop, string apiKeyHash, CancellationToken cancellationToken) =>
        RunAsync("rotating a loop's key", token => _inner.SetApiKeyHashAsync(loop, apiKeyHash, token), cancellationToken); // idempotent: a retry sets the same hash

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, int>> AssignActionsAsync(string loop, IReadOnlyList<string> names, CancellationToken cancellationToken) =>
        RunAsync("assigning action ids", token => _inner.AssignActionsAsync(loop, names, token), cancellationToken);

    /// <inheritdoc />
    public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return RunAsync("appending a decision", async token =>
        {
            try
            {
                attempts++;
                await _inner.AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, token).ConfigureAwait(false);
            }
            catch (DuplicateEventException) when (attempts > 1)
            {
                if (!await IsOwnDecisionAsync(loop, eventId, createdMilliseconds, payload, token).ConfigureAwait(false))
                {
                    throw;
                }
                // else the first attempt committed; its answer was lost
            }
        }, cancellationToken);
    }

    private async Task<bool> IsOwnDecisionAsync(string loop, string eventId, long createdMilliseconds, byte[] payload, CancellationToken cancellationToken) =>
        await _inner.GetEventAsync(loop, eventId, cancellationToken).ConfigureAwait(false) is { Damage: null } stored
        && stored.CreatedMilliseconds == createdMilliseconds
        && StoredDecision.TryFromBytes(payload, out var mine, out _)
        && stored.Decision.ToBytes().AsSpan().SequenceEqual(mine.ToBytes());

    /// <inheritdoc />
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return RunAsync("appending a reward", async token =>
        {
            attempts++;
            var outcome = await _inner.AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, token).ConfigureAwait(false);
            if (attempts > 1 && outcome == RewardOutcome.Duplicate
                && await _inner.GetEventAsync(loop, eventId, token).ConfigureAwait(false) is { } stored && slot < stored.Rewards.Length
                && stored.Rewards[slot].Equals(value))
            {
                return RewardOutcome.Accepted; // the first attempt committed; its answer was lost
            }
            return outcome;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LoggedEvent>> ReadAfterAsync(string loop, long afterSequence, int limit, CancellationToken cancellationToken) =>
        RunAsync("reading the log", token => _inner.ReadAfterAsync(loop, afterSequence, limit, token), cancellationToken);

    /// <inheritdoc />
    public Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, CancellationToken cancellationToken) =>
        RunAsync("recording complete events", token => _inner.CompleteAsync(loop, expiredBeforeMilliseconds, limit, token), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<LoggedEvent>> ReadCompletedAsync(string loop, long afterCompletion, int limit, CancellationToken cancellationToken) =>
        RunAsync("reading complete events", token => _inner.ReadCompletedAsync(loop, afterCompletion, limit, token), cancellationToken);

    /// <inheritdoc />
    public Task<long> CompletedCountAsync(string loop, CancellationToken cancellationToken) =>
        RunAsync("counting complete events", token => _inner.CompletedCountAsync(loop, token), cancellationToken);

    /// <inheritdoc />
    public Task PingAsync(CancellationToken cancellationToken) => RunAsync("checking the store", _inner.PingAsync, cancellationToken);

    /// <inheritdoc />
    public Task<LoggedEvent?> GetEventAsync(string loop, string eventId, CancellationToken cancellationToken) =>
        RunAsync("reading an event", token => _inner.GetEventAsync(loop, eventId, token), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, int>> ActionsAsync(string loop, CancellationToken cancellationToken) =>
        RunAsync("reading action ids", token => _inner.ActionsAsync(loop, token), cancellationToken);

    /// <inheritdoc />
    public Task SaveCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken) =>
        RunAsync("saving a checkpoint", token => _inner.SaveCheckpointAsync(loop, sequence, state, token), cancellationToken);

    /// <inheritdoc />
    public Task<(long Sequence, byte[] State)?> LoadCheckpointAsync(string loop, CancellationToken cancellationToken) =>
        RunAsync("loading a checkpoint", token => _inner.LoadCheckpointAsync(loop, token), cancellationToken);

    /// <inheritdoc />
    public Task<(long Decisions, long Rewards)> CountAsync(string loop, CancellationToken cancellationToken) =>
        RunAsync("counting events", token => _inner.CountAsync(loop, token), cancellationToken);

    /// <inheritdoc />
    public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, DecisionMarks marks, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return RunAsync("appending a decision", async token =>
        {
            try
            {
                attempts++;
                await _inner.AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, marks, token).ConfigureAwait(false);
            }
            catch (DuplicateEventException) when (attempts > 1)
            {
                if (!await IsOwnDecisionAsync(loop, eventId, createdMilliseconds, payload, token).ConfigureAwait(false))
                {
                    throw;
                }
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// With <see cref="RewardAggregation.Sum"/> a retried reward whose first attempt committed (its answer lost) is added
    /// twice: the store cannot tell the two apart without a request id.
    /// </remarks>
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, RewardAggregation aggregation, CancellationToken cancellationToken)
    {
        if (aggregation == RewardAggregation.Reject)
        {
            return AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, cancellationToken);
        }
        return RunAsync("appending a reward", token => _inner.AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, aggregation, token), cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, bool completeWhenRewarded, CancellationToken cancellationToken) =>
        RunAsync("recording complete events", token => _inner.CompleteAsync(loop, expiredBeforeMilliseconds, limit, completeWhenRewarded, token), cancellationToken);

    /// <inheritdoc />
    public Task<ActivationOutcome> ActivateAsync(string loop, string eventId, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
        RunAsync("activating an event", token => _inner.ActivateAsync(loop, eventId, nowMilliseconds, waitMilliseconds, token), cancellationToken); // idempotent

    /// <inheritdoc />
    public Task<bool> SetDefinitionAsync(string loop, string definition, CancellationToken cancellationToken) =>
        RunAsync("changing a loop", token => _inner.SetDefinitionAsync(loop, definition, token), cancellationToken); // idempotent

    /// <inheritdoc />
    public Task ReplaceCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken) =>
        RunAsync("replacing a checkpoint", token => _inner.ReplaceCheckpointAsync(loop, sequence, state, token), cancellationToken); // idempotent

    /// <inheritdoc />
    public Task<bool> DeleteLoopAsync(string loop, CancellationToken cancellationToken)
    {
        var attempts = 0;
        return RunAsync("deleting a loop", async token =>
        {
            attempts++;
            // Refused on a retry: the first attempt may have committed (then the loop is gone, as asked).
            return await _inner.DeleteLoopAsync(loop, token).ConfigureAwait(false) || attempts > 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> EraseUserAsync(string loop, string userKeyHash, CancellationToken cancellationToken) =>
        RunAsync("erasing a user's events", token => _inner.EraseUserAsync(loop, userKeyHash, token), cancellationToken);

    /// <inheritdoc />
    public Task<long> DeleteFinishedAsync(string loop, long createdBeforeMilliseconds, long throughCompletion, CancellationToken cancellationToken) =>
        RunAsync("deleting old events", token => _inner.DeleteFinishedAsync(loop, createdBeforeMilliseconds, throughCompletion, token), cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
