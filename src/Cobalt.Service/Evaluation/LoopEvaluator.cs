using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation;
using Cobalt.Evaluation.Estimators;
using Cobalt.Policies.Catalog;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;

namespace Cobalt.Service.Evaluation;

/// <summary>One estimate of one candidate policy's value on a loop's log, in the loop's reward units.</summary>
/// <param name="Policy">The candidate's display name.</param>
/// <param name="Estimator">The estimator (IPS, clipped IPS, SNIPS, Replay), or "on-policy mean" for the logging policy itself.</param>
/// <param name="Value">The estimate.</param>
/// <param name="Lower">Lower end of the 95 % interval.</param>
/// <param name="Upper">Upper end of the 95 % interval.</param>
public sealed record CandidateEstimate(string Policy, string Estimator, double Value, double Lower, double Upper);

/// <summary>How well a loop's log supports one candidate: the effective sample size of its weights, and the events where it needs actions the log never could have served.</summary>
/// <param name="Policy">The candidate's display name.</param>
/// <param name="EffectiveSampleSize">Kish's (sum w_t)^2 / sum w_t^2 with w_t = pi(a_t | x_t) / p_t: how many on-policy events the weighted log is worth (0 when the candidate never agrees with the log).</param>
/// <param name="UnsupportedEvents">Events where the candidate puts probability on an action the logging policy gave probability 0.</param>
/// <param name="UnsupportedMass">The candidate's mean probability per event on such actions.</param>
/// <param name="Refused">Why no estimate is reported for the candidate, or null when it is.</param>
public sealed record CandidateSupport(string Policy, double EffectiveSampleSize, int UnsupportedEvents, double UnsupportedMass, string? Refused);

/// <summary>The comparison of candidate policies on a loop's own log.</summary>
/// <param name="Loop">The loop.</param>
/// <param name="Events">Finished events used (their first slot).</param>
/// <param name="Skipped">Finished events left out because the logging policy reported no propensity for their first slot.</param>
/// <param name="Estimates">The logging policy's on-policy mean, then every candidate (not refused) under every estimator.</param>
public sealed record LoopEvaluation(string Loop, int Events, int Skipped, IReadOnlyList<CandidateEstimate> Estimates)
{
    /// <summary>The smallest first-slot propensity logged in the window (NaN without events): IPS weights reach 1 / this.</summary>
    public double MinPropensity { get; init; } = double.NaN;

    /// <summary>Each candidate's support on the log, in candidate order.</summary>
    public IReadOnlyList<CandidateSupport> Candidates { get; init; } = [];
}

/// <summary>
/// Off-policy evaluation of candidate policies on a loop's own log, by progressive replay: each candidate starts untrained
/// and, event by event in log order, gives its probability of choosing each of the event's actions first and then learns
/// the logged feedback of that event (so a learning policy is judged as it would have learned). The estimators compare
/// pi(a_t | x_t) with the logged propensity p_t of the first slot: IPS (1/n) sum w_t r_t, clipped IPS with w_t &lt;= M,
/// SNIPS sum w_t r_t / sum w_t and Replay (Li et al. 2011); w_t = pi(a_t | x_t) / p_t. Candidates without closed-form
/// probabilities (Thompson sampling, randomised candidate stages) contribute their sampled choice as a one-hot row, an
/// unbiased draw of their distribution. Events whose first slot has no logged propensity cannot be weighted and are counted
/// as skipped. Rewards not received within the loop's wait count as the loop's default reward, as in learning.
/// IPS is unbiased only where the logging policy could have served every action the candidate might choose: each event's
/// logged first-slot distribution (kept with the decision; for older events, a propensity of 1 means every other action had
/// 0) is checked, and a candidate that puts probability on an action the log gave probability 0 is refused with the reason
/// instead of estimated. The loop's own policy (a candidate with its kind and options) is replayed as served, through the
/// loop's exploration and with the same per-event draws, so its estimate should match the on-policy mean.
/// </summary>
public static class LoopEvaluator
{
    /// <summary>The clipping level M of clipped IPS.</summary>
    public const double MaxWeight = 100;

