using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies;

/// <summary>
/// A policy as served (by the service's loops and by <c>Cobalt.Bandit</c>): the policy is the scorer, and an exploration strategy around it makes every served decision
/// random with a known, exact probability per slot, so the log can be evaluated offline.
/// </summary>
/// <remarks>
/// Slot k is drawn from p_k over the actions not yet in the slate (r of them):
/// p_k(a) = (1 - epsilon) q_k(a) + epsilon / r, where q_k is the policy's own distribution for the slot:
/// <list type="bullet">
/// <item>a deterministic scorer (LinUCB, GLM-UCB, UCB1, greedy): the best remaining score, ties shared evenly
/// (epsilon-greedy, Sutton and Barto 2018, 2.2); with softmax exploration instead p_k(a) proportional to
/// exp(s_a / tau) over the remaining actions (2.8);</item>
/// <item>a policy with a closed-form distribution (random, epsilon-greedy, softmax): its exploration strategy applied to the
/// remaining actions, as <see cref="ComposedPolicy"/> does;</item>
/// <item>a policy without one (Thompson sampling, random candidate stages, other compositions): M independent samples of
/// the policy (posterior draws, or whole decisions) are taken, and q_k(a) is the fraction of samples whose best remaining
/// action is a (ties shared evenly), as Vowpal Wabbit's bagging exploration counts its bag members' top actions
/// (VowpalWabbit/vowpal_wabbit, vowpalwabbit/core/src/reductions/cb/cb_explore_adf_bag.cc @5c793f7, predict; VW then
/// floors probabilities at epsilon, where this mixes epsilon / r in). Serving one of M samples uniformly keeps the policy's
/// own marginal law, and the logged probability is exact given the samples, which are independent of the reward.</item>
/// </list>
/// The logged propensity of slot k is p_k of its action given slots 1..k-1; the first slot's p_1 over every candidate is the
/// rank answer's <c>probabilities</c>. Every draw comes from the generator the caller passes (the loop seeds it from its seed
/// and the event id).
/// </remarks>
public class ExploredPolicy
{
    private enum Mode
    {
        Scores,
        Draws,
        Distribution,
        Samples,
    }

    private readonly Mode _mode;
    private readonly ComposedPolicy? _composed;
    private readonly bool _softmax;
    private readonly double _epsilon;
    private readonly double _temperature;
    private readonly int _samples;

    /// <summary>Wraps <paramref name="policy"/> with the exploration asked for.</summary>
    /// <param name="policy">The policy (it learns; this class only chooses).</param>
    /// <param name="exploration">How decisions are randomised (auto: a closed-form distribution as it is, everything else through epsilon-greedy).</param>
    /// <param name="epsilon">Epsilon of epsilon-greedy exploration, in [0, 1].</param>
    /// <param name="softmaxTemperature">Temperature tau of softmax exploration, positive.</param>
    /// <param name="policySamples">Samples per decision for a policy without a closed-form distribution, at least 1.</param>
    /// <param name="field">The options field that names the exploration in error messages.</param>
    /// <exception cref="OptionsException">The exploration asked for does not fit the policy (the message says why).</exception>
    public ExploredPolicy(IPolicy policy, ServedExploration exploration, double epsilon, double softmaxTemperature, int policySamples, string field = "exploration")
    {
        ArgumentNullException.ThrowIfNull(policy);
        Require.Defined(exploration, field);
        Require.InRange(epsilon, 0, 1, "epsilon");
        Require.Positive(softmaxTemperature, "softmax-temperature");
        Require.AtLeast(policySamples, 1, "policy-samples");
        Inner = policy;
        _temperature = softmaxTemperature;
        _samples = policySamples;
        _composed = policy is ComposedPolicy { Stage.IsDeterministic: true } c ? c : null;
        _mode = _composed switch
        {
            null => Mode.Samples,
            { Strategy.Kind: ExplorationKind.Distribution } => Mode.Distribution,
            { Strategy.NeedsPosteriorDraws: true } => Mode.Draws,
            _ => Mode.Scores,
        };
        if (exploration == ServedExploration.Auto)
        {
            exploration = _mode == Mode.Distribution ? ServedExploration.None : ServedExploration.EpsilonGreedy;
        }
        if (exploration == ServedExploration.None && _mode is Mode.Scores or Mode.Samples)
        {
            throw new OptionsException(field, $"'{policy.Kind}' is deterministic (or its distribution is unknown): served without exploration it would log no usable probabilities; use auto, epsilon-greedy or softmax.");
        }
        if (exploration == ServedExploration.Softmax && _mode is Mode.Distribution or Mode.Samples)
        {
            throw new OptionsException(field, $"softmax exploration needs the policy's scores, which '{policy.Kind}' does not give; use auto, epsilon-greedy{(_mode == Mode.Distribution ? " or none" : "")}.");
        }
        _softmax = exploration == ServedExploration.Softmax;
        _epsilon = exploration == ServedExploration.EpsilonGreedy ? epsilon : 0;
        Exploration = exploration;
    }

