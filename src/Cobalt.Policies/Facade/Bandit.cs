using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;

namespace Cobalt;

/// <summary>
/// A contextual bandit in one object: choose an action for a context, reward it by its event id, fit it on logged rounds,
/// save and load it. Every policy of the catalogue (<c>cobalt policies</c>) can be built by name.
/// </summary>
/// <remarks>
/// <para>
/// Built on the same parts as the service's loops: <see cref="PolicyCatalog"/> builds the policy for the bandit's dimensions
/// and seed, and <see cref="ExploredPolicy"/> serves it, so a deterministic scorer (LinUCB, GLM-UCB, UCB1) is explored
/// epsilon-greedily and every choice is random with its exact probability:
/// p(a) = (1 - epsilon) 1{a = argmax_b s_b} / #ties + epsilon / K. Policies with their own closed-form distribution (random,
/// epsilon-greedy, softmax) keep it, and Thompson sampling is served as the exact share of <c>policy-samples</c> posterior
/// draws. The draw of event e comes from a generator seeded by (seed, e), as in the service.
/// </para>
/// <para>
/// Features: with action features (<see cref="BanditOptions.ActionDimension"/> &gt; 0) a policy whose options have
/// <c>features</c> and that are not given uses the context-action outer product (<c>user-outer-item</c>, Li et al. 2010's
/// shared features) or, without a context, the action's features (<c>item</c>); without action features it uses the context
/// (<c>user</c>), one model per action for per-action policies. <c>"linucb"</c> names <c>linucb-disjoint</c> (one ridge model
/// per action, Li et al. 2010, Algorithm 1) when actions have no features and <c>linucb-shared</c> when they have.
/// </para>
/// <para>Methods are thread-safe (one lock). Bad input gets an <see cref="ArgumentException"/> whose message names it.</para>
/// </remarks>
public sealed class Bandit
{
    private const string FileKind = "cobalt-bandit";