    /// <summary>Bootstrap resamples for the intervals.</summary>
    public const int Resamples = 500;

    /// <summary>The largest evaluation window.</summary>
    public const int MaxEvents = 1_000_000;

    /// <summary>The estimators used: those that need no reward model (actions differ from event to event).</summary>
    public static IReadOnlyList<OffPolicyEstimator> Estimators { get; } =
        [new InversePropensityScoring(), new InversePropensityScoring(MaxWeight), new SelfNormalizedIps(), new Replay()];

    /// <summary>
    /// Reads a JSON array of policy specifications (<c>[{"kind": "...", "name"?: "...", "options"?: {...}}]</c>) and checks
    /// that each fits the loop's dimensions; errors name the element.
    /// </summary>
    /// <exception cref="OptionsException">The JSON or a specification is wrong.</exception>
    public static IReadOnlyList<PolicySpec> ParseCandidates(string json, LoopOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new OptionsException("candidates", $"not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
            {
                throw new OptionsException("candidates", "must be a non-empty JSON array of policy specifications, e.g. [{\"kind\": \"epsilon-greedy\"}].");
            }
            var specs = document.RootElement.EnumerateArray().Select((e, i) => PolicyCatalog.ParseSpec(e, $"candidates[{i}]")).ToArray();
            for (var i = 0; i < specs.Length; i++)
            {
                Check(specs[i], options, $"candidates[{i}]");
            }
            return specs;
        }
    }

    /// <summary>
    /// The candidates compared when none are given: the loop's own policy (replayed: its estimate should match the on-policy
    /// mean), uniform random, epsilon-greedy, LinUCB (shared and disjoint) and linear Thompson sampling, each with defaults.
    /// </summary>
    public static IReadOnlyList<PolicySpec> DefaultCandidates(PolicySpec current, LoopOptions options)
    {
        ArgumentNullException.ThrowIfNull(current);
        var specs = new List<PolicySpec> { current with { Name = $"{current.DisplayName} (this loop)" } };
        foreach (var kind in (string[])["random", "epsilon-greedy", "linucb-shared", "linucb-disjoint", "thompson-linear"])
        {
            if (kind == current.Kind)
            {
                continue;
            }
            var definition = PolicyCatalog.Get(kind);
            var spec = new PolicySpec(kind, (PolicyOptions)Activator.CreateInstance(definition.OptionsType)!);
            try
            {
                Check(spec, options, kind);
                specs.Add(spec);
            }
            catch (OptionsException)
            {
                // A default that does not fit the loop's dimensions is left out.
            }
        }
        return specs;
    }