    /// <summary>The policy served (it learns; this class only chooses).</summary>
    public IPolicy Inner { get; }

    /// <summary>The exploration actually used (auto resolved).</summary>
    public ServedExploration Exploration { get; }

    /// <summary>Chooses a slate of up to <paramref name="slateSize"/> actions, each slot with its exact probability given the slots before it.</summary>
    public Decision Select(DecisionContext context, int slateSize, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rng);
        var n = context.Candidates.Count;
        if (n == 0)
        {
            throw new ArgumentException("The context has no candidates to choose from.", nameof(context));
        }
        var scores = Prepare(context, slateSize, rng, out var shortlist, out var mean, out var width);
        var taken = new bool[n];
        var remaining = new int[n];
        var probabilities = new double[n];
        var slots = new SlateSlot[Math.Min(slateSize, n)];
        double[]? firstSlot = null;
        for (var k = 0; k < slots.Length; k++)
        {
            var r = 0;
            for (var i = 0; i < n; i++)
            {
                if (!taken[i])
                {
                    remaining[r++] = i;
                }
            }
            var p = probabilities.AsSpan(0, r);
            Base(remaining.AsSpan(0, r), taken, scores, shortlist, mean, width, p);
            for (var j = 0; j < r; j++)
            {
                p[j] = (1 - _epsilon) * p[j] + _epsilon / r;
            }
            if (k == 0)
            {
                firstSlot = new double[n];
                for (var j = 0; j < r; j++)
                {
                    firstSlot[remaining[j]] = p[j];
                }
            }
            var pick = rng.Sample(p);
            var index = remaining[pick];
            slots[k] = new SlateSlot(index, context.Candidates.Ids[index], p[pick]);
            taken[index] = true;
        }
        return new Decision(context, slots, firstSlotProbabilities: firstSlot);
    }

    /// <summary>
    /// What the slot distributions are computed from: one score row (Scores), M rows of posterior-draw scores (Draws), M
    /// rankings of sampled decisions as scores (Samples), or the estimates of the shortlist (Distribution).
    /// </summary>
    private double[][] Prepare(DecisionContext context, int slateSize, Rng rng, out int[] shortlist, out double[] mean, out double[] width)
    {
        var n = context.Candidates.Count;
        shortlist = [];
        mean = [];
        width = [];
        if (_mode == Mode.Samples)
        {
            // Each sampled decision becomes a score row: its slate in order, every other candidate -infinity.
            var rows = new double[_samples][];
            for (var s = 0; s < _samples; s++)
            {
                var row = rows[s] = new double[n];
                Array.Fill(row, double.NegativeInfinity);
                var decision = Inner.Select(context, Math.Min(slateSize, n));
                for (var i = 0; i < decision.Slots.Count; i++)
                {
                    row[decision.Slots[i].CandidateIndex] = decision.Slots.Count - i;
                }
            }
            return rows;
        }
        var composed = _composed!;
        shortlist = composed.Stage.Narrow(context, rng);
        var narrowed = shortlist.Length == n ? context : context.WithCandidates(context.Candidates.Subset(shortlist));
        var m = narrowed.Candidates.Count;
        mean = new double[m];
        width = new double[m];
        composed.Model.Estimate(narrowed, mean, width);
        if (_mode == Mode.Distribution)
        {
            return [];
        }
        var draws = _mode == Mode.Draws ? _samples : 1;
        var scores = new double[draws][];
        var draw = _mode == Mode.Draws ? new double[m] : [];
        var output = new double[m];
        for (var s = 0; s < draws; s++)
        {
            if (_mode == Mode.Draws)
            {
                ((IPosteriorSampler)composed.Model).SamplePosterior(narrowed, draw, rng);
            }
            composed.Strategy.Apply(new RewardEstimates(mean, width, draw), output);
            var row = scores[s] = new double[n];
            Array.Fill(row, double.NegativeInfinity);
            for (var i = 0; i < m; i++)
            {
                if (double.IsNaN(output[i]))
                {
                    throw new InvalidOperationException($"{Inner.Kind}: the score of candidate {shortlist[i]} is NaN; the reward model {composed.Model.GetType().Name} produced a non-finite estimate.");
                }
                row[shortlist.Length == n ? i : shortlist[i]] = output[i];
            }
        }
        return scores;
    }

    /// <summary>The policy's own distribution q over the remaining candidates (before epsilon is mixed in).</summary>
    private void Base(ReadOnlySpan<int> remaining, bool[] taken, double[][] scores, int[] shortlist, double[] mean, double[] width, Span<double> q)
    {
        q.Clear();
        var r = remaining.Length;
        if (_mode == Mode.Distribution)
        {
            // The strategy applied to the remaining shortlisted candidates, as ComposedPolicy draws each slot.
            var position = new int[taken.Length]; // candidate -> its place among the remaining
            for (var j = 0; j < r; j++)
            {
                position[remaining[j]] = j;
            }
            var positions = new List<int>(r);
            var subset = new List<int>(r);
            for (var i = 0; i < shortlist.Length; i++)
            {
                if (!taken[shortlist[i]])
                {
                    positions.Add(position[shortlist[i]]);
                    subset.Add(i);
                }
            }
            if (subset.Count == 0)
            {
                q.Fill(1.0 / r);
                return;
            }
            var m = subset.Select(i => mean[i]).ToArray();
            var w = subset.Select(i => width[i]).ToArray();
            var output = new double[subset.Count];
            _composed!.Strategy.Apply(new RewardEstimates(m, w, []), output);
            var sum = output.Sum();
            if (!(sum > 0) || !double.IsFinite(sum))
            {
                throw new InvalidOperationException($"{Inner.Kind}: its exploration strategy gave probabilities summing to {sum}.");
            }
            for (var j = 0; j < output.Length; j++)
            {
                q[positions[j]] = output[j] / sum;
            }
            return;
        }
        foreach (var row in scores)
        {
            if (_softmax)
            {
                AddSoftmax(row, remaining, q, 1.0 / scores.Length);
            }
            else
            {
                AddArgmax(row, remaining, q, 1.0 / scores.Length);
            }
        }
    }

    /// <summary>q += weight over the best remaining scores, ties shared (all remaining -infinity: uniform).</summary>
    private static void AddArgmax(double[] row, ReadOnlySpan<int> remaining, Span<double> q, double weight)
    {
        var best = double.NegativeInfinity;
        var ties = 0;
        foreach (var i in remaining)
        {
            if (row[i] > best)
            {
                best = row[i];
                ties = 1;
            }
            else if (row[i] == best)
            {
                ties++;
            }
        }
        for (var j = 0; j < remaining.Length; j++)
        {
            if (row[remaining[j]] == best)
            {
                q[j] += weight / ties;
            }
        }
    }

    /// <summary>q += weight * softmax(row / tau) over the remaining candidates; +infinity scores share the mass, -infinity get none.</summary>
    private void AddSoftmax(double[] row, ReadOnlySpan<int> remaining, Span<double> q, double weight)
    {
        var best = double.NegativeInfinity;
        foreach (var i in remaining)
        {
            best = Math.Max(best, row[i]);
        }
        if (double.IsInfinity(best))
        {
            AddArgmax(row, remaining, q, weight); // the limit of softmax: uniform over the infinite (or, all -infinity, every) candidates
            return;
        }
        var e = new double[remaining.Length];
        for (var j = 0; j < remaining.Length; j++)
        {
            e[j] = Math.Exp((row[remaining[j]] - best) / _temperature);
        }
        var sum = e.Sum(); // >= 1: the best term is exp(0)
        for (var j = 0; j < remaining.Length; j++)
        {
            q[j] += weight * e[j] / sum;
        }
    }
}

/// <summary>How served decisions are randomised (the exploration strategy wrapped around a policy by <see cref="ExploredPolicy"/>).</summary>
public enum ServedExploration
{
    /// <summary>A policy with its own closed-form distribution (random, epsilon-greedy, softmax) as it is; every other through epsilon-greedy.</summary>
    Auto,

    /// <summary>Each slot: with probability epsilon a uniformly random remaining action, else the policy's best remaining action.</summary>
    EpsilonGreedy,

    /// <summary>Each slot: p proportional to exp(score / tau) over the remaining actions (a scoring policy's scores).</summary>
    Softmax,

    /// <summary>The policy's own distribution (only for policies that randomise by themselves).</summary>
    None,
}
