using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Models;

namespace Cobalt.Policies;

/// <summary>
/// A policy built from the three roles: a candidate stage narrows the actions, a reward model
/// estimates them, an exploration strategy turns estimates into a slate. Propensities are reported
/// when they have a closed form: a deterministic stage and a strategy without posterior draws.
/// </summary>
public sealed class ComposedPolicy : IPolicy
{
    private readonly Rng _rng;
    private readonly List<(int Index, double? Propensity)> _slate = [];
    private double[] _mean = [], _width = [], _draws = [], _output = [];
    private readonly List<int> _ties = [];

    /// <summary>Fewest candidates for which a score policy prunes (below it every candidate is scored).</summary>
    public const int PruneMinimum = 64;

    /// <summary>Composes a policy; <paramref name="seed"/> fixes its random stream.</summary>
    public ComposedPolicy(string kind, string specification, ICandidateStage stage, IRewardModel model, IExplorationStrategy strategy, ulong seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(specification);
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(strategy);
        if (strategy.NeedsPosteriorDraws && model is not IPosteriorSampler)
        {
            throw new ArgumentException($"{strategy.GetType().Name} needs posterior draws, which {model.GetType().Name} cannot give.", nameof(strategy));
        }
        Kind = kind;
        Specification = specification;
        Stage = stage;
        Model = model;
        Strategy = strategy;
        _rng = new Rng(seed);
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public string Specification { get; }

    /// <summary>The candidate stage.</summary>
    public ICandidateStage Stage { get; }

    /// <summary>The reward model.</summary>
    public IRewardModel Model { get; }

    /// <summary>The exploration strategy.</summary>
    public IExplorationStrategy Strategy { get; }

    /// <summary>
    /// Whether an upper-confidence-bound policy over a model that bounds its scores (<see cref="IBoundedRewardModel"/>)
    /// computes exact estimates only for the candidates that can reach the slate (<see cref="BoundedSelection"/>; the
    /// same decision, propensities and random draws as scoring them all). On by default; off scores every candidate.
    /// </summary>
    public bool PruneScoring { get; set; } = true;

    /// <summary>Candidates whose exact estimates were computed, over all rounds (every candidate when not pruning).</summary>
    public long ScoredCandidates { get; private set; }

    /// <summary>Candidates offered, over all rounds.</summary>
    public long OfferedCandidates { get; private set; }

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        if (context.Candidates.Count == 0)
        {
            throw new ArgumentException("The context has no candidates to choose from.", nameof(context));
        }
        var positions = Stage.Narrow(context, _rng);
        var narrowed = positions.Length == context.Candidates.Count
            ? context
            : context.WithCandidates(context.Candidates.Subset(positions));
        var n = narrowed.Candidates.Count;
        EnsureCapacity(n);
        Span<double> mean = _mean.AsSpan(0, n), width = _width.AsSpan(0, n), output = _output.AsSpan(0, n);
        OfferedCandidates += n;
        if (PruneScoring && n >= PruneMinimum && Strategy is UpperConfidenceBound ucb && Model is IBoundedRewardModel bounded
            && bounded.TryUpperBounds(narrowed, ucb.Beta, output))
        {
            return SelectPruned(context, narrowed, positions, bounded, slateSize);
        }
        ScoredCandidates += n;
        Model.Estimate(narrowed, mean, width);
        var draws = Span<double>.Empty;
        if (Strategy.NeedsPosteriorDraws)
        {
            draws = _draws.AsSpan(0, n);
            ((IPosteriorSampler)Model).SamplePosterior(narrowed, draws, _rng);
        }
        var withPropensities = Stage.IsDeterministic && !Strategy.NeedsPosteriorDraws;
        IReadOnlyList<double>? firstSlot = null;
        if (Strategy.Kind == ExplorationKind.Scores)
        {
            Strategy.Apply(new RewardEstimates(mean, width, draws), output);
            CheckOutput(output);
            if (withPropensities)
            {
                firstSlot = ArgmaxDistribution(output, positions, context.Candidates.Count);
            }
            SlateSelection.TopScores(output, slateSize, _rng, withPropensities, _slate);
        }
        else if (SampleSlots(n, slateSize, withPropensities) is { } distribution)
        {
            firstSlot = OverAllCandidates(distribution, positions, context.Candidates.Count);
        }
        var slots = new SlateSlot[_slate.Count];
        for (var i = 0; i < slots.Length; i++)
        {
            var original = positions.Length == context.Candidates.Count ? _slate[i].Index : positions[_slate[i].Index];
            slots[i] = new SlateSlot(original, context.Candidates.Ids[original], _slate[i].Propensity);
        }
        return new Decision(context, slots, firstSlotProbabilities: firstSlot);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback) => Model.Update(feedback);

