using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Contracts;
using Cobalt.Policies.Models;
using Cobalt.Policies.Stages;

namespace Cobalt.Policies.Catalog;

/// <summary>Options every policy has: how many candidates it may score per round.</summary>
public abstract record PolicyOptions : IValidatable
{
    /// <summary>0 scores every candidate; B > 0 scores a uniform sample of at most B (a computation budget).</summary>
    [Description("0 scores every candidate; B > 0 scores a uniform random sample of at most B candidates per round.")]
    public int CandidateBudget { get; init; }

    /// <summary>0: the budget's sample comes from the policy's own stream; otherwise from this seed and the round number alone.</summary>
    /// <remarks>
    /// With a common seed every policy scores the same candidates in round t of every trial, as the two-stage paper's authors
    /// drew one candidate set per iteration for all algorithms after <c>np.random.seed(2022)</c> in each trial (CB4Rec
    /// core/contextual_bandit.py @67f4029).
    /// </remarks>
    [Description("0: the budget's candidate sample comes from the policy's own random stream; otherwise from this seed and the round number alone, so every policy with the same seed scores the same candidates in round t of every trial (the authors' common candidate sets, seed 2022).")]
    public ulong CandidateSeed { get; init; }

    /// <summary>The candidate stage these options ask for: every candidate, or a uniform sample of <see cref="CandidateBudget"/>.</summary>
    public ICandidateStage CandidateStage() => CandidateBudget > 0 ? new UniformSample(CandidateBudget, CandidateSeed) : new AllCandidates();

    /// <inheritdoc />
    public virtual void Validate() => Require.AtLeast(CandidateBudget, 0, nameof(CandidateBudget));
}

/// <summary>Which reward model a model-agnostic strategy (epsilon-greedy, softmax) uses.</summary>
public enum ValueModel
{
    /// <summary>Empirical mean reward per action (non-contextual).</summary>
    ArmMeans,

    /// <summary>Shared ridge regression over the mapped features.</summary>
    Linear,

    /// <summary>Shared online logistic regression over the mapped features.</summary>
    Logistic,
}

/// <summary>Options of the uniform random policy.</summary>
public sealed record RandomOptions : PolicyOptions;

/// <summary>Options of epsilon-greedy.</summary>
public sealed record EpsilonGreedyOptions : PolicyOptions
{
    /// <summary>Probability of a uniformly random action.</summary>
    [Description("Probability of choosing uniformly at random instead of greedily.")]
    public double Epsilon { get; init; } = 0.1;

    /// <summary>The value model.</summary>
    [Description("Value model: per-action means, or a shared linear or logistic model over the features.")]
    public ValueModel Model { get; init; } = ValueModel.Linear;