    private readonly IPolicy _policy;
    private readonly ExploredPolicy _served;
    private readonly Dictionary<string, int> _actionIds = new(StringComparer.Ordinal);
    private readonly List<string> _actionNames = [];
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long Serial)> _pendingOrder = new();
    private readonly Lock _gate = new();
    private long _round;
    private long _events;
    private long _serial;

    private sealed record Pending(Decision Decision, long Serial);

    private Bandit(IPolicy policy, BanditOptions options)
    {
        _policy = policy;
        Options = options;
        _served = new ExploredPolicy(policy, options.Exploration, options.Epsilon, options.SoftmaxTemperature, options.PolicySamples);
    }

    /// <summary>The options the bandit was created with.</summary>
    public BanditOptions Options { get; }

    /// <summary>The policy's kind (for example <c>linucb-disjoint</c>).</summary>
    public string Kind => _policy.Kind;

    /// <summary>The policy's full specification (kind, options, dimensions, seed) as JSON.</summary>
    public string Specification => _policy.Specification;

    /// <summary>The exploration served (auto resolved).</summary>
    public ServedExploration Exploration => _served.Exploration;

    /// <summary>The underlying policy, for what this class does not cover (slates, the estimates).</summary>
    public IPolicy Policy => _policy;

    /// <summary>Chosen events still waiting for their reward.</summary>
    public int PendingEvents
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>A bandit for contexts of <paramref name="contextDimension"/> values and actions with <paramref name="actionDimension"/> features (0: plain labels).</summary>
    /// <param name="policy">A policy kind (<c>linucb</c>, <c>thompson-linear</c>, <c>epsilon-greedy</c>, ...) or a specification <c>{"kind": ..., "options": {...}}</c>.</param>
    /// <param name="contextDimension">Length of every context vector.</param>
    /// <param name="actionDimension">Length of every action's features (0 for none).</param>
    /// <param name="seed">The root seed.</param>
    /// <exception cref="OptionsException">An unknown policy, a bad option or dimension (the message names the field).</exception>
    public static Bandit Create(string policy, int contextDimension, int actionDimension = 0, ulong seed = 1) =>
        Create(policy, new BanditOptions { ContextDimension = contextDimension, ActionDimension = actionDimension, Seed = seed });

    /// <summary>A bandit built as <paramref name="options"/> say.</summary>
    /// <param name="policy">A policy kind or a specification <c>{"kind": ..., "options": {...}}</c>.</param>
    /// <param name="options">Dimensions, seed and exploration.</param>
    /// <exception cref="OptionsException">An unknown policy, a bad option or dimension (the message names the field).</exception>
    public static Bandit Create(string policy, BanditOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var spec = ParsePolicy(policy, options);
        IPolicy built;
        try
        {
            built = PolicyCatalog.Build(spec, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed));
        }
        catch (ArgumentException e)
        {
            throw new OptionsException("policy", $"'{spec.Kind}' cannot be built for context dimension {options.ContextDimension} and action dimension {options.ActionDimension}: {Plain(e)}", e);
        }
        return new Bandit(built, options);
    }

    /// <summary>Chooses one of the <paramref name="actions"/> (labels without features) for <paramref name="context"/>, at random with a known probability.</summary>
    /// <param name="context">The context (length <see cref="BanditOptions.ContextDimension"/>, finite).</param>
    /// <param name="actions">The ids of the actions to choose from (distinct); the bandit must have been created without action features.</param>
    /// <param name="eventId">The event's id; null gives the next of e1, e2, ...</param>
    /// <exception cref="ArgumentException">A wrong dimension, a non-finite value, no actions, a repeated action id, or an event id still waiting for its reward.</exception>
    public BanditChoice Choose(double[] context, IReadOnlyList<string> actions, string? eventId = null)
    {
        ArgumentNullException.ThrowIfNull(actions);
        return Choose(context, actions.Select(id => new BanditAction(id)).ToArray(), eventId);
    }

    /// <summary>Chooses one of <paramref name="actions"/> for <paramref name="context"/>, at random with a known probability.</summary>
    /// <param name="context">The context (length <see cref="BanditOptions.ContextDimension"/>, finite).</param>
    /// <param name="actions">The actions to choose from: distinct ids, features of length <see cref="BanditOptions.ActionDimension"/> (write <c>new BanditAction(id, features)</c>).</param>
    /// <param name="eventId">The event's id; null gives the next of e1, e2, ...</param>
    /// <returns>The event id to reward, the chosen action, its position and its probability, and every action's probability.</returns>
    /// <exception cref="ArgumentException">A wrong dimension, a non-finite value, no actions, a repeated action id, or an event id still waiting for its reward.</exception>
    public BanditChoice Choose(double[] context, IReadOnlyList<BanditAction> actions, string? eventId = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(actions);
        lock (_gate)
        {
            CheckContext(context, "context");
            if (actions.Count == 0)
            {
                throw new ArgumentException("actions: there are no actions to choose from.");
            }
            var d = Options.ActionDimension;
            var values = new double[actions.Count * d];
            var ids = new int[actions.Count];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < actions.Count; i++)
            {
                var action = actions[i] ?? throw new ArgumentException($"actions[{i}] is null.");
                if (string.IsNullOrEmpty(action.Id))
                {
                    throw new ArgumentException($"actions[{i}] has no id.");
                }
                if (!seen.Add(action.Id))
                {
                    throw new ArgumentException($"actions[{i}]: the id '{action.Id}' appears twice.");
                }
                CheckFeatures(action.Features ?? [], $"actions[{i}] ('{action.Id}')");
                (action.Features ?? []).CopyTo(values, i * d);
            }
            if (eventId is null)
            {
                do
                {
                    eventId = $"e{++_events}";
                }
                while (_pending.ContainsKey(eventId));
            }
            else if (eventId.Length == 0)
            {
                throw new ArgumentException("eventId: an event id must not be empty.");
            }
            else if (_pending.ContainsKey(eventId))
            {
                throw new ArgumentException($"eventId: the event '{eventId}' was chosen before and is still waiting for its reward.");
            }
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = IdOf(actions[i].Id);
            }
            var decisionContext = new DecisionContext(_round++, DecisionContext.NoUser, (double[])context.Clone(),
                CandidateSet.FromFeatures(ids, new FeatureMatrix(ids.Length, d, values)));
            Decision decision;
            try
            {
                decision = _served.Select(decisionContext, 1, new Rng(Seeds.Derive(Options.Seed, "bandit:" + eventId)));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"'{Kind}' cannot choose for this context: {Plain(e)}", e);
            }
            Remember(eventId, decision);
            var top = decision.Top;
            var probabilities = decision.FirstSlotProbabilities?.ToArray() ?? [];
            return new BanditChoice(eventId, actions[top.CandidateIndex].Id, top.CandidateIndex, top.Propensity ?? 1, probabilities);
        }
    }

    /// <summary>Learns the reward of a chosen event.</summary>
    /// <param name="eventId">The id that Choose answered.</param>
    /// <param name="value">The reward (finite; policies with a logistic model need it in [0, 1]).</param>
    /// <exception cref="ArgumentException">An unknown event (never chosen, already rewarded or forgotten), a non-finite reward, or one the model refuses (the event then keeps waiting).</exception>
    public void Reward(string eventId, double value)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        lock (_gate)
        {
            if (!_pending.TryGetValue(eventId, out var pending))
            {
                throw new ArgumentException($"eventId: unknown event '{eventId}': it was not chosen by this bandit, was already rewarded, or was forgotten (only the last {Options.MaxPendingEvents} unrewarded events are kept).");
            }
            if (!double.IsFinite(value))
            {
                throw new ArgumentException($"value: the reward of event '{eventId}' is {value}; a reward must be a finite number.");
            }
            try
            {
                _policy.Update(pending.Decision.ToFeedback([value]));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"value: '{Kind}' cannot learn the reward {value} of event '{eventId}': {Plain(e)}", e);
            }
            _pending.Remove(eventId);
        }
    }

    /// <summary>Fits the policy on logged rounds, in their order, as if each had been chosen and rewarded online.</summary>
    /// <returns>The number of rounds learned.</returns>
    /// <remarks>
    /// Every round is checked before any is learned, and a round the model refuses restores the state from before the call, so
    /// a failed fit changes nothing. The propensities are checked (in (0, 1]) and kept with each round's feedback; the
    /// catalogue's reward models fit the rewards as logged (a direct-method fit).
    /// </remarks>
    /// <exception cref="ArgumentException">Arrays of different lengths, a wrong dimension or a bad value (the message names the array and the round).</exception>
    public int Fit(LoggedRounds logged)
    {
        ArgumentNullException.ThrowIfNull(logged);
        ArgumentNullException.ThrowIfNull(logged.Contexts);
        ArgumentNullException.ThrowIfNull(logged.Actions);
        ArgumentNullException.ThrowIfNull(logged.Rewards);
        var n = logged.Contexts.Count;
        SameLength(logged.Actions.Count, "actions", n);
        SameLength(logged.Rewards.Count, "rewards", n);
        if (logged.Propensities is { } propensities)
        {
            SameLength(propensities.Count, "propensities", n);
        }
        if (logged.ActionFeatures is { } features)
        {
            SameLength(features.Count, "action-features", n);
        }
        else if (Options.ActionDimension > 0)
        {
            throw new ArgumentException($"logged.action-features: this bandit's actions have {Options.ActionDimension} features; give the taken action's features for every round.");
        }
        lock (_gate)
        {
            for (var t = 0; t < n; t++)
            {
                CheckContext(logged.Contexts[t] ?? throw new ArgumentException($"logged.contexts[{t}] is null."), $"logged.contexts[{t}]");
                if (string.IsNullOrEmpty(logged.Actions[t]))
                {
                    throw new ArgumentException($"logged.actions[{t}] is empty; every round needs the action taken.");
                }
                if (!double.IsFinite(logged.Rewards[t]))
                {
                    throw new ArgumentException($"logged.rewards[{t}] is {logged.Rewards[t]}; a reward must be a finite number.");
                }
                if (logged.Propensities is { } p && !(p[t] > 0 && p[t] <= 1))
                {
                    throw new ArgumentException($"logged.propensities[{t}] is {p[t]}; a propensity must be in (0, 1].");
                }
                if (logged.ActionFeatures is { } f)
                {
                    CheckFeatures(f[t] ?? [], $"logged.action-features[{t}]");
                }
            }
            var before = Snapshot();
            var known = _actionNames.Count;
            var round = _round;
            try
            {
                for (var t = 0; t < n; t++)
                {
                    var row = logged.ActionFeatures?[t] ?? [];
                    var context = new DecisionContext(round++, DecisionContext.NoUser, (double[])logged.Contexts[t].Clone(),
                        CandidateSet.FromFeatures([IdOf(logged.Actions[t])], new FeatureMatrix(1, Options.ActionDimension, (double[])row.Clone())));
                    try
                    {
                        _policy.Update([new Feedback(context, 0, logged.Rewards[t], logged.Propensities?[t])]);
                    }
                    catch (ArgumentException e)
                    {
                        throw new ArgumentException($"logged round {t}: '{Kind}' cannot learn it: {Plain(e)} Nothing was learned from this call.", e);
                    }
                }
            }
            catch
            {
                using var stream = new MemoryStream(before, writable: false);
                PolicyCatalog.LoadInto(_policy, stream);
                foreach (var name in _actionNames.Skip(known))
                {
                    _actionIds.Remove(name);
                }
                _actionNames.RemoveRange(known, _actionNames.Count - known);
                throw;
            }
            _round = round;
            return n;
        }
    }

    /// <summary>Saves the bandit (options, policy state, action ids, events waiting for their reward) to <paramref name="path"/> atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, Save);
    }

    /// <summary>Saves the bandit to <paramref name="stream"/> as a checksummed Cobalt state file.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_gate)
        {
            var policy = Snapshot();
            StateFile.Write(stream, new StateFile.Header(FileKind, OptionsBinder.ToJson(Options)), writer =>
            {
                writer.Tag("bandit");
                writer.Write(_round);
                writer.Write(_events);
                writer.Write(_actionNames.Count);
                foreach (var name in _actionNames)
                {
                    writer.Write(name);
                }
                var pending = _pendingOrder.Where(e => _pending.TryGetValue(e.Id, out var p) && p.Serial == e.Serial).ToList();
                writer.Write(pending.Count);
                foreach (var (id, _) in pending)
                {
                    var decision = _pending[id].Decision;
                    var context = decision.Context;
                    writer.Write(id);
                    writer.Write(context.Round);
                    writer.Write(context.UserFeatures.Span);
                    writer.Write(context.Candidates.Ids);
                    var features = new double[context.Candidates.Count * context.Candidates.Dimension];
                    for (var i = 0; i < context.Candidates.Count; i++)
                    {
                        context.Candidates.Features(i).CopyTo(features.AsSpan(i * context.Candidates.Dimension));
                    }
                    writer.Write(features);
                    writer.Write(decision.Top.CandidateIndex);
                    writer.Write(decision.Top.Propensity ?? 1);
                }
                writer.Write(policy);
            });
        }
    }

    /// <summary>Loads a bandit saved by <see cref="Save(string)"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a saved bandit, or damaged (the message names the file and says what is wrong).</exception>
    public static Bandit Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such bandit file.", path);
        }
        using var stream = File.OpenRead(path);
        try
        {
            return Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Loads a bandit saved by <see cref="Save(Stream)"/>.</summary>
    /// <exception cref="InvalidDataException">Not a saved bandit, or damaged.</exception>
    public static Bandit Load(Stream stream)
    {
        var (header, state) = StateFile.Read(stream);
        using (state)
        {
            if (header.Kind != FileKind)
            {
                throw new InvalidDataException($"the file holds a '{header.Kind}', not a saved bandit (a policy file is loaded with PolicyCatalog.Load).");
            }
            BanditOptions options;
            try
            {
                using var document = JsonDocument.Parse(header.Specification);
                options = OptionsBinder.Bind<BanditOptions>(document.RootElement, "options");
            }
            catch (Exception e) when (e is JsonException or OptionsException)
            {
                throw new InvalidDataException($"the saved bandit's options cannot be read: {e.Message}", e);
            }
            state.Tag("bandit");
            var round = state.ReadInt64();
            var events = state.ReadInt64();
            var names = new string[Count(state.ReadInt32(), "action ids")];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = state.ReadString();
            }
            var pending = new (string Id, long Round, double[] Context, int[] Ids, double[] Features, int Index, double Propensity)[Count(state.ReadInt32(), "pending events")];
            for (var i = 0; i < pending.Length; i++)
            {
                pending[i] = (state.ReadString(), state.ReadInt64(), state.ReadDoubles("context"), state.ReadInts("action ids"), state.ReadDoubles("action features"), state.ReadInt32(), state.ReadDouble());
            }
            IPolicy policy;
            using (var policyStream = new MemoryStream(state.ReadBytes("policy")))
            {
                policy = PolicyCatalog.Load(policyStream);
            }
            var bandit = new Bandit(policy, options) { _round = round, _events = events };
            foreach (var name in names)
            {
                bandit.IdOf(name);
            }
            try
            {
                foreach (var (id, r, context, ids, features, index, propensity) in pending)
                {
                    var decisionContext = new DecisionContext(r, DecisionContext.NoUser, context,
                        CandidateSet.FromFeatures(ids, new FeatureMatrix(ids.Length, options.ActionDimension, features)));
                    bandit.Remember(id, new Decision(decisionContext, [new SlateSlot(index, ids[index], propensity)]));
                }
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"a saved pending event does not fit the bandit: {Plain(e)}", e);
            }
            return bandit;
        }
    }

    private static int Count(int count, string what) =>
        count >= 0 ? count : throw new InvalidDataException($"the saved bandit claims {count} {what}: it is damaged.");

    private static PolicySpec ParsePolicy(string policy, BanditOptions options)
    {
        JsonObject spec;
        var text = policy.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                spec = JsonNode.Parse(text) as JsonObject ?? throw new OptionsException("policy", "must be a kind or a JSON object.");
            }
            catch (JsonException e)
            {
                throw new OptionsException("policy", $"is not valid JSON: {e.Message}", e);
            }
        }
        else
        {
            spec = new JsonObject { ["kind"] = text };
        }
        if (spec["kind"] is JsonValue kindValue && kindValue.TryGetValue<string>(out var kind))
        {
            if (kind == "linucb")
            {
                spec["kind"] = kind = options.ActionDimension == 0 ? "linucb-disjoint" : "linucb-shared";
            }
            var definition = PolicyCatalog.All.FirstOrDefault(d => d.Kind == kind)
                ?? throw new OptionsException("policy.kind", $"unknown policy '{kind}'; allowed: linucb, {string.Join(", ", PolicyCatalog.All.Select(d => d.Kind))}.");
            var policyOptions = spec["options"] as JsonObject;
            var takesFeatures = OptionsBinder.Describe(definition.OptionsType).Any(o => o.Name == "features");
            if (takesFeatures && (policyOptions is null || !policyOptions.Any(p => Names.Matches(p.Key, "Features"))))
            {
                if (policyOptions is null)
                {
                    spec["options"] = policyOptions = [];
                }
                policyOptions["features"] = Names.Kebab((options.ContextDimension, options.ActionDimension) switch
                {
                    (_, 0) => nameof(FeatureMap.User),
                    (0, _) => nameof(FeatureMap.Item),
                    _ => nameof(FeatureMap.UserOuterItem),
                });
            }
        }
        using var document = JsonDocument.Parse(spec.ToJsonString());
        var parsed = PolicyCatalog.ParseSpec(document.RootElement, "policy");
        if (parsed.Options.GetType().GetProperty("Features") is { } property
            && property.GetValue(parsed.Options) is FeatureMap map
            && map.Dimension(options.ContextDimension, options.ActionDimension) == 0)
        {
            throw new OptionsException("policy.options.features", $"'{Names.Kebab(map.ToString())}' gives '{parsed.Kind}' no features for context dimension {options.ContextDimension} and action dimension {options.ActionDimension}; give the bandit a context or action features, or use a policy without features (ucb1, thompson-beta, random).");
        }
        return parsed;
    }

    private int IdOf(string name)
    {
        if (!_actionIds.TryGetValue(name, out var id))
        {
            id = _actionNames.Count;
            _actionIds[name] = id;
            _actionNames.Add(name);
        }
        return id;
    }

    private void Remember(string eventId, Decision decision)
    {
        var serial = ++_serial;
        _pending[eventId] = new Pending(decision, serial);
        _pendingOrder.Enqueue((eventId, serial));
        while (_pending.Count > Options.MaxPendingEvents && _pendingOrder.TryDequeue(out var oldest))
        {
            if (_pending.TryGetValue(oldest.Id, out var p) && p.Serial == oldest.Serial)
            {
                _pending.Remove(oldest.Id);
            }
        }
        if (_pendingOrder.Count > 2 * Options.MaxPendingEvents + 16)
        {
            // Drop the entries of rewarded events, so the queue stays proportional to what is pending.
            var live = _pendingOrder.Where(e => _pending.TryGetValue(e.Id, out var p) && p.Serial == e.Serial).ToList();
            _pendingOrder.Clear();
            foreach (var entry in live)
            {
                _pendingOrder.Enqueue(entry);
            }
        }
    }

    private byte[] Snapshot()
    {
        using var buffer = new MemoryStream();
        PolicyCatalog.Save(_policy, buffer);
        return buffer.ToArray();
    }

    private void CheckContext(double[] context, string what)
    {
        if (context.Length != Options.ContextDimension)
        {
            throw new ArgumentException($"{what} has {context.Length} values; this bandit was created with context dimension {Options.ContextDimension}.");
        }
        var bad = FeatureMatrix.FirstNonFinite(context);
        if (bad >= 0)
        {
            throw new ArgumentException($"{what}[{bad}] is {context[bad]}; context values must be finite.");
        }
    }

    private void CheckFeatures(double[] features, string what)
    {
        if (features.Length != Options.ActionDimension)
        {
            throw new ArgumentException($"{what} has {features.Length} features; this bandit was created with action dimension {Options.ActionDimension}.");
        }
        var bad = FeatureMatrix.FirstNonFinite(features);
        if (bad >= 0)
        {
            throw new ArgumentException($"{what} feature {bad} is {features[bad]}; features must be finite.");
        }
    }

    private static void SameLength(int count, string what, int contexts)
    {
        if (count != contexts)
        {
            throw new ArgumentException($"logged.{what} has {count} entries; logged.contexts has {contexts}: every array needs one entry per round.");
        }
    }

    /// <summary>An exception's message without .NET's "(Parameter 'x')" and "Actual value was" suffixes.</summary>
    private static string Plain(Exception e) =>
        Regex.Replace(e.Message, @"\s*\(Parameter '[^']*'\)|\s*Actual value was [^\r\n]*", "").Trim();
}
