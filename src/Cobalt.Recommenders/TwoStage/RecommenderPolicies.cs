using Cobalt.Policies.Catalog;

namespace Cobalt.Recommenders.TwoStage;

/// <summary>Adds the two-stage recommenders to <see cref="PolicyCatalog"/> (idempotent).</summary>
public static class RecommenderPolicies
{
    /// <summary>The two-stage topic -> item recommender.</summary>
    public static readonly PolicyDefinition TwoStage = new(
        "two-stage",
        "Two-stage topic -> item recommender: scores topics, groups them with DynaTopicRec, picks the best item of each group (2-X with X = model).",
        "two-stage neural contextual bandits, Algorithms 1 and 2; by default as coded in CB4Rec algorithms/neural_greedy.py and uniform_random.py @67f4029 (paper-text readings selectable)",
        typeof(TwoStageOptions),
        (options, context, specification) => new TwoStagePolicy("two-stage", specification, (TwoStageOptions)options, context.ItemFeatureDimension, context.UserFeatureDimension, context.Seed));

    /// <summary>The bandits over NRMS representations (N-GLM-UCB, N-Greedy, N-Dropout-UCB, S-N-GALM/GBLM-UCB), one- or two-stage.</summary>
    public static readonly PolicyDefinition Neural = new(
        "neural",
        "A bandit over NRMS representations pre-trained on known samples and retrained as clicks arrive: glm-ucb, greedy, dropout-ucb, galm or gblm; one- or two-stage.",
        "two-stage neural contextual bandits, Table 3; Wu et al. 2019 (NRMS)",
        typeof(Recommenders.Neural.NeuralOptions),
        (options, context, specification) => new Recommenders.Neural.NeuralPolicy("neural", specification, (Recommenders.Neural.NeuralOptions)options, context.Seed, context.Known, context.Observed));

    /// <summary>Registers every recommender kind.</summary>
    public static void Register() => PolicyCatalog.Register(TwoStage, Neural, Nominators.NominatorPolicy.Definition);
}