    /// <summary>Features of the linear/logistic model.</summary>
    [Description("Features of a linear or logistic value model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <summary>Ridge lambda of a linear/logistic model.</summary>
    [Description("Ridge (prior precision) lambda of a linear or logistic value model.")]
    public double Ridge { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
        Require.Defined(Model, nameof(Model));
        Require.Defined(Features, nameof(Features));
        Require.Positive(Ridge, nameof(Ridge));
    }
}

/// <summary>Options of softmax (Boltzmann) exploration.</summary>
public sealed record SoftmaxOptions : PolicyOptions
{
    /// <summary>The temperature tau.</summary>
    [Description("Temperature tau of p proportional to exp(mean / tau): small is greedy, large is uniform.")]
    public double Temperature { get; init; } = 0.1;

    /// <summary>The value model.</summary>
    [Description("Value model: per-action means, or a shared linear or logistic model over the features.")]
    public ValueModel Model { get; init; } = ValueModel.Linear;

    /// <summary>Features of the linear/logistic model.</summary>
    [Description("Features of a linear or logistic value model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <summary>Ridge lambda of a linear/logistic model.</summary>
    [Description("Ridge (prior precision) lambda of a linear or logistic value model.")]
    public double Ridge { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Positive(Temperature, nameof(Temperature));
        Require.Defined(Model, nameof(Model));
        Require.Defined(Features, nameof(Features));
        Require.Positive(Ridge, nameof(Ridge));
    }
}

/// <summary>Options of UCB1.</summary>
public sealed record Ucb1Options : PolicyOptions
{
    /// <summary>Multiplier of the width sqrt(2 ln t / n_a).</summary>
    [Description("Multiplier c of the bonus c * sqrt(2 ln t / n_a); 1 is Auer et al.'s UCB1.")]
    public double Exploration { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Exploration, nameof(Exploration));
    }
}

/// <summary>Options of Beta-Bernoulli Thompson sampling.</summary>
public sealed record BetaThompsonOptions : PolicyOptions
{
    /// <summary>Prior successes.</summary>
    [Description("alpha of the Beta(alpha, beta) prior of every action.")]
    public double PriorAlpha { get; init; } = 1.0;

    /// <summary>Prior failures.</summary>
    [Description("beta of the Beta(alpha, beta) prior of every action.")]
    public double PriorBeta { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Positive(PriorAlpha, nameof(PriorAlpha));
        Require.Positive(PriorBeta, nameof(PriorBeta));
    }
}

/// <summary>Options shared by the linear models.</summary>
public abstract record LinearOptions : PolicyOptions
{
    /// <summary>Ridge lambda.</summary>
    [Description("Ridge lambda: A starts as lambda I.")]
    public double Ridge { get; init; } = 1.0;

    /// <summary>Rank-one updates between re-factorisations.</summary>
    [Description("Rank-one (Sherman-Morrison) updates between Cholesky re-factorisations of A^-1.")]
    public int RefactorEvery { get; init; } = 1000;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Positive(Ridge, nameof(Ridge));
        Require.AtLeast(RefactorEvery, 1, nameof(RefactorEvery));
    }
}

/// <summary>Options of LinUCB with one shared parameter vector.</summary>
public sealed record LinUcbOptions : LinearOptions
{
    /// <summary>Exploration weight alpha.</summary>
    [Description("Exploration weight alpha of theta^T x + alpha ||x||_{A^-1}.")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Features.</summary>
    [Description("Features of the linear model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <summary>Cache catalogue widths.</summary>
    [Description("With catalogue items and item features, keep every item's x^T A^-1 x up to date in O(N d) per update.")]
    public bool CacheCatalog { get; init; } = true;

    /// <summary>How the batched widths of features that change every round are computed.</summary>
    [Description("Batched widths of 16 or more candidates: 'inverse' computes x^T A^-1 x through A^-1 (the default); 'factor' computes ||L^-1 x||^2 through the inverse Cholesky factor, kept in step in O(d^2) per update: half the multiply-adds, equal up to rounding.")]
    public WidthMethod Widths { get; init; } = WidthMethod.Inverse;

    /// <summary>Element type of the factor's width pass.</summary>
    [Description("Element type of the width pass with widths = factor: bits64, or bits32 (rows and factor rounded to float32; widths to about 1e-6 relative, so arms may differ at near-ties; means stay float64).")]
    public CatalogPrecision Precision { get; init; } = CatalogPrecision.Bits64;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.Defined(Features, nameof(Features));
        Require.Defined(Widths, nameof(Widths));
        Require.Defined(Precision, nameof(Precision));
        if (Precision == CatalogPrecision.Bits32 && Widths != WidthMethod.Factor)
        {
            throw new OptionsException(nameof(Precision), "bits32 applies to the factor's width pass: set widths = factor as well.");
        }
    }
}

/// <summary>Options of disjoint LinUCB (one model per action).</summary>
public sealed record DisjointLinUcbOptions : LinearOptions
{
    /// <summary>Exploration weight alpha.</summary>
    [Description("Exploration weight alpha of theta_a^T x + alpha ||x||_{A_a^-1}.")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Features.</summary>
    [Description("Features of each action's linear model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.Defined(Features, nameof(Features));
    }
}

/// <summary>Options of hybrid LinUCB.</summary>
public sealed record HybridLinUcbOptions : LinearOptions
{
    /// <summary>Exploration weight alpha.</summary>
    [Description("Exploration weight alpha.")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Shared features z.</summary>
    [Description("Features z of the shared coefficients beta (Li et al. use user-outer-item).")]
    public FeatureMap SharedFeatures { get; init; } = FeatureMap.Item;

    /// <summary>Per-action features x.</summary>
    [Description("Features x of each action's own coefficients theta_a (Li et al. use user).")]
    public FeatureMap ArmFeatures { get; init; } = FeatureMap.Item;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Alpha, nameof(Alpha));
        Require.Defined(SharedFeatures, nameof(SharedFeatures));
        Require.Defined(ArmFeatures, nameof(ArmFeatures));
    }
}

/// <summary>Options of linear Thompson sampling.</summary>
public sealed record LinearThompsonOptions : LinearOptions
{
    /// <summary>Posterior scale v.</summary>
    [Description("Scale v of the posterior N(theta, v^2 A^-1); about the reward noise's standard deviation.")]
    public double Scale { get; init; } = 0.5;

    /// <summary>Features.</summary>
    [Description("Features of the linear model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <summary>One model per action instead of a shared one.</summary>
    [Description("One linear model per action (disjoint) instead of one shared model.")]
    public bool Disjoint { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Positive(Scale, nameof(Scale));
        Require.Defined(Features, nameof(Features));
    }
}

/// <summary>Options of GLM-UCB with a logistic link.</summary>
public sealed record GlmUcbOptions : LinearOptions
{
    /// <summary>Exploration weight.</summary>
    [Description("Exploration weight rho of sigmoid(theta^T x) + rho ||x||_{V^-1}.")]
    public double Beta { get; init; } = 0.5;

    /// <summary>Features.</summary>
    [Description("Features of the logistic model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <summary>How theta is fitted.</summary>
    [Description("How theta is fitted: online Newton (Laplace) steps, or gradient descent with the learning rate.")]
    public LogisticSolver Solver { get; init; } = LogisticSolver.OnlineNewton;

    /// <summary>Gradient-descent step size.</summary>
    [Description("Step size of the gradient-descent solver.")]
    public double LearningRate { get; init; } = 0.01;

    /// <summary>One model per user.</summary>
    [Description("One model theta_u per user (the two-stage paper's GLM-UCB) instead of one shared model.")]
    public bool PerUser { get; init; }

    /// <summary>
    /// How theta is fitted. <see cref="GlmFit.Online"/> (default): the <see cref="Solver"/>'s step on every shown item.
    /// <see cref="GlmFit.AsCoded"/>: CB4Rec algorithms/linucb.py @67f4029 GLMUCB (<see cref="RefitLogisticModel"/>): per user
    /// sigmoid(w_u . x + b_u) + beta ||x||_{A_u^-1}, refitted after every round but the first by a fresh Adam
    /// (<see cref="LearningRate"/>, CB4Rec 0.01) over <see cref="Epochs"/> full-batch epochs; needs <see cref="PerUser"/>
    /// and item features; the initial histories of the build context seed A_u (<see cref="History"/>).
    /// </summary>
    [Description("How theta is fitted: online (the solver's steps on every shown item) or as-coded (CB4Rec GLMUCB: per-user logistic model refitted each round by a fresh Adam over a buffer of logged rounds).")]
    public GlmFit Fit { get; init; } = GlmFit.Online;

    /// <summary>Full-batch Adam epochs per refit of the as-coded fit.</summary>
    [Description("As-coded fit: full-batch Adam epochs per refit (CB4Rec GLMUCB 5; NeuralGLMUCB takes 1 step).")]
    public int Epochs { get; init; } = 5;

    /// <summary>Which rounds an as-coded refit sees.</summary>
    [Description("As-coded fit: as-coded (CB4Rec linucb.py: one list of all rounds, consumed by each refit with Python's remove-while-iterating skip) or per-user (the user's rounds with a click, kept).")]
    public RefitBuffer Buffer { get; init; } = RefitBuffer.AsCoded;

    /// <summary>Where the as-coded fit puts a user's initial history.</summary>
    [Description("As-coded fit: the initial history seeds the design matrix (design-matrix, CB4Rec GLMUCB), enters the buffer as positives (buffer, CB4Rec NeuralGLMUCB), or is unused (none).")]
    public HistorySeed History { get; init; } = HistorySeed.DesignMatrix;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.NonNegative(Beta, nameof(Beta));
        Require.Defined(Features, nameof(Features));
        Require.Defined(Solver, nameof(Solver));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.Defined(Fit, nameof(Fit));
        Require.AtLeast(Epochs, 1, nameof(Epochs));
        Require.Defined(Buffer, nameof(Buffer));
        Require.Defined(History, nameof(History));
        if (Fit == GlmFit.AsCoded && !PerUser)
        {
            throw new OptionsException(Names.Kebab(nameof(PerUser)), "the as-coded fit (CB4Rec GLMUCB) keeps one model per user: set per-user to true.");
        }
        if (Fit == GlmFit.AsCoded && Features != FeatureMap.Item)
        {
            throw new OptionsException(Names.Kebab(nameof(Features)), "the as-coded fit (CB4Rec GLMUCB) reads item features only: set features to item.");
        }
    }
}

/// <summary>Options of logistic Thompson sampling.</summary>
public sealed record LogisticThompsonOptions : LinearOptions
{
    /// <summary>Features.</summary>
    [Description("Features of the logistic model.")]
    public FeatureMap Features { get; init; } = FeatureMap.Item;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Defined(Features, nameof(Features));
    }
}

/// <summary>Options of S-N-GALM-UCB.</summary>
public sealed record AdditiveOptions : PolicyOptions
{
    /// <summary>Exploration weight.</summary>
    [Description("Exploration weight beta (the paper's 0.1).")]
    public double Beta { get; init; } = 0.1;

    /// <summary>Item-versus-user weight.</summary>
    [Description("gamma: weight of the item term against the user term.")]
    public double Gamma { get; init; } = 0.5;

    /// <summary>Gradient step size.</summary>
    [Description("Learning rate of the gradient steps on the logistic loss (the paper's 0.01).")]
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Rank-one updates between re-factorisations.</summary>
    [Description("Rank-one updates between Cholesky re-factorisations of A_x and A_z.")]
    public int RefactorEvery { get; init; } = 1000;

    /// <summary>
    /// Which model. <see cref="GlmFit.Online"/> (default, the paper's text, <see cref="AdditiveModel"/>):
    /// rho(gamma x^T theta_x + (1 - gamma) theta_z^T z) + beta (gamma ||x||_{A_x^-1} + (1 - gamma) ||z||_{A_z^-1}), one
    /// gradient step per shown item of a round with a click. <see cref="GlmFit.AsCoded"/> (CB4Rec algorithms/neural_linear.py
    /// @67f4029 NeuralGLMAddUCB, <see cref="RefitAdditiveModel"/>): sigmoid(w_x . x + b_x + w_z . z + b_z) + beta ||x||_{A^-1}
    /// (no gamma, no user width), refitted after every round but the first by a fresh Adam (<see cref="LearningRate"/>) over
    /// <see cref="Epochs"/> full-batch epochs on a buffer the neural policy resets at each retrain.
    /// </summary>
    [Description("Which model: online (the paper's text: gamma-weighted logit and widths, one step per shown item) or as-coded (CB4Rec NeuralGLMAddUCB: sigmoid(w_x.x + b_x + w_z.z + b_z) + beta ||x||_{A^-1}, refitted each round by a fresh Adam over a buffer; gamma unused).")]
    public GlmFit Fit { get; init; } = GlmFit.Online;

    /// <summary>Full-batch Adam epochs per refit of the as-coded model.</summary>
    [Description("As-coded model: full-batch Adam epochs per refit (CB4Rec 5).")]
    public int Epochs { get; init; } = 5;

    /// <summary>Element type of the model's scoring copy of the catalogue.</summary>
    [Description("Element type of the model's copy of the catalogue it scores: bits64 (float64, default) or bits32 (float32: half the bytes per round; scores and widths to about 1e-6 relative, so near-ties may break differently).")]
    public CatalogPrecision CatalogPrecision { get; init; } = CatalogPrecision.Bits64;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Defined(CatalogPrecision, nameof(CatalogPrecision));
        Require.NonNegative(Beta, nameof(Beta));
        Require.InRange(Gamma, 0, 1, nameof(Gamma));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.AtLeast(RefactorEvery, 1, nameof(RefactorEvery));
        Require.Defined(Fit, nameof(Fit));
        Require.AtLeast(Epochs, 1, nameof(Epochs));
    }
}

/// <summary>Options of S-N-GBLM-UCB.</summary>
public sealed record BilinearOptions : PolicyOptions
{
    /// <summary>Exploration weight.</summary>
    [Description("Exploration weight beta (the paper's 0.1).")]
    public double Beta { get; init; } = 0.1;

    /// <summary>Gradient step size.</summary>
    [Description("Learning rate of the gradient steps on the logistic loss (the paper's 0.001 for the bilinear model).")]
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Rank-one updates between re-factorisations.</summary>
    [Description("Rank-one updates between Cholesky re-factorisations of W (d1 d2 x d1 d2, so O((d1 d2)^3) each); the default never re-factorises.")]
    public int RefactorEvery { get; init; } = int.MaxValue;

    /// <summary>
    /// Which model. <see cref="GlmFit.Online"/> (default, the paper's text, <see cref="BilinearModel"/>): rho(x^T Theta z) +
    /// beta ||vec(x z^T)||_{W^-1}, one gradient step per shown item of a round with a click. <see cref="GlmFit.AsCoded"/>
    /// (CB4Rec algorithms/neural_bilinear.py @67f4029 NeuralGBiLinUCB, <see cref="RefitBilinearModel"/>):
    /// sigmoid(x^T Theta z + b) + beta ||vec(x z^T)||_{W^-1}, refitted after every round but the first by a fresh Adam
    /// (<see cref="LearningRate"/>, CB4Rec 1e-3) over <see cref="Epochs"/> full-batch epochs on a buffer the neural policy
    /// resets at each retrain.
    /// </summary>
    [Description("Which model: online (the paper's text: one step per shown item) or as-coded (CB4Rec NeuralGBiLinUCB: nn.Bilinear with bias refitted each round by a fresh Adam over a buffer).")]
    public GlmFit Fit { get; init; } = GlmFit.Online;

    /// <summary>Full-batch Adam epochs per refit of the as-coded model.</summary>
    [Description("As-coded model: full-batch Adam epochs per refit (CB4Rec 5).")]
    public int Epochs { get; init; } = 5;

    /// <summary>Element type of the model's scoring copy of the catalogue and of its inverse design matrix W^-1.</summary>
    [Description("Element type of the model's copy of the catalogue it scores and of its inverse design matrix: bits64 (float64, default) or bits32 (float32: half the bytes per round, W^-1 kept in float32 only; scores and widths to about 1e-6 relative, so near-ties may break differently).")]
    public CatalogPrecision CatalogPrecision { get; init; } = CatalogPrecision.Bits64;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Defined(CatalogPrecision, nameof(CatalogPrecision));
        Require.NonNegative(Beta, nameof(Beta));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.AtLeast(RefactorEvery, 1, nameof(RefactorEvery));
        Require.Defined(Fit, nameof(Fit));
        Require.AtLeast(Epochs, 1, nameof(Epochs));
    }
}
