using System.Collections.Concurrent;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Models;
using Cobalt.Policies.Stages;

namespace Cobalt.Service.Loops;

/// <summary>
/// One learning loop in memory: its policy, its cache of the store's action ids, and what it has learned up to.
/// Ranking and learning share the policy under one lock, so a rank call sees the model before or after a learned batch,
/// never in between (the model changes atomically). The policy is served through <see cref="ServedPolicy"/> (every decision
/// randomised, with its exact probability), and learns only finite updates: a batch whose update throws an arithmetic error
/// or leaves any model value non-finite is rolled back and learned event by event, and the events that still fail are
/// refused (counted in <see cref="RefusedUpdates"/>), so the model that ranks and the checkpoints never hold them.
/// The lock is a reader-writer lock: a policy whose served decision reads the model without writing anything
/// (<see cref="ConcurrentRanks"/>) ranks under the read side, so concurrent rank calls of one loop run in parallel; every
/// other policy, and everything that changes the model, takes the write side.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The model lock lives as long as the loop and is never disposed: a rank call may still hold it after the loop is deleted, and it owns no handle until a wait needs one.")]
internal sealed class Loop
{
    private readonly IPolicy _policy;
    private ServedPolicy _served;
    private readonly byte[] _fresh;
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private readonly bool _concurrentRanks;
    private readonly ConcurrentDictionary<string, int> _actions;
    private byte[] _good;
    private long _goodNonFinite;
    private readonly long _freshNonFinite;
    private long _refused;

