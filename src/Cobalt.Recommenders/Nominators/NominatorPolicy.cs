using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies;
using Cobalt.Policies.Catalog;

namespace Cobalt.Recommenders.Nominators;

/// <summary>
/// The two-stage nominator/ranker recommender of Hron et al. (2021), "On component interactions in two-stage recommender
/// systems", sections 2 and 3.1: N nominators, each with its own pool A_n and its own random subset of s of the d features,
/// propose one candidate each; a ranker with all d features chooses the slate from the candidate pool C_t.
/// </summary>
/// <remarks>
/// <para>The policy is a <see cref="ComposedPolicy"/> whose candidate stage is the <see cref="NominatorStage"/> and whose
/// reward model and strategy are the ranker's. The ranker learns from every shown action in the "single-stage mode"
/// (Proposition 1); the nominators learn with the weights of <see cref="NominatorOptions.Training"/>.</para>
/// <para>Every decision carries <see cref="Decision.Shortlist"/> = C_t, so the regret splits as R = R^N + R^R
/// (equation 1): nominator regret r*_t - max_{a in C_t} f*(x_t, a), ranker regret the rest.</para>
/// </remarks>
public sealed class NominatorPolicy : IPolicy
{
    /// <summary>The catalogue entry of the <c>nominators</c> kind.</summary>
    public static readonly PolicyDefinition Definition = new(
        "nominators",
        "Two-stage nominators + ranker: N linear nominators (UCB, greedy or Thompson) with their own item pools and random subsets of s of the d features propose one candidate each; a linear ranker with all d features picks (\"U+G\" = UCB ranker, greedy nominators). Training on all or on own.",
        "Hron et al. 2021, On component interactions in two-stage recommender systems, sections 2-3",
        typeof(NominatorOptions),
        (options, context, specification) => new NominatorPolicy("nominators", specification, (NominatorOptions)options, context));

    private readonly ComposedPolicy _ranker;

    /// <summary>Builds the policy for a world of the build context's dimensions.</summary>
    public NominatorPolicy(string kind, string specification, NominatorOptions options, PolicyBuildContext context)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(specification);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        options.Validate();
        Kind = kind;
        Specification = specification;
        Options = options;
        Stage = new NominatorStage(options, context.UserFeatureDimension, context.ItemFeatureDimension, Seeds.Derive(context.Seed, "nominators"));
        var (model, strategy) = LinearComponent.Create(options, options.Ranker, context.UserFeatureDimension, context.ItemFeatureDimension);
        _ranker = new ComposedPolicy(kind, specification, Stage, model, strategy, Seeds.Derive(context.Seed, "ranker"));
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public string Specification { get; }

    /// <summary>The options.</summary>
    public NominatorOptions Options { get; }

    /// <summary>The nominators.</summary>
    public NominatorStage Stage { get; }

    /// <summary>The ranker's reward model.</summary>
    public IRewardModel Ranker => _ranker.Model;

    /// <inheritdoc />
    public Decision Select(DecisionContext context, int slateSize = 1)
    {
        var decision = _ranker.Select(context, slateSize);
        return new Decision(decision.Context, decision.Slots, Stage.LastShortlist);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        _ranker.Update(feedback);
        Stage.Update(feedback);
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("nominators");
        _ranker.WriteState(writer);
        Stage.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("nominators");
        _ranker.ReadState(reader);
        Stage.ReadState(reader);
    }
}
