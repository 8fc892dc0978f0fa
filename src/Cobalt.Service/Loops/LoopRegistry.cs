using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;
using Cobalt.Service.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cobalt.Service.Loops;

/// <summary>
/// The loops of the service: created through the API, restored from the store (checkpoint plus log tail) at start, and
/// loaded on first use when another process sharing the store created them. One loop's fault stays its own: a
/// checkpoint that fails its checksum, claims more than the log holds or cannot be read makes that loop replay its log
/// from the start (reported in its <see cref="LoopHealth"/>); a definition that cannot be read leaves that loop out
/// (<see cref="Unloadable"/>), never the others.
/// </summary>
internal sealed class LoopRegistry(IEventStore store, ILogger? logger = null)
{
    private readonly ConcurrentDictionary<string, Loop> _loops = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LoopHealth> _health = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _unloadable = new(StringComparer.Ordinal);
    private ILogger _logger = logger ?? NullLogger.Instance;
    private readonly Lock _loadGate = new();
    private Task? _load;

    public IEventStore Store { get; } = store;

    /// <summary>Where the registry logs loops' faults and life-cycle events (the host's logger once the service is built).</summary>
    public ILogger Logger
    {
        get => Volatile.Read(ref _logger);
        set => Volatile.Write(ref _logger, value ?? NullLogger.Instance);
    }

    public IReadOnlyCollection<Loop> All => [.. _loops.Values];

    /// <summary>Stored loops this process could not load, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Unloadable => _unloadable;

    /// <summary>The health of the loop of that name.</summary>
    public LoopHealth Health(string name) => _health.GetOrAdd(name, _ => new LoopHealth());

    /// <summary>Puts a rebuilt loop in place of the one of the same name (its model back to a known good state).</summary>
    public void Replace(Loop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        _loops[loop.Name] = loop;
    }

    /// <summary>Forgets a deleted loop (its health too); a later request for the name finds nothing unless the store has it again.</summary>
    public void Remove(Loop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        if (_loops.TryGetValue(loop.Name, out var current) && ReferenceEquals(current, loop))
        {
            _loops.TryRemove(loop.Name, out _);
        }
        _health.TryRemove(loop.Name, out _);
    }

    /// <summary>
    /// Gives the loop new options: checks them as a definition (<see cref="Parse"/>), stores the definition, then serves and
    /// learns with them; the model is kept. The caller has checked that the dimensions and seed are unchanged.
    /// </summary>
    /// <exception cref="OptionsException">The options do not make a valid definition (the field is named).</exception>
    /// <exception cref="InvalidOperationException">The loop is no longer in the store.</exception>
    public async Task ChangeOptionsAsync(Loop loop, LoopOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var definition = Canonical(loop.Spec, options);
        _ = Parse(definition); // the same checks as a PUT: apprentice with a candidate budget, exploration that fits the policy
        if (!await Store.SetDefinitionAsync(loop.Name, definition, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Loop '{loop.Name}' is no longer in the store (it was deleted).");
        }
        loop.Reconfigure(options);
        ServiceLog.LoopChanged(Logger, loop.Name, definition);
    }

    /// <summary>
    /// Brings this process's loops in line with the store's records (when processes share a store): a loop whose stored
    /// options changed (another process's PATCH) is reconfigured, and a loop no longer stored (deleted elsewhere) is
    /// forgotten and stops learning.
    /// </summary>
    public void Synchronise(IReadOnlyList<LoopRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var stored = records.ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var loop in All)
        {
            if (!stored.TryGetValue(loop.Name, out var record))
            {
                loop.Deleted = true;
                Remove(loop);
                continue;
            }
            if (record.Definition == Canonical(loop.Spec, loop.Options))
            {
                continue;
            }
            try
            {
                var (spec, options) = Parse(record.Definition);
                if (spec.Kind == loop.Spec.Kind && options.ContextDimension == loop.Options.ContextDimension
                    && options.ActionDimension == loop.Options.ActionDimension && options.Seed == loop.Options.Seed)
                {
                    loop.Reconfigure(options);
                }
            }
            catch (OptionsException e)
            {
                ServiceLog.LoopWarning(Logger, $"Loop '{loop.Name}': its changed stored definition cannot be read ({e.Message}); it keeps its options.");
            }
        }
    }

