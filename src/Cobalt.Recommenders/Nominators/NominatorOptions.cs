using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;

namespace Cobalt.Recommenders.Nominators;

/// <summary>How a linear component (the ranker or a nominator) turns its ridge estimate into a choice (Hron et al. 2021, section 3.1).</summary>
public enum ComponentPolicy
{
    /// <summary>UCB ("U"): theta^T x + alpha sqrt(x^T Sigma x) (equation 2).</summary>
    Ucb,

    /// <summary>Greedy ("G"): theta^T x, UCB with alpha = 0.</summary>
    Greedy,

    /// <summary>Linear Thompson sampling: theta~ ~ N(theta, v^2 Sigma), then greedy on theta~.</summary>
    Thompson,
}

/// <summary>Whether a linear component shares one theta over all actions or keeps one per action.</summary>
public enum ComponentModel
{
    /// <summary>One ridge regression over the features of every action (the paper's linear bandit).</summary>
    Shared,

    /// <summary>One ridge regression per action (the same model on x_ta = e_a ⊗ x_t: block-diagonal design).</summary>
    Disjoint,
}

/// <summary>Which rounds a nominator learns from: the weights w_{n,t} of Hron et al. (2021), equation 4 and footnote 4.</summary>
public enum NominatorTraining
{
    /// <summary>Training-on-all: w_{n,t} = 1, every shown action updates every nominator (section 3.1's default).</summary>
    All,

    /// <summary>Training-on-own (i): w_{n,t} = 1{a_t in A_n}, only actions of the nominator's own pool.</summary>
    OwnPool,

    /// <summary>Training-on-own (ii): w_{n,t} = 1{a_t = a_{n,t}}, only the rounds where the nominator's own candidate was shown.</summary>
    OwnPick,
}

/// <summary>How the nominator stage splits the work between its nominators.</summary>
public enum NominatorGate
{
    /// <summary>Item pools: every nominator proposes from its own pool A_n in every round (sections 2 and 3.1).</summary>
    None,

    /// <summary>
    /// A permanent hard gate over users (Hron et al. 2021, section 4, option 2(ii): the gating mechanism kept as part of the
    /// nominator stage, reweighting the nominators' predictions before the candidate pool is formed), restricted to gate logits
    /// that depend on the user only and to hard 0/1 weights: each user region (the nearest of N fixed centroids of the user
    /// features) is assigned to one nominator for good; that nominator proposes the whole candidate pool from every action.
    /// </summary>
    Permanent,
}

/// <summary>Options of the nominator/ranker recommender (kind <c>nominators</c>).</summary>
/// <remarks>
/// N nominators each propose their best action from their own pool A_n, seeing only their own subset of s of the d
/// features; a ranker with all d features picks from the candidates C_t (Hron et al. 2021, sections 2 and 3.1).
/// "U+G" is <c>ranker: ucb, nominator: greedy</c>. With one nominator the policy is the single-stage system over s features.
/// </remarks>
public sealed record NominatorOptions : PolicyOptions
{
    /// <summary>Number of nominators N.</summary>
    [Description("Number of nominators N; each proposes one candidate (nominees) from its own pool. 1 is the single-stage system on s features.")]
    public int Nominators { get; init; } = 5;

    /// <summary>s, the features each nominator sees; 0 gives every nominator all d.</summary>
    [Description("s: each nominator sees its own random subset of s of the d features (the ranker sees all d); 0 = all d.")]
    public int FeatureSubset { get; init; }

    /// <summary>The ranker's policy.</summary>
    [Description("The ranker's policy over all d features: ucb, greedy or thompson.")]
    public ComponentPolicy Ranker { get; init; } = ComponentPolicy.Ucb;

    /// <summary>The nominators' policy.</summary>
    [Description("The nominators' policy over their s features: ucb, greedy or thompson.")]
    public ComponentPolicy Nominator { get; init; } = ComponentPolicy.Ucb;