    /// <summary>Evaluates <paramref name="candidates"/> on the last <paramref name="window"/> finished events of <paramref name="loop"/>.</summary>
    /// <param name="store">The loop's event store.</param>
    /// <param name="loop">The loop's name.</param>
    /// <param name="options">The loop's options (dimensions, reward range, wait, default reward, seed).</param>
    /// <param name="candidates">The policies to compare.</param>
    /// <param name="window">How many of the latest finished events to use.</param>
    /// <param name="now">The time deciding which events are finished (all slots rewarded or wait passed).</param>
    /// <param name="progress">Called with the number of candidates done.</param>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    public static async Task<LoopEvaluation> EvaluateAsync(IEventStore store, string loop, LoopOptions options, IReadOnlyList<PolicySpec> candidates,
        int window, DateTimeOffset now, Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(candidates);
        if (window < 1 || window > MaxEvents)
        {
            throw new OptionsException("last", $"must be between 1 and {MaxEvents}; got {window}.");
        }
        var (events, skipped) = await FinishedEventsAsync(store, loop, options, window, now, cancellationToken).ConfigureAwait(false);
        var estimates = new List<CandidateEstimate>();
        if (events.Count == 0)
        {
            return new LoopEvaluation(loop, 0, skipped, estimates);
        }
        var own = (await store.LoopsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(l => l.Name == loop) is { } record
            ? LoopRegistry.Parse(record.Definition).Spec
            : null;
        var rewards = events.Select(e => e.Reward).ToArray();
        estimates.Add(OnPolicyMean(rewards));
        var log = new BanditLog(events.Max(e => e.Decision.ActionIds.Length), new FeatureMatrix(events.Count, 0, []),
            events.Select(e => e.Decision.Chosen[0]).ToArray(), rewards, events.Select(e => e.Decision.Propensities[0]).ToArray());
        var supports = new List<CandidateSupport>();
        for (var c = 0; c < candidates.Count; c++)
        {
            var asServed = own is not null && candidates[c].Kind == own.Kind && candidates[c].Options == own.Options;
            var distribution = Replay(candidates[c], events, options, log.ActionCount, asServed, cancellationToken);
            var support = Support(candidates[c].DisplayName, events, log, distribution);
            supports.Add(support);
            if (support.Refused is null)
            {
                var input = new EstimationInput(log, distribution);
                foreach (var estimator in Estimators)
                {
                    var estimate = estimator.Estimate(input, new Rng(Seeds.Derive(options.Seed, "evaluation", c)), Resamples);
                    estimates.Add(new CandidateEstimate(candidates[c].DisplayName, estimate.Estimator, estimate.Value, estimate.Lower, estimate.Upper));
                }
            }
            progress?.Invoke(c + 1);
        }
        return new LoopEvaluation(loop, events.Count, skipped, estimates) { MinPropensity = log.Propensities.Min(), Candidates = supports };
    }

    /// <summary>
    /// The candidate's effective sample size on the log and the events where it needs actions the log gave no support (a
    /// logged first-slot probability of 0); any such event refuses the estimate, since IPS cannot see those actions' rewards.
    /// </summary>
    private static CandidateSupport Support(string policy, IReadOnlyList<FinishedEvent> events, BanditLog log, ActionDistribution distribution)
    {
        double sum = 0, squares = 0, mass = 0;
        var unsupported = 0;
        for (var t = 0; t < events.Count; t++)
        {
            var w = distribution[t, log.Actions[t]] / log.Propensities[t];
            sum += w;
            squares += w * w;
            var decision = events[t].Decision;
            var missing = 0.0;
            for (var a = 0; a < decision.ActionIds.Length; a++)
            {
                var logged = decision.FirstSlot is { } first ? first[a] : decision.Propensities[0] >= 1 ? (a == decision.Chosen[0] ? 1 : 0) : double.NaN;
                if (logged == 0)
                {
                    missing += distribution[t, a];
                }
            }
            if (missing > 1e-9)
            {
                unsupported++;
                mass += missing;
            }
        }
        var ess = squares > 0 ? sum * sum / squares : 0;
        var refused = unsupported == 0
            ? null
            : $"the log gives no support to actions this candidate would choose: in {unsupported} of {events.Count} events it puts probability "
              + $"(on average {mass / unsupported:G3} in those events) on actions the logging policy served with probability 0, so no estimator can see their rewards. "
              + "Serve the loop with exploration (loop options exploration / epsilon) to evaluate such candidates.";
        return new CandidateSupport(policy, ess, unsupported, mass / events.Count, refused);
    }

    /// <summary>The loop's stored definition (policy and options), for evaluating a loop straight from its store.</summary>
    /// <exception cref="OptionsException">The store has no such loop.</exception>
    public static async Task<(PolicySpec Spec, LoopOptions Options)> DefinitionAsync(IEventStore store, string loop, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var loops = await store.LoopsAsync(cancellationToken).ConfigureAwait(false);
        var record = loops.FirstOrDefault(l => l.Name == loop)
            ?? throw new OptionsException("loop", $"there is no loop '{loop}' in this store; loops: {(loops.Count == 0 ? "(none)" : string.Join(", ", loops.Select(l => l.Name)))}.");
        return LoopRegistry.Parse(record.Definition);
    }

