using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cobalt.Service.Client;

// The JSON bodies of the Cobalt service: requests the client sends and answers the service writes (camelCase members;
// loop options keep their kebab-case names, as PUT /loops/{loop} takes them). The service builds its answers from these
// records and its OpenAPI document describes them, so a field added here reaches the service, the document and the client.

/// <summary>A loop definition for <c>PUT /loops/{loop}</c>: the policy and the loop options.</summary>
/// <param name="Policy">The policy: its kind and options (as in the policy catalog, e.g. <c>{"kind": "linucb-shared", "options": {"alpha": 0.5}}</c>).</param>
/// <param name="Options">Loop options (dimensions, rewards, exploration, features); defaults where left out.</param>
public sealed record LoopDefinition(PolicyDefinition Policy, LoopSettings? Options = null);

/// <summary>A policy specification: its kind (e.g. <c>linucb-shared</c>) and its options, kebab-case as the catalog names them.</summary>
public sealed record PolicyDefinition(string Kind, IReadOnlyDictionary<string, JsonElement>? Options = null);

/// <summary>
/// Loop options, named as PUT's <c>options</c> and PATCH's body name them (kebab-case). A null member is left out: at
/// creation it takes its default, in a PATCH it is not changed. <c>context-dimension</c>, <c>action-dimension</c>,
/// <c>seed</c> and <c>features</c> shape the model and cannot be changed by PATCH (409).
/// </summary>
public sealed record LoopSettings
{
    /// <summary>Numbers in a context vector (0: contexts carry no features).</summary>
    [JsonPropertyName("context-dimension")] public int? ContextDimension { get; init; }

    /// <summary>Numbers in each action's feature vector.</summary>
    [JsonPropertyName("action-dimension")] public int? ActionDimension { get; init; }

    /// <summary>Smallest reward accepted.</summary>
    [JsonPropertyName("reward-min")] public double? RewardMin { get; init; }

    /// <summary>Largest reward accepted.</summary>
    [JsonPropertyName("reward-max")] public double? RewardMax { get; init; }

    /// <summary>Reward given to a slot that got none within the reward wait.</summary>
    [JsonPropertyName("default-reward")] public double? DefaultReward { get; init; }

    /// <summary>Seconds a decision waits for its rewards before it is learned.</summary>
    [JsonPropertyName("reward-wait-seconds")] public double? RewardWaitSeconds { get; init; }

    /// <summary>Most actions in one rank call.</summary>
    [JsonPropertyName("max-actions")] public int? MaxActions { get; init; }

    /// <summary>Largest slate a rank call may ask for.</summary>
    [JsonPropertyName("max-slate-size")] public int? MaxSlateSize { get; init; }

    /// <summary>Apprentice mode: serve the request's default action and learn from it.</summary>
    [JsonPropertyName("apprentice")] public bool? Apprentice { get; init; }

    /// <summary>Root seed of the loop's random streams.</summary>
    [JsonPropertyName("seed")] public ulong? Seed { get; init; }

    /// <summary>How served decisions explore: auto, greedy, epsilon-greedy, softmax, ...</summary>
    [JsonPropertyName("exploration")] public string? Exploration { get; init; }

    /// <summary>Exploration probability of epsilon-greedy.</summary>
    [JsonPropertyName("epsilon")] public double? Epsilon { get; init; }

    /// <summary>Temperature of softmax exploration.</summary>
    [JsonPropertyName("softmax-temperature")] public double? SoftmaxTemperature { get; init; }

    /// <summary>Draws used to estimate the propensities of sampling policies.</summary>
    [JsonPropertyName("policy-samples")] public int? PolicySamples { get; init; }

    /// <summary>Largest magnitude of a feature value.</summary>
    [JsonPropertyName("feature-limit")] public double? FeatureLimit { get; init; }

    /// <summary>Smallest non-zero magnitude of a feature value (smaller ones are refused).</summary>
    [JsonPropertyName("feature-floor")] public double? FeatureFloor { get; init; }

    /// <summary>What a second reward of a slot does: reject, sum, earliest or last.</summary>
    [JsonPropertyName("reward-aggregation")] public string? RewardAggregation { get; init; }

    /// <summary>Days finished events are kept (0: for ever).</summary>
    [JsonPropertyName("log-retention-days")] public double? LogRetentionDays { get; init; }

    /// <summary>How features come: numbers, JSON namespaces (hashed) or an ONNX embedding model.</summary>
    [JsonPropertyName("features")] public FeatureSettings? Features { get; init; }
}

/// <summary>How a loop's features come (loop option <c>features</c>).</summary>
public sealed record FeatureSettings
{
    /// <summary>numbers, namespaces or onnx.</summary>
    [JsonPropertyName("input")] public string? Input { get; init; }

    /// <summary>Namespace pairs crossed by hashing, e.g. <c>user:item</c>.</summary>
    [JsonPropertyName("interactions")] public IReadOnlyList<string>? Interactions { get; init; }

    /// <summary>Most named features in one rank call.</summary>
    [JsonPropertyName("max-features")] public int? MaxFeatures { get; init; }

