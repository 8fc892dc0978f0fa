using System.Collections.Concurrent;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Policies.Catalog;

namespace Cobalt.Service.Loops;

/// <summary>
/// One learning loop in memory: its policy, its cache of the store's action ids, and what it has learned up to.
/// Ranking and learning share the policy under one lock, so a rank call sees the model before or after a learned batch,
/// never in between (the model changes atomically).
/// </summary>
internal sealed class Loop
{
    private readonly IPolicy _policy;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, int> _actions;

    public Loop(string name, PolicySpec spec, LoopOptions options, string apiKeyHash, IReadOnlyDictionary<string, int> actions)
    {
        Name = name;
        Spec = spec;
        Options = options;
        ApiKeyHash = apiKeyHash;
        _policy = PolicyCatalog.Build(spec, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed));
        _actions = new ConcurrentDictionary<string, int>(actions, StringComparer.Ordinal);
    }

    public string Name { get; }

    public PolicySpec Spec { get; }

    public LoopOptions Options { get; }

    /// <summary>SHA-256 of the loop's API key; replaced when the key is rotated.</summary>
    public string ApiKeyHash { get; set; }

    /// <summary>Sequence number of the last event learned from.</summary>
    public long LearnedSequence { get; private set; }

    /// <summary>Sequence number of the last checkpoint.</summary>
    public long CheckpointSequence { get; set; }

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

    /// <summary>The policy's decision for a context (thread-safe).</summary>
    public Decision Select(DecisionContext context, int slateSize)
    {
        lock (_gate)
        {
            return _policy.Select(context, slateSize);
        }
    }

    /// <summary>Learns from a batch of logged events up to <paramref name="sequence"/> (thread-safe).</summary>
    public void Learn(ReadOnlySpan<Feedback> feedback, long sequence, int events)
    {
        lock (_gate)
        {
            if (!feedback.IsEmpty)
            {
                _policy.Update(feedback);
            }
            LearnedSequence = sequence;
        }
        Interlocked.Add(ref Learned, events);
    }

    /// <summary>The policy's state and the sequence it covers (thread-safe).</summary>
    public (long Sequence, byte[] State) Snapshot()
    {
        lock (_gate)
        {
            using var stream = new MemoryStream();
            PolicyCatalog.Save(_policy, stream);
            return (LearnedSequence, stream.ToArray());
        }
    }

    /// <summary>Restores a checkpoint taken by <see cref="Snapshot"/>.</summary>
    public void Restore(long sequence, byte[] state)
    {
        lock (_gate)
        {
            PolicyCatalog.LoadInto(_policy, new MemoryStream(state));
            LearnedSequence = sequence;
            CheckpointSequence = sequence;
        }
    }
}
