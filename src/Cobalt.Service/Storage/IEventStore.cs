using Cobalt.Service.Loops;

namespace Cobalt.Service.Storage;

/// <summary>A loop as stored: its name, definition (JSON: policy specification and loop options) and API key hash.</summary>
public sealed record LoopRecord(string Name, string Definition, string ApiKeyHash, long CreatedMilliseconds);

/// <summary>What became of a reward.</summary>
public enum RewardOutcome
{
    /// <summary>Stored (durably, before the caller is answered).</summary>
    Accepted,

    /// <summary>No rank call has this event id.</summary>
    UnknownEvent,

    /// <summary>The reward wait time of the event has passed.</summary>
    Expired,

    /// <summary>The slot already has a reward.</summary>
    Duplicate,

    /// <summary>The event has fewer slots.</summary>
    SlotOutOfRange,

    /// <summary>The slot already has a reward and the loop keeps the earliest (<see cref="RewardAggregation.Earliest"/>): acknowledged, not stored.</summary>
    Ignored,

    /// <summary>The event was ranked with deferred activation and has not been activated: its rewards are refused.</summary>
    NotActivated,
}

/// <summary>What became of an activation.</summary>
public enum ActivationOutcome
{
    /// <summary>The event is now active (it will be learned).</summary>
    Activated,

    /// <summary>The event was active already (ranked without deferral, or activated before).</summary>
    AlreadyActive,

    /// <summary>No rank call has this event id.</summary>
    UnknownEvent,

    /// <summary>The event's reward wait has passed (it is finished as inactive).</summary>
    Expired,
}

/// <summary>The loop is not in the store (it was deleted, perhaps by another process sharing the store).</summary>
public sealed class UnknownLoopException(string loop) : Exception($"There is no loop '{loop}' in the store (it was deleted).")
{
    /// <summary>The loop's name.</summary>
    public string Loop { get; } = loop;

    /// <summary>Creates the exception without a name (prefer the primary constructor).</summary>
    public UnknownLoopException()
        : this("(unknown)")
    {
    }

    /// <summary>Creates the exception without a name (prefer the primary constructor).</summary>
    public UnknownLoopException(string message, Exception inner)
        : this(message) => _ = inner;
}

/// <summary>What a rank call stores with its decision besides the payload.</summary>
/// <param name="UserKeyHash">SHA-256 (hex) of the caller's user key, so the user's events can be erased; null when none was given.</param>
/// <param name="Deferred">Ranked with deferred activation: not learned unless activated within the reward wait.</param>
public readonly record struct DecisionMarks(string? UserKeyHash, bool Deferred);

/// <summary>The event id is already in the loop's log.</summary>
public sealed class DuplicateEventException(string eventId) : Exception($"Event '{eventId}' already exists in this loop.")
{
    /// <summary>The duplicated id.</summary>
    public string EventId { get; } = eventId;

    /// <summary>Creates the exception without an id (prefer the primary constructor).</summary>
    public DuplicateEventException()
        : this("(unknown)")
    {
    }

    /// <summary>Creates the exception without an id (prefer the primary constructor).</summary>
    public DuplicateEventException(string message, Exception inner)
        : this(message) => _ = inner;
}

