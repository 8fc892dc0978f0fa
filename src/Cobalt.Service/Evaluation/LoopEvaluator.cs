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

    /// <summary>
    /// Finished events ranked with deferred activation and never activated (the slate was not shown): counted apart, left
    /// out of every estimator, as they are left out of learning.
    /// </summary>
    public int Inactive { get; init; }
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

    /// <summary>Events read from the store per page while streaming the log.</summary>
    public const int DefaultPageSize = 128;

    /// <summary>Evaluates <paramref name="candidates"/> on the last <paramref name="window"/> finished events of <paramref name="loop"/>.</summary>
    /// <param name="store">The loop's event store.</param>
    /// <param name="loop">The loop's name.</param>
    /// <param name="options">The loop's options (dimensions, reward range, wait, default reward, seed).</param>
    /// <param name="candidates">The policies to compare.</param>
    /// <param name="window">How many of the latest finished events to use.</param>
    /// <param name="now">The time deciding which events are finished (all slots rewarded or wait passed).</param>
    /// <param name="progress">Called with the number of candidates done.</param>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    public static Task<LoopEvaluation> EvaluateAsync(IEventStore store, string loop, LoopOptions options, IReadOnlyList<PolicySpec> candidates,
        int window, DateTimeOffset now, Action<int>? progress = null, CancellationToken cancellationToken = default) =>
        EvaluateAsync(store, loop, options, candidates, window, now, DefaultPageSize, progress, cancellationToken);

    /// <summary>
    /// As the public overload, reading <paramref name="pageSize"/> events per store call. The log is streamed twice, a page
    /// at a time: once to choose the window (only the chosen events' sequence numbers are kept), once to replay every
    /// candidate side by side on each chosen event, keeping per event only what the estimators need (the candidate's
    /// probability of the logged action, the logged reward and propensity) and the running support sums. Memory is a page
    /// of events plus a few numbers per event and candidate, never the window's features, whatever the page size; the
    /// results do not depend on it.
    /// </summary>
    internal static async Task<LoopEvaluation> EvaluateAsync(IEventStore store, string loop, LoopOptions options, IReadOnlyList<PolicySpec> candidates,
        int window, DateTimeOffset now, int pageSize, Action<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        if (window < 1 || window > MaxEvents)
        {
            throw new OptionsException("last", $"must be between 1 and {MaxEvents}; got {window}.");
        }
        var (sequences, skipped, inactive) = await ChooseWindowAsync(store, loop, options, window, now, pageSize, cancellationToken).ConfigureAwait(false);
        var estimates = new List<CandidateEstimate>();
        if (sequences.Length == 0)
        {
            return new LoopEvaluation(loop, 0, skipped, estimates) { Inactive = inactive };
        }
        var own = (await store.LoopsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(l => l.Name == loop) is { } record
            ? LoopRegistry.Parse(record.Definition).Spec
            : null;
        var replays = candidates
            .Select(c => new CandidateReplay(c, options, own is not null && c.Kind == own.Kind && c.Options == own.Options, sequences.Length))
            .ToArray();
        var (rewards, propensities) = await ReplayAsync(store, loop, options, sequences, replays, pageSize, cancellationToken).ConfigureAwait(false);
        estimates.Add(OnPolicyMean(rewards));
        // The estimators used read only pi(a_t | x_t) of the logged action, so the log and each candidate's distribution are kept
        // as two columns (the logged action's probability and the rest) with the logged action as action 0: the same estimates.
        var log = new BanditLog(2, new FeatureMatrix(rewards.Length, 0, []), new int[rewards.Length], rewards, propensities);
        var supports = new List<CandidateSupport>();
        for (var c = 0; c < replays.Length; c++)
        {
            var support = replays[c].Support(candidates[c].DisplayName);
            supports.Add(support);
            if (support.Refused is null)
            {
                var input = new EstimationInput(log, replays[c].LoggedActionDistribution());
                foreach (var estimator in Estimators)
                {
                    var estimate = estimator.Estimate(input, new Rng(Seeds.Derive(options.Seed, "evaluation", c)), Resamples);
                    estimates.Add(new CandidateEstimate(candidates[c].DisplayName, estimate.Estimator, estimate.Value, estimate.Lower, estimate.Upper));
                }
            }
            progress?.Invoke(c + 1);
        }
        return new LoopEvaluation(loop, rewards.Length, skipped, estimates) { MinPropensity = propensities.Min(), Candidates = supports, Inactive = inactive };
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

    /// <summary>Whether a logged event takes part in an evaluation.</summary>
    private enum Finished
    {
        /// <summary>Still waiting for rewards: not finished.</summary>
        Waiting,

        /// <summary>Finished, but damaged or without a first-slot propensity: counted as skipped.</summary>
        Skipped,

        /// <summary>Finished with a first-slot propensity.</summary>
        Usable,

        /// <summary>Deferred, never activated, and past its reward wait: counted apart.</summary>
        Inactive,
    }

    private static Finished Classify(LoggedEvent e, long nowMilliseconds, long waitMilliseconds)
    {
        if (e.Damage is not null)
        {
            return Finished.Skipped; // a damaged payload (reported by the learner) cannot be evaluated
        }
        if (e.Inactive)
        {
            return nowMilliseconds - e.CreatedMilliseconds <= waitMilliseconds ? Finished.Waiting : Finished.Inactive; // it may still be activated
        }
        if (!e.Rewards.All(double.IsFinite) && nowMilliseconds - e.CreatedMilliseconds <= waitMilliseconds)
        {
            return Finished.Waiting;
        }
        return double.IsNaN(e.Decision.Propensities[0]) ? Finished.Skipped : Finished.Usable;
    }

    /// <summary>
    /// The sequence numbers of the last <paramref name="window"/> usable finished events, in log order (kept in a ring of at
    /// most <paramref name="window"/> numbers while the log streams by), and how many finished events were skipped.
    /// </summary>
    private static async Task<(long[] Sequences, int Skipped, int Inactive)> ChooseWindowAsync(IEventStore store, string loop, LoopOptions options,
        int window, DateTimeOffset now, int pageSize, CancellationToken cancellationToken)
    {
        var ring = new long[Math.Min(window, 1024)];
        int head = 0, count = 0, skipped = 0, inactive = 0;
        var wait = (long)(options.RewardWaitSeconds * 1000);
        var nowMilliseconds = now.ToUnixTimeMilliseconds();
        long after = 0;
        while (true)
        {
            var page = await store.ReadAfterAsync(loop, after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var e in page)
            {
                after = e.Sequence;
                var finished = Classify(e, nowMilliseconds, wait);
                if (finished != Finished.Usable)
                {
                    skipped += finished == Finished.Skipped ? 1 : 0;
                    inactive += finished == Finished.Inactive ? 1 : 0;
                    continue;
                }
                if (count == ring.Length && count < window)
                {
                    var grown = new long[Math.Min(window, 2 * ring.Length)];
                    Array.Copy(ring, grown, count); // the ring only wraps once it has its final size, so it is in order here
                    ring = grown;
                }
                if (count < ring.Length)
                {
                    ring[count++] = e.Sequence;
                }
                else
                {
                    ring[head] = e.Sequence; // replaces the oldest
                    head = (head + 1) % ring.Length;
                }
            }
            if (page.Count < pageSize)
            {
                var sequences = new long[count];
                for (var i = 0; i < count; i++)
                {
                    sequences[i] = ring[(head + i) % ring.Length];
                }
                return (sequences, skipped, inactive);
            }
        }
    }

    /// <summary>
    /// Streams the chosen events from the store a page at a time and replays every candidate on each (side by side: each
    /// starts untrained and learns in log order, independently of the others). Returns the logged rewards and first-slot
    /// propensities of the events, in window order.
    /// </summary>
    private static async Task<(double[] Rewards, double[] Propensities)> ReplayAsync(IEventStore store, string loop, LoopOptions options, long[] sequences,
        CandidateReplay[] replays, int pageSize, CancellationToken cancellationToken)
    {
        var rewards = new double[sequences.Length];
        var propensities = new double[sequences.Length];
        var t = 0;
        var after = sequences[0] - 1;
        while (t < sequences.Length)
        {
            var page = await store.ReadAfterAsync(loop, after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var e in page)
            {
                after = e.Sequence;
                if (t == sequences.Length || e.Sequence != sequences[t])
                {
                    continue; // not in the window (waiting, skipped, or after it)
                }
                cancellationToken.ThrowIfCancellationRequested();
                var propensity = e.Decision.Propensities[0];
                var reward = double.IsFinite(e.Rewards[0]) ? Learner.LearnedReward(e.Rewards[0], options) : options.DefaultReward;
                var normalised = (reward - options.RewardMin) / (options.RewardMax - options.RewardMin);
                var context = e.Decision.ToContext(e.Sequence, options.ActionDimension);
                var feedback = new Feedback(context, e.Decision.Chosen[0], normalised, propensity);
                foreach (var replay in replays)
                {
                    replay.Step(t, e, feedback);
                }
                rewards[t] = reward;
                propensities[t] = propensity;
                t++;
            }
            if (page.Count < pageSize)
            {
                break;
            }
        }
        if (t < sequences.Length)
        {
            throw new InvalidOperationException($"Loop '{loop}': event {sequences[t]} left the log during the evaluation.");
        }
        return (rewards, propensities);
    }

    /// <summary>
    /// One candidate replayed on the window: its policy (learning as it goes), its probability of each event's logged
    /// first-slot action, and the running sums of its support (effective sample size, unsupported events and mass).
    /// </summary>
    private sealed class CandidateReplay
    {
        private readonly IPolicy _policy;
        private readonly ServedPolicy? _served;
        private readonly LoopOptions _options;
        private readonly double[] _logged;
        private double[] _row = new double[64];
        private double _sum, _squares, _mass;
        private int _unsupported;

        public CandidateReplay(PolicySpec candidate, LoopOptions options, bool asServed, int events)
        {
            _policy = PolicyCatalog.Build(candidate, new PolicyBuildContext(options.ContextDimension, options.ActionDimension, options.Seed));
            _served = asServed ? new ServedPolicy(_policy, options) : null;
            _options = options;
            _logged = new double[events];
        }

        /// <summary>Event <paramref name="t"/> of the window: the candidate's first-slot distribution, then its update.</summary>
        public void Step(int t, LoggedEvent e, Feedback feedback)
        {
            var context = feedback.Context;
            var decision = _served is null
                ? _policy.Select(context, 1)
                : _served.Select(context, 1, new Rng(Seeds.Derive(_options.Seed, "served:" + e.EventId)));
            var stored = e.Decision;
            var length = Math.Max(stored.ActionIds.Length, decision.FirstSlotProbabilities?.Count ?? 0);
            if (_row.Length < length)
            {
                _row = new double[Math.Max(length, 2 * _row.Length)];
            }
            var row = _row.AsSpan(0, length);
            row.Clear();
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
            CheckRow(t, row);
            var chosen = stored.Chosen[0];
            _logged[t] = row[chosen];
            var w = row[chosen] / stored.Propensities[0];
            _sum += w;
            _squares += w * w;
            var missing = 0.0;
            for (var a = 0; a < stored.ActionIds.Length; a++)
            {
                var logged = stored.FirstSlot is { } first ? first[a] : stored.Propensities[0] >= 1 ? (a == chosen ? 1 : 0) : double.NaN;
                if (logged == 0)
                {
                    missing += row[a];
                }
            }
            if (missing > 1e-9)
            {
                _unsupported++;
                _mass += missing;
            }
            _policy.Update([feedback]);
        }

        /// <summary>
        /// The candidate's effective sample size on the log and the events where it needs actions the log gave no support (a
        /// logged first-slot probability of 0); any such event refuses the estimate, since IPS cannot see those actions' rewards.
        /// </summary>
        public CandidateSupport Support(string policy)
        {
            var events = _logged.Length;
            var ess = _squares > 0 ? _sum * _sum / _squares : 0;
            var refused = _unsupported == 0
                ? null
                : $"the log gives no support to actions this candidate would choose: in {_unsupported} of {events} events it puts probability "
                  + $"(on average {_mass / _unsupported:G3} in those events) on actions the logging policy served with probability 0, so no estimator can see their rewards. "
                  + "Serve the loop with exploration (loop options exploration / epsilon) to evaluate such candidates.";
            return new CandidateSupport(policy, ess, _unsupported, _mass / events, refused);
        }

        /// <summary>pi(a_t | x_t) of the logged action as a two-column distribution: the logged action (action 0) and the rest.</summary>
        public ActionDistribution LoggedActionDistribution()
        {
            var values = new double[2 * _logged.Length];
            for (var t = 0; t < _logged.Length; t++)
            {
                values[2 * t] = _logged[t];
                values[2 * t + 1] = 1 - _logged[t];
            }
            return new ActionDistribution(_logged.Length, 2, values);
        }

        /// <summary>The checks of <see cref="ActionDistribution"/> on one row: probabilities in [0, 1] summing to 1 (within 1e-6).</summary>
        private static void CheckRow(int t, ReadOnlySpan<double> row)
        {
            var sum = 0.0;
            for (var a = 0; a < row.Length; a++)
            {
                var p = row[a];
                if (!(p >= 0 && p <= 1))
                {
                    throw new ArgumentException($"Round {t}: the probability of action {a} is {p}.");
                }
                sum += p;
            }
            if (Math.Abs(sum - 1) > 1e-6)
            {
                throw new ArgumentException($"Round {t}: the probabilities sum to {sum}, not 1.");
            }
        }
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