    private sealed record FinishedEvent(string EventId, StoredDecision Decision, double Reward, Feedback Feedback);

    /// <summary>The last <paramref name="window"/> finished events with a first-slot propensity, and how many finished events had none.</summary>
    private static async Task<(IReadOnlyList<FinishedEvent> Events, int Skipped)> FinishedEventsAsync(IEventStore store, string loop, LoopOptions options,
        int window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = new Queue<FinishedEvent>();
        var skipped = 0;
        var wait = (long)(options.RewardWaitSeconds * 1000);
        var nowMilliseconds = now.ToUnixTimeMilliseconds();
        long after = 0;
        while (true)
        {
            var page = await store.ReadAfterAsync(loop, after, 512, cancellationToken).ConfigureAwait(false);
            foreach (var e in page)
            {
                after = e.Sequence;
                if (e.Damage is not null)
                {
                    skipped++; // a damaged payload (reported by the learner) cannot be evaluated
                    continue;
                }
                if (!e.Rewards.All(double.IsFinite) && nowMilliseconds - e.CreatedMilliseconds <= wait)
                {
                    continue; // still waiting for rewards
                }
                var propensity = e.Decision.Propensities[0];
                if (double.IsNaN(propensity))
                {
                    skipped++;
                    continue;
                }
                var reward = double.IsFinite(e.Rewards[0]) ? e.Rewards[0] : options.DefaultReward;
                var normalised = (reward - options.RewardMin) / (options.RewardMax - options.RewardMin);
                var context = e.Decision.ToContext(e.Sequence, options.ActionDimension);
                latest.Enqueue(new FinishedEvent(e.EventId, e.Decision, reward, new Feedback(context, e.Decision.Chosen[0], normalised, propensity)));
                if (latest.Count > window)
                {
                    latest.Dequeue();
                }
            }
            if (page.Count < 512)
            {
                return ([.. latest], skipped);
            }
        }
    }

    /// <summary>The candidate's first-slot distribution on every event (padded to <paramref name="actions"/>), learning as it goes.</summary>
    private static ActionDistribution Replay(PolicySpec candidate, IReadOnlyList<FinishedEvent> events, LoopOptions options, int actions, bool asServed, CancellationToken cancellationToken)
    {
        var policy = PolicyCatalog.Build(candidate, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed));
        var served = asServed ? new ServedPolicy(policy, options) : null;
        var values = new double[events.Count * actions];
        for (var t = 0; t < events.Count; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = events[t];
            var decision = served is null
                ? policy.Select(e.Feedback.Context, 1)
                : served.Select(e.Feedback.Context, 1, new Rng(Seeds.Derive(options.Seed, "served:" + e.EventId)));
            var row = values.AsSpan(t * actions, actions);
            if (decision.FirstSlotProbabilities is { } probabilities)
            {
                for (var a = 0; a < probabilities.Count; a++)
                {
                    row[a] = probabilities[a];
                }
            }
            else
            {
                row[decision.Top.CandidateIndex] = 1;
            }
            policy.Update([e.Feedback]);
        }
        return new ActionDistribution(events.Count, actions, values);
    }

    /// <summary>The logged rewards' mean with a normal 95 % interval: the logging policy's value.</summary>
    private static CandidateEstimate OnPolicyMean(double[] rewards)
    {
        var mean = rewards.Average();
        var variance = rewards.Length > 1 ? rewards.Sum(r => (r - mean) * (r - mean)) / (rewards.Length - 1) : 0;
        var half = 1.96 * Math.Sqrt(variance / rewards.Length);
        return new CandidateEstimate("logged (served)", "on-policy mean", mean, mean - half, mean + half);
    }

    private static void Check(PolicySpec spec, LoopOptions options, string field)
    {
        try
        {
            _ = PolicyCatalog.Build(spec, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed));
        }
        catch (ArgumentException e)
        {
            throw new OptionsException(field, $"does not fit this loop: {e.Message}");
        }
    }
}