    /// <summary>UCB exploration weight.</summary>
    [Description("Exploration weight alpha of the UCB components: theta^T x + alpha sqrt(x^T Sigma x).")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Thompson posterior scale.</summary>
    [Description("Scale v of the Thompson posterior N(theta, v^2 Sigma).")]
    public double Scale { get; init; } = 0.5;

    /// <summary>Ridge lambda of every component.</summary>
    [Description("Ridge lambda of the ranker's and the nominators' regressions (Sigma^-1 starts as lambda I).")]
    public double Ridge { get; init; } = 1.0;

    /// <summary>Shared or per-action regressions.</summary>
    [Description("shared: one theta over all actions; disjoint: one theta per action (x_ta = e_a ⊗ x_t).")]
    public ComponentModel Model { get; init; } = ComponentModel.Shared;

    /// <summary>The features every component reads, and the ones nominators see a subset of.</summary>
    [Description("Features of every component: item (the candidate's row) or user (the context's features); nominators see s of them.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <summary>Which rounds a nominator learns from.</summary>
    [Description("Nominator training: all (w = 1), own-pool (w = 1{a_t in A_n}) or own-pick (w = 1{a_t = a_n,t}).")]
    public NominatorTraining Training { get; init; } = NominatorTraining.All;

    /// <summary>Candidates each nominator proposes.</summary>
    [Description("Candidates each nominator proposes per round (1 in the paper; more for slates).")]
    public int Nominees { get; init; } = 1;

    /// <summary>K, the number of actions, for the balanced random pools.</summary>
    [Description("K: actions 0..K-1 are split into N disjoint random pools of sizes differing by at most one; 0 takes K from the first round (the catalogue size, or the largest id + 1).")]
    public int Actions { get; init; }

    /// <summary>Explicit pools A_n (action ids), which may overlap.</summary>
    [Description("Explicit pools: one list of action ids per nominator (may overlap; every action must be in one). Empty: balanced random pools.")]
    public IReadOnlyList<int[]> Pools { get; init; } = [];

    /// <summary>Explicit feature subsets (column indices), one per nominator.</summary>
    [Description("Explicit feature subsets: one list of feature indices per nominator. Empty: each nominator draws s of the d features at random.")]
    public IReadOnlyList<int[]> FeatureSubsets { get; init; } = [];

    /// <summary>Item pools or a permanent gate over user regions.</summary>
    [Description("none: item pools (each nominator proposes from its pool every round); permanent: a fixed hard gate sends each user region (nearest gate centroid of the user features) to one nominator, which proposes all N x nominees candidates from every action.")]
    public NominatorGate Gate { get; init; } = NominatorGate.None;

    /// <summary>The gate's centroids in the user-feature space, one per nominator (used with <see cref="Gate"/> = permanent).</summary>
    [Description("Permanent gate: one centroid per nominator in the user-feature space (for example k-means centroids of tuning users); a user goes to the nominator of the nearest centroid.")]
    public IReadOnlyList<double[]> GateCentroids { get; init; } = [];

    /// <summary>Rank-one updates between re-factorisations.</summary>
    [Description("Rank-one (Sherman-Morrison) updates between Cholesky re-factorisations of each Sigma^-1.")]
    public int RefactorEvery { get; init; } = 1000;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (CandidateBudget != 0)
        {
            throw new OptionsException(Names.Kebab(nameof(CandidateBudget)), "the nominators narrow the candidates themselves; leave candidate-budget at 0.");
        }
        Require.AtLeast(Nominators, 1, nameof(Nominators));
        Require.AtLeast(FeatureSubset, 0, nameof(FeatureSubset));
        Require.Defined(Ranker, nameof(Ranker));
        Require.Defined(Nominator, nameof(Nominator));
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.Positive(Scale, nameof(Scale));
        Require.Positive(Ridge, nameof(Ridge));
        Require.Defined(Model, nameof(Model));
        Require.Defined(Features, nameof(Features));
        if (Features is not (FeatureMap.Item or FeatureMap.User))
        {
            throw new OptionsException(Names.Kebab(nameof(Features)), $"'{Names.Kebab(Features.ToString())}' is not allowed: nominators see a subset of the item or the user features; use item or user.");
        }
        Require.Defined(Training, nameof(Training));
        Require.AtLeast(Nominees, 1, nameof(Nominees));
        Require.AtLeast(Actions, 0, nameof(Actions));
        Require.AtLeast(RefactorEvery, 1, nameof(RefactorEvery));
        CheckLists(Pools, "pools", "action id", Actions > 0 ? Actions : int.MaxValue, 0);
        Require.Defined(Gate, nameof(Gate));
        CheckGate();
        CheckLists(FeatureSubsets, "feature-subsets", "feature index", int.MaxValue, FeatureSubset);
    }

    private void CheckGate()
    {
        const string field = "gate-centroids";
        if (GateCentroids is null)
        {
            throw new OptionsException(field, "must be a list (empty without a gate).");
        }
        if (Gate == NominatorGate.None)
        {
            if (GateCentroids.Count > 0)
            {
                throw new OptionsException(field, "are given but gate is none; set gate to permanent or leave gate-centroids empty.");
            }
            return;
        }
        if (Pools.Count > 0)
        {
            throw new OptionsException("pools", "cannot be combined with a permanent gate: the gated nominator proposes from every action.");
        }
        if (GateCentroids.Count != Nominators)
        {
            throw new OptionsException(field, $"lists {GateCentroids.Count} centroids for {Nominators} nominators; a permanent gate needs one per nominator.");
        }
        var length = GateCentroids[0]?.Length ?? 0;
        for (var n = 0; n < GateCentroids.Count; n++)
        {
            var centroid = GateCentroids[n];
            if (centroid is null || centroid.Length == 0 || centroid.Length != length)
            {
                throw new OptionsException($"{field}[{n}]", $"has {centroid?.Length ?? 0} entries; every centroid needs the same, non-zero number (the user-feature dimension, {length} for the first).");
            }
            if (centroid.Any(v => !double.IsFinite(v)))
            {
                throw new OptionsException($"{field}[{n}]", "holds a value that is not a finite number.");
            }
        }
    }

    private void CheckLists(IReadOnlyList<int[]> lists, string field, string what, int limit, int length)
    {
        if (lists is null)
        {
            throw new OptionsException(field, "must be a list (empty for the default).");
        }
        if (lists.Count == 0)
        {
            return;
        }
        if (lists.Count != Nominators)
        {
            throw new OptionsException(field, $"lists {lists.Count} entries for {Nominators} nominators; give one per nominator.");
        }
        for (var n = 0; n < lists.Count; n++)
        {
            var list = lists[n];
            if (list is null || list.Length == 0)
            {
                throw new OptionsException($"{field}[{n}]", "is empty; every nominator needs at least one entry.");
            }
            if (length > 0 && list.Length != length)
            {
                throw new OptionsException($"{field}[{n}]", $"has {list.Length} entries but feature-subset is {length}.");
            }
            var seen = new HashSet<int>();
            foreach (var value in list)
            {
                if (value < 0 || value >= limit)
                {
                    throw new OptionsException($"{field}[{n}]", limit == int.MaxValue ? $"{what} {value} is negative." : $"{what} {value} is outside [0, {limit}).");
                }
                if (!seen.Add(value))
                {
                    throw new OptionsException($"{field}[{n}]", $"holds {what} {value} twice.");
                }
            }
        }
    }
}