    /// <summary>The score path with the bounds in <see cref="_output"/>: exact estimates only where a bound reaches the running best.</summary>
    private Decision SelectPruned(DecisionContext context, DecisionContext narrowed, int[] positions, IBoundedRewardModel model, int slateSize)
    {
        var n = narrowed.Candidates.Count;
        var withPropensities = Stage.IsDeterministic;
        var scored = BoundedSelection.TopScores(_output, n, slateSize, _rng, withPropensities, _slate, Evaluate, withPropensities ? _ties : null,
            (at, bounds) => model.RefineUpperBounds(narrowed, ((UpperConfidenceBound)Strategy).Beta, at, bounds));
        ScoredCandidates += scored;
        IReadOnlyList<double>? firstSlot = null;
        if (withPropensities)
        {
            var all = positions.Length == context.Candidates.Count;
            firstSlot = new TiedArgmax(context.Candidates.Count, all ? _ties : _ties.Select(i => positions[i]));
        }
        var slots = new SlateSlot[_slate.Count];
        for (var i = 0; i < slots.Length; i++)
        {
            var original = positions.Length == context.Candidates.Count ? _slate[i].Index : positions[_slate[i].Index];
            slots[i] = new SlateSlot(original, context.Candidates.Ids[original], _slate[i].Propensity);
        }
        return new Decision(context, slots, firstSlotProbabilities: firstSlot);

        void Evaluate(ReadOnlySpan<int> at, Span<double> scores)
        {
            // Scratch past the bounds: the second halves of the mean and width buffers hold n values.
            var k = at.Length;
            Span<double> mean = _mean.AsSpan(n, k), width = _width.AsSpan(n, k);
            model.EstimateAt(narrowed, at, mean, width);
            Strategy.Apply(new RewardEstimates(mean, width, []), scores);
            for (var r = 0; r < k; r++)
            {
                var v = scores[r];
                if (double.IsNaN(v) || double.IsNegativeInfinity(v))
                {
                    throw new InvalidOperationException(
                        $"{Kind}: the score of candidate {at[r]} is {v}; the reward model {Model.GetType().Name} produced a non-finite estimate.");
                }
            }
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("composed-policy");
        writer.Write(_rng);
        Model.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("composed-policy");
        reader.ReadInto(_rng);
        Model.ReadState(reader);
    }

    /// <summary>
    /// Draws each slot from the strategy applied to the candidates not yet in the slate, so an
    /// epsilon-greedy slate is greedy in every slot with probability 1 - epsilon (not only in the first).
    /// The propensity of a slot is its probability given the slots before it. Returns the first slot's distribution
    /// (when propensities are reported).
    /// </summary>
    private double[]? SampleSlots(int n, int slateSize, bool withPropensities)
    {
        double[]? firstSlot = null;
        _slate.Clear();
        var remaining = Enumerable.Range(0, n).ToList();
        for (var slot = 0; slot < Math.Min(slateSize, n); slot++)
        {
            var r = remaining.Count;
            Span<double> mean = _mean.AsSpan(n, r), width = _width.AsSpan(n, r), output = _output.AsSpan(0, r);
            var draws = Strategy.NeedsPosteriorDraws ? _draws.AsSpan(n, r) : [];
            for (var i = 0; i < r; i++)
            {
                mean[i] = _mean[remaining[i]];
                width[i] = _width[remaining[i]];
                if (!draws.IsEmpty)
                {
                    draws[i] = _draws[remaining[i]];
                }
            }
            Strategy.Apply(new RewardEstimates(mean, width, draws), output);
            CheckOutput(output);
            if (slot == 0 && withPropensities)
            {
                firstSlot = output.ToArray();
            }
            var pick = _rng.Sample(output);
            _slate.Add((remaining[pick], withPropensities ? output[pick] : null));
            remaining.RemoveAt(pick);
        }
        return firstSlot;
    }

    /// <summary>The first slot's distribution under a score strategy: the argmax, ties split evenly, over every candidate.</summary>
    private static TiedArgmax ArgmaxDistribution(ReadOnlySpan<double> scores, int[] positions, int count)
    {
        var best = System.Numerics.Tensors.TensorPrimitives.Max(scores);
        var ties = new List<int>(1);
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] == best)
            {
                ties.Add(positions.Length == count ? i : positions[i]);
            }
        }
        return new TiedArgmax(count, ties);
    }

    /// <summary>Spreads probabilities over the narrowed candidates back onto every candidate (zero off the shortlist).</summary>
    private static double[] OverAllCandidates(double[] narrowed, int[] positions, int count)
    {
        if (positions.Length == count)
        {
            return narrowed;
        }
        var all = new double[count];
        for (var i = 0; i < positions.Length; i++)
        {
            all[positions[i]] = narrowed[i];
        }
        return all;
    }

    private void CheckOutput(ReadOnlySpan<double> output)
    {
        for (var i = 0; i < output.Length; i++)
        {
            var v = output[i];
            var bad = Strategy.Kind == ExplorationKind.Scores ? double.IsNaN(v) || double.IsNegativeInfinity(v) : !(v >= 0) || double.IsInfinity(v);
            if (bad)
            {
                throw new InvalidOperationException(
                    $"{Kind}: the {(Strategy.Kind == ExplorationKind.Scores ? "score" : "probability")} of candidate {i} is {v}; the reward model {Model.GetType().Name} produced a non-finite estimate.");
            }
        }
    }

    private void EnsureCapacity(int n)
    {
        if (_mean.Length < 2 * n)
        {
            var size = Math.Max(2 * n, _mean.Length * 2); // second half: per-slot scratch
            _mean = new double[size];
            _width = new double[size];
            _draws = new double[size];
            _output = new double[size];
        }
    }
}
