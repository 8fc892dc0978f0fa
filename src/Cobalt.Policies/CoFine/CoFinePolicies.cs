using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Exploration;

namespace Cobalt.Policies.CoFine;

/// <summary>
/// Builds the reward model of each CoFineUCB-family policy from its options, for the catalogue and for
/// compositions the catalogue cannot express (the coverage slates of <see cref="CoverageSlatePolicy"/>).
/// </summary>
public static class CoFinePolicies
{
    /// <summary>The model <paramref name="options"/> describe (CoFineUCB, SubspaceUCB, Reshape or Mean-Regularized).</summary>
    /// <exception cref="Core.Configuration.OptionsException">A matrix or vector option does not fit the feature dimension.</exception>
    public static CoFineModel Model(HierarchicalOptions options, PolicyBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        var dimension = options.Features.Dimension(context.UserFeatureDimension, context.ItemFeatureDimension);
        if (dimension <= 0)
        {
            throw new Core.Configuration.OptionsException("features", $"give no features for user dimension {context.UserFeatureDimension} and item dimension {context.ItemFeatureDimension}.");
        }
        var (hierarchy, settings) = options switch
        {
            CoFineUcbOptions o => (FeatureHierarchy.Create(dimension, transform: o.Reshape, subspace: o.Subspace),
                new CoFineSettings(o.Ridge, o.SubspaceRidge, o.Alpha * o.FullSpaceScale, o.AlphaSubspace, o.RefactorEvery)
                {
                    Schedule = o.Schedule,
                    Delta = o.Delta,
                    ResidualBound = o.ResidualBound,
                    SubspaceBound = o.SubspaceBound,
                    RewardRange = o.RewardRange,
                }),
            SubspaceUcbOptions o => (FeatureHierarchy.Create(dimension, transform: o.Subspace, transformField: "subspace"),
                Plain(o)),
            ReshapeLinUcbOptions o => (FeatureHierarchy.Create(dimension, transform: o.Reshape),
                Plain(o)),
            MeanRegularizedOptions o => (FeatureHierarchy.Create(dimension, priorMean: o.PriorMean),
                Plain(o)),
            _ => throw new ArgumentException($"{options.GetType().Name} is not a CoFineUCB-family option record.", nameof(options)),
        };
        return new CoFineModel(hierarchy, settings, options.Features, context.UserFeatureDimension, context.ItemFeatureDimension);
    }

    /// <summary>The catalogue composition: the model and optimism with weight 1 (the model's width already carries alpha and alpha~).</summary>
    public static (IRewardModel Model, IExplorationStrategy Strategy) Compose(HierarchicalOptions options, PolicyBuildContext context) =>
        (Model(options, context), new UpperConfidenceBound(1.0));

    private static CoFineSettings Plain(HierarchicalOptions o) => new(o.Ridge, 1.0, o.Alpha, 0.0, o.RefactorEvery)
    {
        Schedule = o.Schedule,
        Delta = o.Delta,
        ResidualBound = o.ResidualBound,
        RewardRange = o.RewardRange,
    };
}
