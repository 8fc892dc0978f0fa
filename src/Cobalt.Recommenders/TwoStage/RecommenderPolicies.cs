using Cobalt.Policies.Catalog;

namespace Cobalt.Recommenders.TwoStage;

/// <summary>Adds the two-stage recommenders to <see cref="PolicyCatalog"/> (idempotent).</summary>
public static class RecommenderPolicies
{
    /// <summary>The two-stage topic -> item recommender.</summary>
    public static readonly PolicyDefinition TwoStage = new(
        "two-stage",
        "Two-stage topic -> item recommender: scores topics, groups them with DynaTopicRec, picks the best item of each group (2-X with X = model).",
        "two-stage neural contextual bandits, Algorithms 1 and 2",
        typeof(TwoStageOptions),
        (options, context, specification) => new TwoStagePolicy("two-stage", specification, (TwoStageOptions)options, context.ItemFeatureDimension, context.UserFeatureDimension, context.Seed));

    /// <summary>Registers every recommender kind.</summary>
    public static void Register() => PolicyCatalog.Register(TwoStage);
}