    /// <summary>The ONNX model's options (model, sha256, input and output names, actions).</summary>
    [JsonPropertyName("onnx")] public IReadOnlyDictionary<string, JsonElement>? Onnx { get; init; }
}

/// <summary>The answer to <c>PUT /loops/{loop}</c>: 201 with the loop's API key (shown once), or 200 when an identical loop exists.</summary>
public sealed record LoopCreated(string Loop, bool Created, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApiKey = null);

/// <summary>The answer to <c>GET /loops</c>.</summary>
public sealed record LoopList(IReadOnlyList<LoopSummary> Loops);

/// <summary>One loop of <c>GET /loops</c> with this process's counters.</summary>
public sealed record LoopSummary(string Loop, string Policy, long Ranks, long Rewards, long LearnedSequence, bool Apprentice);

/// <summary>A loop's new API key (<c>POST /loops/{loop}/key</c>); the old key stops working.</summary>
public sealed record LoopKey(string Loop, string ApiKey);

/// <summary>A loop's state (<c>GET /loops/{loop}</c>).</summary>
public sealed record LoopStatus(
    string Loop, string Policy, long Decisions, long Rewards, long LearnedSequence, long CheckpointSequence, bool Apprentice,
    string Status, string? Quarantine, long DamagedEvents, IReadOnlyList<string> Problems, string Exploration, long RefusedUpdates,
    string? LastRefusal, long InactiveEvents, long RetentionDeleted, LoopSettings Options);

/// <summary>The answer to <c>PATCH /loops/{loop}</c>: each changed option with its old and new value, and all options now.</summary>
public sealed record LoopChanged(string Loop, IReadOnlyDictionary<string, OptionChange> Changed, LoopSettings Options);

/// <summary>One changed loop option.</summary>
public sealed record OptionChange(JsonElement? From, JsonElement? To);

/// <summary>The answer to <c>DELETE /loops/{loop}</c>: what was deleted (counts are null for a loop that could not be loaded).</summary>
public sealed record LoopDeleted(string Loop, bool Deleted, long? Decisions, long? Rewards);

/// <summary>
/// A rank call (<c>POST /loops/{loop}/rank</c>). The context is <see cref="Context"/> (numbers) or
/// <see cref="ContextFeatures"/> (JSON namespaces), as the loop's <c>features.input</c> says.
/// </summary>
public sealed record RankRequest
{
    /// <summary>The actions to rank.</summary>
    public required IReadOnlyList<RankAction> Actions { get; init; }

    /// <summary>The context's feature vector (loops taking numbers).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<double>? Context { get; init; }

    /// <summary>The context as namespaces of named numbers and strings, e.g. <c>[{"user": {"age": 31, "city": "Oslo"}}]</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>>? ContextFeatures { get; init; }

    /// <summary>The event id to log the decision under (letters, digits, '-', '_', '.', ':'); one is made when left out.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? EventId { get; init; }

    /// <summary>Ids of actions not to choose.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Excluded { get; init; }

    /// <summary>How many slots to fill (default 1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? SlateSize { get; init; }

    /// <summary>The action an apprentice loop serves (and the baseline it learns from).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DefaultAction { get; init; }

    /// <summary>The caller's user key: stored hashed, so <c>DELETE /loops/{loop}/users/{userKey}/events</c> can erase the user's events.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? UserKey { get; init; }

    /// <summary>Learn the event only if it is activated (<c>POST .../events/{id}/activate</c>) within the reward wait.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? DeferActivation { get; init; }
}

/// <summary>One action of a rank call: its id and its features (a vector, or namespaces; see <see cref="ActionFeatures"/>).</summary>
public sealed record RankAction(string Id, ActionFeatures Features);

/// <summary>The answer to a rank call: the event id, the slate with each slot's propensity, and every action's probability of coming first.</summary>
/// <param name="EventId">The id the decision is logged under (reward and activate it by this id).</param>
/// <param name="Slate">The chosen actions, slot by slot, each with the probability it was chosen with.</param>
/// <param name="Chosen">The first slot's action.</param>
/// <param name="Probabilities">Every eligible action's probability of being chosen first, when the policy has a closed form.</param>
/// <param name="Apprentice">Whether the loop is in apprentice mode (the default action was served).</param>
/// <param name="DeferActivation">Whether the event waits for activation.</param>
public sealed record RankResponse(string EventId, IReadOnlyList<SlateEntry> Slate, string Chosen, IReadOnlyList<ActionProbability>? Probabilities, bool Apprentice, bool DeferActivation);

/// <summary>One slot of a slate: the action and the probability it was chosen with (null where the policy has none).</summary>
public sealed record SlateEntry(string Id, double? Probability);

/// <summary>An action's probability of being chosen first.</summary>
public sealed record ActionProbability(string Id, double Probability);

/// <summary>A reward (<c>POST /loops/{loop}/events/{eventId}/reward</c>): its value within the loop's reward range, for slot 0 unless given.</summary>
public sealed record RewardRequest(double Value, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Slot = null);

