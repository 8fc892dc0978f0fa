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
}

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

    /// <summary>Stores a new loop; false when the name is taken.</summary>
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
    /// (see <see cref="CompleteAsync"/>) and the slot has no reward. A complete event's rewards never change, so every
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
}