    /// <summary>
    /// The loop of that name, or null. A name this process does not know is looked up in the store (another process sharing
    /// the store may have created it); the store is read only on a miss, and concurrent misses share one read.
    /// </summary>
    public async ValueTask<Loop?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (_loops.TryGetValue(name, out var loop))
        {
            return loop;
        }
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return _loops.GetValueOrDefault(name);
    }

    /// <summary>
    /// Loads the stored loops this process does not have yet, each restored from its last checkpoint (the learner then
    /// replays the log after it). Concurrent calls share one read of the store.
    /// </summary>
    public Task LoadAsync(CancellationToken cancellationToken)
    {
        Task load;
        lock (_loadGate)
        {
            if (_load is null || _load.IsCompleted)
            {
                _load = LoadNewAsync();
            }
            load = _load;
        }
        return load.WaitAsync(cancellationToken);
    }

    /// <summary>The dense ids of action names: from the loop's cache, else assigned by the store (the same in every process).</summary>
    public async Task<int[]> ActionIdsAsync(Loop loop, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(names);
        var unknown = names.Where(n => !loop.TryActionId(n, out _)).ToArray();
        if (unknown.Length > 0)
        {
            loop.AddActions(await Store.AssignActionsAsync(loop.Name, unknown, cancellationToken).ConfigureAwait(false));
        }
        return [.. names.Select(n => loop.TryActionId(n, out var id) ? id : throw new InvalidOperationException($"The event store assigned no id to action '{n}'."))];
    }

    /// <summary>Creates a loop; returns its API key, or null when a loop with the same definition exists (an identical PUT).</summary>
    /// <exception cref="InvalidOperationException">A loop of that name exists with another definition.</exception>
    public async Task<string?> CreateAsync(string name, string definition, CancellationToken cancellationToken)
    {
        var (spec, options) = Parse(definition);
        var canonical = Canonical(spec, options);
        if (!_loops.ContainsKey(name))
        {
            await LoadAsync(cancellationToken).ConfigureAwait(false); // another process may have created it
        }
        if (_loops.TryGetValue(name, out var existing))
        {
            return Canonical(existing.Spec, existing.Options) == canonical
                ? null
                : throw new InvalidOperationException($"Loop '{name}' exists with another definition; loops are not redefined (create a new one).");
        }
        var key = NewKey();
        var record = new LoopRecord(name, canonical, Hash(key), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (!await Store.CreateLoopAsync(record, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Loop '{name}' was created concurrently; read it again.");
        }
        var created = new Loop(name, spec, options, record.ApiKeyHash, new Dictionary<string, int>());
        Health(name).LastGood = created.Snapshot();
        _loops.TryAdd(name, created);
        return key;
    }

    /// <summary>A new API key: 32 random bytes, base64url.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>SHA-256 (hex) of an API key: only hashes are stored.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Reads <c>{"policy": {"kind", "options"}, "options": {...}}</c>; errors name the field.</summary>
    public static (PolicySpec Spec, LoopOptions Options) Parse(string definition)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(definition);
        }
        catch (JsonException e)
        {
            throw new OptionsException("(body)", $"not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new OptionsException("(body)", "a loop definition is an object with 'policy' and optional 'options'.");
            }
            PolicySpec? spec = null;
            LoopOptions options = new();
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "policy":
                        spec = PolicyCatalog.ParseSpec(member.Value, "policy");
                        break;
                    case "options":
                        options = OptionsBinder.Bind<LoopOptions>(member.Value, "options");
                        break;
                    default:
                        throw new OptionsException(member.Name, "unknown field; allowed: policy, options.");
                }
            }
            if (spec is null)
            {
                throw new OptionsException("policy", "is missing: give the policy, e.g. {\"kind\": \"linucb-shared\"}.");
            }
            if (options.Apprentice && spec.Options.CandidateBudget > 0)
            {
                throw new OptionsException("options.apprentice", "an apprentice loop learns from every action; leave the policy's candidate-budget at 0.");
            }
            // Building once checks that the policy fits the dimensions (for example that a per-user model is not used without users)
            // and that it can be served with the exploration asked for.
            _ = new ServedPolicy(PolicyCatalog.Build(spec, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed)), options);
            return (spec, options);
        }
    }

    private async Task LoadNewAsync()
    {
        foreach (var record in await Store.LoopsAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (_loops.ContainsKey(record.Name))
            {
                continue;
            }
            PolicySpec spec;
            LoopOptions options;
            try
            {
                (spec, options) = Parse(record.Definition);
            }
            catch (OptionsException e)
            {
                _unloadable[record.Name] = $"loop '{record.Name}' is not served: its stored definition cannot be read ({e.Message}).";
                ServiceLog.LoopFault(Logger, _unloadable[record.Name]);
                continue;
            }
            _unloadable.TryRemove(record.Name, out _);
            var actions = await Store.ActionsAsync(record.Name, CancellationToken.None).ConfigureAwait(false);
            var loop = new Loop(record.Name, spec, options, record.ApiKeyHash, actions);
            var health = Health(record.Name);
            if (await CheckpointProblemAsync(loop).ConfigureAwait(false) is { } problem)
            {
                problem += " The loop replays its log from the start.";
                health.Report(problem);
                ServiceLog.LoopWarning(Logger, problem);
                loop = new Loop(record.Name, spec, options, record.ApiKeyHash, actions); // a failed restore may have changed the model halfway
            }
            health.LastGood = loop.Snapshot();
            _loops.TryAdd(record.Name, loop);
        }
    }

    /// <summary>Restores the loop from its checkpoint; returns why that was not possible (the loop must then start afresh), or null.</summary>
    private async Task<string?> CheckpointProblemAsync(Loop loop)
    {
        (long Sequence, byte[] State)? checkpoint;
        try
        {
            checkpoint = await Store.LoadCheckpointAsync(loop.Name, CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        if (checkpoint is not { } c)
        {
            return null;
        }
        var completed = await Store.CompletedCountAsync(loop.Name, CancellationToken.None).ConfigureAwait(false);
        if (c.Sequence < 0 || c.Sequence > completed)
        {
            return $"The checkpoint of loop '{loop.Name}' covers completion {c.Sequence} but the log has {completed} complete events: it was changed by hand or belongs to another log.";
        }
        try
        {
            loop.Restore(c.Sequence, c.State);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException or OptionsException or FormatException or OverflowException or InvalidOperationException)
        {
            return $"The checkpoint of loop '{loop.Name}' (completion {c.Sequence}) cannot be restored: {e.Message}";
        }
    }

    /// <summary>The stored form of a definition (the same text for the same definition).</summary>
    internal static string Canonical(PolicySpec spec, LoopOptions options)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("policy");
            writer.WriteString("kind", spec.Kind);
            writer.WritePropertyName("options");
            OptionsBinder.Write(writer, spec.Options);
            writer.WriteEndObject();
            writer.WritePropertyName("options");
            OptionsBinder.Write(writer, options);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