/// <summary>The answer to a reward: accepted, or ignored with the reason (reward-aggregation earliest keeps the first).</summary>
public sealed record RewardResponse(string EventId, int Slot, bool Accepted, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>The answer to <c>POST /loops/{loop}/events/{eventId}/activate</c>.</summary>
public sealed record ActivationResponse(string EventId, bool Activated, bool WasActive);

/// <summary>A logged event (<c>GET /loops/{loop}/events/{eventId}</c>).</summary>
public sealed record EventRecord(string EventId, long Sequence, long CreatedMilliseconds, string? Damage, IReadOnlyList<EventSlot> Slots);

/// <summary>One slot of a logged event: the chosen action's dense id, its propensity and its reward so far.</summary>
public sealed record EventSlot(long ActionId, double? Propensity, double? Reward);

/// <summary>The answer to <c>PUT /loops/{loop}/model</c>.</summary>
public sealed record ModelImported(string Loop, bool Imported, string Sha256, long Sequence, int CheckpointBytes);

/// <summary>A loop's model state file (<c>GET /loops/{loop}/model</c>) with the headers that describe it.</summary>
/// <param name="State">The state file's bytes.</param>
/// <param name="Sha256">Its SHA-256 (hex), from X-Model-SHA256.</param>
/// <param name="Sequence">The log completion it covers, from X-Model-Sequence.</param>
/// <param name="Kind">The policy kind, from X-Model-Kind.</param>
public sealed record ModelFile(byte[] State, string Sha256, long Sequence, string Kind);

/// <summary>The answer to <c>POST /loops/{loop}/model/reset</c>.</summary>
public sealed record ModelReset(string Loop, bool Reset, long Sequence);

/// <summary>The answer to <c>DELETE /loops/{loop}/users/{userKey}/events</c>: how many events were erased.</summary>
public sealed record UserEventsErased(string Loop, long Erased);

/// <summary>Candidate policies compared on a loop's log (<c>GET /loops/{loop}/evaluations</c>).</summary>
public sealed record EvaluationReport(
    string Loop, int Events, int Skipped, int Inactive, int Window, DateTimeOffset ComputedAt, IReadOnlyList<EvaluationEstimate> Estimates,
    double? MinPropensity, IReadOnlyList<EvaluationCandidate> Candidates);

/// <summary>One policy's estimated value by one estimator, with its bootstrap interval.</summary>
public sealed record EvaluationEstimate(string Policy, string Estimator, double Value, double Lower, double Upper);

/// <summary>How well the log supports a candidate policy.</summary>
public sealed record EvaluationCandidate(string Policy, double EffectiveSampleSize, int UnsupportedEvents, double UnsupportedMass, string? Refused);

/// <summary>A loop's recent activity (<c>GET /loops/{loop}/activity</c>).</summary>
public sealed record LoopActivityReport(
    string Loop, ActivityPolicy Policy, LoopSettings Options, int Window, int Step, long Ranks, long Rewards, long Learned, long LearnedSequence,
    double EventsPerSecond, double RewardsPerSecond, IReadOnlyList<ActivityBucketReport> Buckets);

/// <summary>The policy of an activity report.</summary>
public sealed record ActivityPolicy(string Kind, string? Name, IReadOnlyDictionary<string, JsonElement> Options);

/// <summary>One bucket of a loop's activity.</summary>
public sealed record ActivityBucketReport(long Start, long Ranks, long Rewards, long Learned, double? MeanReward);

/// <summary>Rank latency and per-loop counters (<c>GET /metrics/json</c>).</summary>
public sealed record MetricsReport(LatencyPercentiles RankLatencyMilliseconds, IReadOnlyList<LoopCounters> Loops);

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencyPercentiles(double P50, double P99);

/// <summary>One loop's counters in <c>/metrics/json</c>.</summary>
public sealed record LoopCounters(string Loop, long Ranks, long Rewards, long Learned, long LearnedSequence, long CheckpointSequence, long RefusedUpdates);

/// <summary>The answer to <c>GET /health</c> (liveness).</summary>
public sealed record HealthResponse(string Status);

/// <summary>The answer to <c>GET /ready</c>: ready (200) or not-ready (503) with the reasons.</summary>
public sealed record ReadinessResponse(
    string Status, IReadOnlyList<string> Reasons, double? LearnerLagSeconds, IReadOnlyList<JsonElement> DegradedLoops, IReadOnlyList<JsonElement> UnloadableLoops,
    IReadOnlyDictionary<string, ReadinessCheck> Checks);

/// <summary>One readiness check's status and duration.</summary>
public sealed record ReadinessCheck(string Status, double DurationMilliseconds);

/// <summary>
/// A refused request, as RFC 9457 problem details (<c>application/problem+json</c>): <c>detail</c> names what is wrong and
/// <c>error</c> repeats it (the member earlier clients read); a 503 also says <c>retryAfterSeconds</c>.
/// </summary>
public sealed record ServiceProblem(string? Type, string? Title, int? Status, string? Detail, string? Instance, string? Error, int? RetryAfterSeconds = null);
