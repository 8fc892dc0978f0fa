using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Models;

namespace Cobalt.Recommenders.Nominators;

/// <summary>Builds the reward model and exploration strategy of one linear component (a nominator or the ranker) from the policy's options.</summary>
/// <remarks>
/// Ridge estimate theta_t = Sigma_t sum x_i r_i with Sigma_t = (lambda I + sum x_i x_i^T)^-1 (Hron et al. 2021, equation 2),
/// kept by rank-one updates (<see cref="LinearModel"/>, or <see cref="DisjointLinearModel"/> per action); UCB scores
/// theta^T x + alpha sqrt(x^T Sigma x), Greedy theta^T x, Thompson theta~^T x with theta~ ~ N(theta, v^2 Sigma).
/// </remarks>
public static class LinearComponent
{
    /// <summary>The model and strategy of a component that reads <paramref name="options"/>' features at the given dimensions.</summary>
    public static (IRewardModel Model, IExplorationStrategy Strategy) Create(NominatorOptions options, ComponentPolicy policy, int userDimension, int itemDimension)
    {
        ArgumentNullException.ThrowIfNull(options);
        IRewardModel model = options.Model == ComponentModel.Disjoint
            ? new DisjointLinearModel(options.Features, userDimension, itemDimension, options.Ridge, options.Scale, options.RefactorEvery)
            : new LinearModel(options.Features, userDimension, itemDimension, options.Ridge, options.Scale, cacheCatalog: options.Features == FeatureMap.Item, options.RefactorEvery);
        IExplorationStrategy strategy = policy switch
        {
            ComponentPolicy.Ucb => new UpperConfidenceBound(options.Alpha),
            ComponentPolicy.Greedy => new Greedy(),
            ComponentPolicy.Thompson => new ThompsonSampling(),
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
        };
        return (model, strategy);
    }

    /// <summary>The paper's short name of a component policy: U, G or T.</summary>
    public static string Letter(ComponentPolicy policy) => policy switch
    {
        ComponentPolicy.Ucb => "U",
        ComponentPolicy.Greedy => "G",
        ComponentPolicy.Thompson => "T",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
    };
}