    public Loop(string name, PolicySpec spec, LoopOptions options, string apiKeyHash, IReadOnlyDictionary<string, int> actions)
    {
        Name = name;
        Spec = spec;
        Options = options;
        ApiKeyHash = apiKeyHash;
        _policy = PolicyCatalog.Build(spec, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed));
        _served = new ServedPolicy(_policy, options);
        _concurrentRanks = ConcurrentRanks(_policy);
        _fresh = Save();
        _good = Capture(out _freshNonFinite); // a few policies mark "nothing yet" with NaN (mixed-ucb's period means)
        _goodNonFinite = _freshNonFinite;
        _actions = new ConcurrentDictionary<string, int>(actions, StringComparer.Ordinal);
    }

    public string Name { get; }

    public PolicySpec Spec { get; }

    /// <summary>The loop's options; replaced as a whole by <see cref="Reconfigure"/> (read it once per request).</summary>
    public LoopOptions Options { get; private set; }

    /// <summary>
    /// Held by whatever changes the model or the loop's existence as a whole (the learner's pass over this loop, a model
    /// import or reset, a change of options, deletion), so they never interleave.
    /// </summary>
    public SemaphoreSlim ModelGate { get; } = new(1, 1);

    /// <summary>Set when the loop is deleted: it ranks, learns and checkpoints no more.</summary>
    public bool Deleted { get => Volatile.Read(ref _deleted); set => Volatile.Write(ref _deleted, value); }

    private bool _deleted;

    /// <summary>The specification (kind, options, dimensions, seed) the policy's state files carry.</summary>
    public string PolicySpecification => _policy.Specification;

    /// <summary>Completed events that were never activated (deferred activation), finished without being learned by this process.</summary>
    public long InactiveSkipped;

    /// <summary>Finished events this process deleted under the loop's log retention.</summary>
    public long RetentionDeleted;

    /// <summary>When this process last swept the loop's log for retention (Unix ms).</summary>
    public long RetentionSweptMilliseconds;

    /// <summary>SHA-256 of the loop's API key; replaced when the key is rotated.</summary>
    public string ApiKeyHash { get; set; }

    /// <summary>Sequence number of the last event learned from.</summary>
    public long LearnedSequence { get; private set; }

    /// <summary>Sequence number of the last checkpoint.</summary>
    public long CheckpointSequence { get; set; }

    /// <summary>The exploration served (the loop option with auto resolved).</summary>
    public ServedExploration Exploration => _served.Exploration;

    /// <summary>Logged events whose update was refused because it would have made the model non-finite (or not positive definite).</summary>
    public long RefusedUpdates => Interlocked.Read(ref _refused);

    /// <summary>Why the last update was refused (with the event's sequence), or null.</summary>
    public string? LastRefusal { get; private set; }

    public long Ranks;
    public long Rewards;
    public long Learned;

    /// <summary>Recent rank calls, rewards and learned rewards per second, for the dashboard.</summary>
    public LoopActivity Activity { get; } = new(TimeProvider.System);

    /// <summary>The dense id of an action name, if this process has seen it (ids are assigned by the store).</summary>
    public bool TryActionId(string name, out int id) => _actions.TryGetValue(name, out id);

    /// <summary>Remembers ids the store assigned (<see cref="Storage.IEventStore.AssignActionsAsync"/>).</summary>
    public void AddActions(IReadOnlyDictionary<string, int> ids)
    {
        foreach (var (name, id) in ids)
        {
            _actions.TryAdd(name, id);
        }
    }

    /// <summary>
    /// The served decision for a context (thread-safe): its exploration draws come from a generator seeded by the loop's seed
    /// and <paramref name="eventId"/>, so the same event under the same model is served the same way by every replica.
    /// </summary>
    public Decision Select(DecisionContext context, int slateSize, string eventId)
    {
        var rng = new Rng(Seeds.Derive(Options.Seed, "served:" + eventId));
        if (!_concurrentRanks)
        {
            using (Exclusive())
            {
                return _served.Select(context, slateSize, rng);
            }
        }
        _gate.EnterReadLock();
        try
        {
            return _served.Select(context, slateSize, rng);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Whether the served decision of <paramref name="policy"/> only reads its model, so rank calls may share the model:
    /// every candidate scored (<see cref="AllCandidates"/>), a <see cref="LinearModel"/> (its <see cref="LinearModel.Estimate"/>
    /// is safe for concurrent readers) and an upper confidence bound (scores, no posterior draws). The served decision is the
    /// same, bit for bit, as under the exclusive lock.
    /// </summary>
    private static bool ConcurrentRanks(IPolicy policy) =>
        policy is ComposedPolicy { Stage: AllCandidates, Model: LinearModel, Strategy: UpperConfidenceBound };

    /// <summary>Whether this loop's rank calls share the model (<see cref="ConcurrentRanks"/>).</summary>
    internal bool RanksConcurrently => _concurrentRanks;

    /// <summary>Holds the write side of the model lock until disposed.</summary>
    private WriteScope Exclusive()
    {
        _gate.EnterWriteLock();
        return new WriteScope(_gate);
    }

    private readonly struct WriteScope(ReaderWriterLockSlim gate) : IDisposable
    {
        public void Dispose() => gate.ExitWriteLock();
    }

    /// <summary>
    /// Learns from a batch of logged events up to <paramref name="sequence"/> (thread-safe); the feedback of one event shares
    /// its context's round (the event's sequence). Returns why events were refused (empty when all were learned).
    /// </summary>
    public IReadOnlyList<string> Learn(ReadOnlySpan<Feedback> feedback, long sequence, int events)
    {
        var refusals = new List<string>();
        using (Exclusive())
        {
            if (!feedback.IsEmpty && !TryUpdate(feedback, out _))
            {
                Rollback();
                var start = 0;
                while (start < feedback.Length)
                {
                    var round = feedback[start].Context.Round;
                    var end = start;
                    while (end < feedback.Length && feedback[end].Context.Round == round)
                    {
                        end++;
                    }
                    if (!TryUpdate(feedback[start..end], out var reason))
                    {
                        Rollback();
                        Interlocked.Increment(ref _refused);
                        LastRefusal = $"the update of the event at sequence {round} was refused: {reason}";
                        refusals.Add(LastRefusal);
                    }
                    start = end;
                }
            }
            LearnedSequence = sequence;
        }
        Interlocked.Add(ref Learned, events);
        return refusals;
    }

    /// <summary>Applies an update and keeps it when every model value stays finite; otherwise says why (the caller rolls back).</summary>
    private bool TryUpdate(ReadOnlySpan<Feedback> feedback, out string reason)
    {
        try
        {
            _policy.Update(feedback);
        }
        catch (Exception e) when (e is ArithmeticException or InvalidOperationException or ArgumentException)
        {
            reason = e.Message;
            return false;
        }
        var state = Capture(out var nonFinite);
        if (nonFinite > _goodNonFinite)
        {
            reason = $"it would make {nonFinite - _goodNonFinite} model value(s) non-finite.";
            return false;
        }
        _good = state;
        _goodNonFinite = nonFinite;
        reason = "";
        return true;
    }

    /// <summary>The policy's state (no header) and how many non-finite values it holds.</summary>
    private byte[] Capture(out long nonFinite)
    {
        using var stream = new MemoryStream();
        using (var writer = new StateWriter(stream))
        {
            _policy.WriteState(writer);
            nonFinite = writer.NonFiniteValues;
        }
        return stream.ToArray();
    }

    /// <summary>Puts back the last state known to be finite.</summary>
    private void Rollback()
    {
        using var reader = new StateReader(new MemoryStream(_good));
        _policy.ReadState(reader);
    }

    /// <summary>
    /// Serves and learns with new options from now on (thread-safe); the model is kept as it is. The options must keep the
    /// policy's dimensions and seed (the registry checks that).
    /// </summary>
    public void Reconfigure(LoopOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var served = new ServedPolicy(_policy, options); // throws OptionsException when the exploration does not fit the policy
        using (Exclusive())
        {
            _served = served;
            Options = options;
        }
    }

    /// <summary>Puts the model back to the untrained one (same options and seed); the learned sequence stays, so old events are not relearned.</summary>
    public (long Sequence, byte[] State) Reset()
    {
        using (Exclusive())
        {
            PolicyCatalog.LoadInto(_policy, new MemoryStream(_fresh));
            _good = Capture(out _goodNonFinite);
            return (LearnedSequence, Save());
        }
    }

    /// <summary>
    /// Replaces the model's state with a state file's (<see cref="PolicyCatalog.Save(IPolicy, Stream)"/> format) of the same
    /// kind, policy options and dimensions (its seed may differ); the learned sequence stays. Thread-safe.
    /// </summary>
    /// <exception cref="InvalidDataException">The state cannot be read, or holds non-finite values (the model is left as it was).</exception>
    public (long Sequence, byte[] State) Import(byte[] stateFile)
    {
        ArgumentNullException.ThrowIfNull(stateFile);
        using (Exclusive())
        {
            try
            {
                var (_, state) = StateFile.Read(new MemoryStream(stateFile));
                using (state)
                {
                    _policy.ReadState(state);
                }
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
            {
                Rollback();
                throw new InvalidDataException($"the model's state cannot be read into this loop's policy: {e.Message}", e);
            }
            var restored = Capture(out var nonFinite);
            if (nonFinite > _freshNonFinite)
            {
                Rollback();
                throw new InvalidDataException($"the model holds {nonFinite - _freshNonFinite} non-finite value(s); it is not used.");
            }
            _good = restored;
            _goodNonFinite = nonFinite;
            return (LearnedSequence, Save());
        }
    }

    /// <summary>The policy as a state file (call under the gate).</summary>
    private byte[] Save()
    {
        using var stream = new MemoryStream();
        PolicyCatalog.Save(_policy, stream);
        return stream.ToArray();
    }

    /// <summary>The policy's state and the sequence it covers (thread-safe).</summary>
    public (long Sequence, byte[] State) Snapshot()
    {
        using (Exclusive())
        {
            return (LearnedSequence, Save()); // only finite states are ever kept (see Learn)
        }
    }

    /// <summary>Restores a checkpoint taken by <see cref="Snapshot"/>.</summary>
    public void Restore(long sequence, byte[] state)
    {
        using (Exclusive())
        {
            PolicyCatalog.LoadInto(_policy, new MemoryStream(state));
            var restored = Capture(out var nonFinite);
            if (nonFinite > _freshNonFinite)
            {
                Rollback();
                throw new InvalidDataException($"Loop '{Name}': the checkpoint at sequence {sequence} holds {nonFinite - _freshNonFinite} non-finite model value(s); it is not used.");
            }
            _good = restored;
            _goodNonFinite = nonFinite;
            LearnedSequence = sequence;
            CheckpointSequence = sequence;
        }
    }
}