/// <summary>
/// The durable store behind the service: loops, the event log (rank calls and rewards, in order) and checkpoints.
/// A write returns only once it is committed, so an acknowledged event survives a crash of the process.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Creates the tables if needed.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Every loop.</summary>
    Task<IReadOnlyList<LoopRecord>> LoopsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new loop (clearing any rows an earlier loop of that name left behind); false when the name is taken.</summary>
    Task<bool> CreateLoopAsync(LoopRecord loop, CancellationToken cancellationToken);

    /// <summary>Replaces the loop's API key hash (key rotation); false when there is no such loop.</summary>
    Task<bool> SetApiKeyHashAsync(string loop, string apiKeyHash, CancellationToken cancellationToken);

    /// <summary>
    /// The dense ids of action names: a stored name keeps its id, a new name gets the loop's next free id (in the order
    /// given). The store assigns them, so every process sharing the store agrees on them.
    /// </summary>
    Task<IReadOnlyDictionary<string, int>> AssignActionsAsync(string loop, IReadOnlyList<string> names, CancellationToken cancellationToken);

    /// <summary>Appends a rank call (its action ids come from <see cref="AssignActionsAsync"/>).</summary>
    /// <exception cref="DuplicateEventException">The event id is taken.</exception>
    Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, CancellationToken cancellationToken);

    /// <summary>
    /// Appends a reward for one slot of an event, if the event exists, has the slot, is not expired, is not yet complete
    /// (see <see cref="CompleteAsync(string, long, int, CancellationToken)"/>) and the slot has no reward. A complete event's rewards never change, so every
    /// learner learns it with the same rewards.
    /// </summary>
    Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="afterSequence"/>, in log order, with their rewards so far
    /// (a damaged payload is returned with <see cref="LoggedEvent.Damage"/> set).
    /// </summary>
    Task<IReadOnlyList<LoggedEvent>> ReadAfterAsync(string loop, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records, in the loop's completion order, the events that have become complete: every slot rewarded, or created
    /// before <paramref name="expiredBeforeMilliseconds"/> (their reward wait, plus grace, has passed). Events are
    /// appended in log order within one call, after the completions already recorded; any process sharing the store may
    /// call it, and an event is recorded once. Returns the number of events recorded (at most <paramref name="limit"/>).
    /// </summary>
    Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> complete events after position <paramref name="afterCompletion"/> of the completion
    /// order, in that order, with their (final) rewards; a damaged payload is returned with <see cref="LoggedEvent.Damage"/> set.
    /// </summary>
    Task<IReadOnlyList<LoggedEvent>> ReadCompletedAsync(string loop, long afterCompletion, int limit, CancellationToken cancellationToken);

    /// <summary>Length of the loop's completion order (its last position; 0 when none).</summary>
    Task<long> CompletedCountAsync(string loop, CancellationToken cancellationToken);

    /// <summary>A cheap read that fails when the store cannot be used (for readiness checks).</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>One event with its rewards, or null.</summary>
    Task<LoggedEvent?> GetEventAsync(string loop, string eventId, CancellationToken cancellationToken);

    /// <summary>The loop's action names and their dense ids.</summary>
    Task<IReadOnlyDictionary<string, int>> ActionsAsync(string loop, CancellationToken cancellationToken);

    /// <summary>Replaces the loop's checkpoint (learned state up to and including <paramref name="sequence"/>).</summary>
    Task SaveCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken);

    /// <summary>The loop's last checkpoint, if any.</summary>
    /// <exception cref="InvalidDataException">The checkpoint does not match its checksum (sequence and state).</exception>
    Task<(long Sequence, byte[] State)?> LoadCheckpointAsync(string loop, CancellationToken cancellationToken);

    /// <summary>Number of rank calls and rewards in the loop's log.</summary>
    Task<(long Decisions, long Rewards)> CountAsync(string loop, CancellationToken cancellationToken);

    // The loop life cycle. Default bodies keep older wrappers compiling; the service's stores implement every one.

    /// <summary>Appends a rank call with its marks (user key, deferred activation), only while the loop is stored.</summary>
    /// <exception cref="DuplicateEventException">The event id is taken.</exception>
    /// <exception cref="UnknownLoopException">The loop is not stored (deleted, perhaps by another process).</exception>
    Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, DecisionMarks marks, CancellationToken cancellationToken) =>
        marks == default ? AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, cancellationToken) : throw new NotSupportedException("This store keeps no decision marks.");

    /// <summary>
    /// Appends a reward as <see cref="AppendRewardAsync(string, string, int, double, long, long, CancellationToken)"/> does, a
    /// second reward for the slot combining with the first as <paramref name="aggregation"/> says; a deferred event that is
    /// not activated answers <see cref="RewardOutcome.NotActivated"/>.
    /// </summary>
    Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, RewardAggregation aggregation, CancellationToken cancellationToken) =>
        aggregation == RewardAggregation.Reject ? AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, cancellationToken) : throw new NotSupportedException("This store aggregates no rewards.");

    /// <summary>
    /// As <see cref="CompleteAsync(string, long, int, CancellationToken)"/>; with <paramref name="completeWhenRewarded"/> false an
    /// event is complete only once its wait has passed, however many rewards it has (rewards that sum or replace).
    /// </summary>
    Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, bool completeWhenRewarded, CancellationToken cancellationToken) =>
        completeWhenRewarded ? CompleteAsync(loop, expiredBeforeMilliseconds, limit, cancellationToken) : throw new NotSupportedException("This store cannot wait for the reward wait.");

    /// <summary>Activates a deferred event within its reward wait (and before it is complete).</summary>
    Task<ActivationOutcome> ActivateAsync(string loop, string eventId, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This store has no deferred activation.");

    /// <summary>Replaces the loop's stored definition (loop options changed in place); false when there is no such loop.</summary>
    Task<bool> SetDefinitionAsync(string loop, string definition, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This store cannot change a loop's definition.");

    /// <summary>Replaces the loop's checkpoint whatever its sequence (an imported or reset model).</summary>
    Task ReplaceCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This store cannot replace a checkpoint.");

    /// <summary>Deletes the loop with its events, rewards, action ids, completion order and checkpoint; false when there was no such loop.</summary>
    Task<bool> DeleteLoopAsync(string loop, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This store cannot delete loops.");

    /// <summary>Deletes the events (and their rewards) ranked with this user key hash; returns how many events were deleted.</summary>
    Task<long> EraseUserAsync(string loop, string userKeyHash, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This store cannot erase a user's events.");

    /// <summary>
    /// Deletes the events created before <paramref name="createdBeforeMilliseconds"/> that are complete at a position of the
    /// completion order up to <paramref name="throughCompletion"/> (learned and checkpointed), with their rewards; never an
    /// event that is not yet complete. Returns how many events were deleted.
    /// </summary>
    Task<long> DeleteFinishedAsync(string loop, long createdBeforeMilliseconds, long throughCompletion, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This store keeps every event.");
}
