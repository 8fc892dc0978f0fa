using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.RecoGym.Agents;

/// <summary>Options every agent has.</summary>
public abstract record AgentOptions : IValidatable
{
    /// <summary>Keep learning from the users of the A/B test (organic views, recommendations and clicks).</summary>
    [Description("Keep learning during the A/B test.")]
    public bool Online { get; init; } = true;

    /// <inheritdoc />
    public virtual void Validate()
    {
    }

    /// <summary>Value models take counts or binary features only.</summary>
    protected static void RequireSparse(ViewEncoding encoding, string field)
    {
        Require.Defined(encoding, field);
        if (encoding == ViewEncoding.Binned)
        {
            throw new OptionsException(Names.Kebab(field), "binned features are for naive Bayes only; use counts or binary.");
        }
    }
}

/// <summary>Uniformly random recommendations.</summary>
public sealed record RandomAgentOptions : AgentOptions;

/// <summary>The oracle: knows the user's click probabilities (a reference, not an agent one could build).</summary>
public sealed record OracleAgentOptions : AgentOptions;

/// <summary>Options of the most popular organic product.</summary>
public sealed record PopularityAgentOptions : AgentOptions;

/// <summary>Options of the logging policy ("organic user count").</summary>
public sealed record LoggingPolicyOptions : AgentOptions
{
    /// <summary>Mixture weight of the uniform distribution: p(a) = (1 - epsilon) x_a / sum x + epsilon / P.</summary>
    [Description("Weight of a uniform mixture: p(a) = (1 - epsilon) x_a / sum(x) + epsilon / P.")]
    public double Epsilon { get; init; }

    /// <inheritdoc />
    public override void Validate() => Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
}

/// <summary>Options of the competition's logging policy: OrganicUserCount with epsilon (upstream <c>competition.py</c>: 0.05).</summary>
public sealed record LoggingOptions : AgentOptions
{
    /// <summary>Probability of exploring uniformly over the products the user has not viewed.</summary>
    [Description("Probability of exploring uniformly over the products the user has not viewed.")]
    public double Epsilon { get; init; } = 0.05;

    /// <summary>The equivalent OrganicUserCount options.</summary>
    public OrganicUserCountOptions AsOrganicUserCount() => new() { Epsilon = Epsilon, SelectRandomly = true, Online = Online };

    /// <inheritdoc />
    public override void Validate() => Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
}

/// <summary>Options of bandit count per last-viewed product.</summary>
public sealed record BanditCountOptions : AgentOptions
{
    /// <summary>Prior clicks (Beta alpha).</summary>
    [Description("Beta prior alpha (pseudo-clicks).")]
    public double PriorAlpha { get; init; } = 1.0;

    /// <summary>Prior non-clicks (Beta beta).</summary>
    [Description("Beta prior beta (pseudo-non-clicks).")]
    public double PriorBeta { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.Positive(PriorAlpha, nameof(PriorAlpha));
        Require.Positive(PriorBeta, nameof(PriorBeta));
    }
}

/// <summary>Options of item-item kNN on organic co-views.</summary>
public sealed record ItemKnnOptions : AgentOptions
{
    /// <summary>Neighbours kept per product (the product itself included, with similarity 1).</summary>
    [Description("Neighbours kept per product (itself included).")]
    public int Neighbours { get; init; } = 10;

    /// <summary>Recompute the similarities every this many test users when learning online.</summary>
    [Description("Recompute similarities every this many test users (online).")]
    public int RefreshEvery { get; init; } = 500;

    /// <summary>User features.</summary>
    [Description("User features: counts (or frequency, the same ranking) or binary.")]
    public ViewEncoding Features { get; init; } = ViewEncoding.Counts;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.AtLeast(Neighbours, 1, nameof(Neighbours));
        Require.AtLeast(RefreshEvery, 1, nameof(RefreshEvery));
        RequireSparse(Features, nameof(Features));
    }
}

/// <summary>Options of user kNN with neighbours' bandit feedback.</summary>
public sealed record UserKnnOptions : AgentOptions
{
    /// <summary>Number of nearest users (cosine of organic view counts).</summary>
    [Description("Number of nearest users (cosine of organic views).")]
    public int Neighbours { get; init; } = 50;

    /// <summary>Pseudo-shows m of the prior: score = (sum s c_a + m c0) / (sum s n_a + m), c0 the pooled CTR.</summary>
    [Description("Pseudo-shows of the prior toward the pooled CTR.")]
    public double PriorStrength { get; init; } = 100.0;

    /// <summary>Weight of the current user's own feedback (as a neighbour of similarity 1 when 1).</summary>
    [Description("Weight of the current user's own clicks and shows.")]
    public double SelfWeight { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.AtLeast(Neighbours, 1, nameof(Neighbours));
        Require.Positive(PriorStrength, nameof(PriorStrength));
        Require.NonNegative(SelfWeight, nameof(SelfWeight));
    }
}

/// <summary>How an agent built on the Kronecker logistic model chooses.</summary>
public enum LogisticDecision
{
    /// <summary>The largest estimated click probability.</summary>
    Greedy,

    /// <summary>Greedy, or uniformly random with probability epsilon.</summary>
    EpsilonGreedy,

    /// <summary>The largest click probability under a draw from the Laplace posterior.</summary>
    Thompson,
}

/// <summary>Options of the agents built on logistic regression over x (x) a features.</summary>
public sealed record LogisticAgentOptions : AgentOptions
{
    /// <summary>User features (default: the share of each product in the user's views).</summary>
    [Description("User features: counts, binary or frequency.")]
    public ViewEncoding Features { get; init; } = ViewEncoding.Frequency;

    /// <summary>Add a per-action bias (x extended by a constant 1).</summary>
    [Description("Add a per-action bias.")]
    public bool Bias { get; init; } = true;

    /// <summary>Prior precision lambda of the weights, N(0, lambda^-1 I).</summary>
    [Description("Prior precision lambda of the weights.")]
    public double PriorPrecision { get; init; } = 1.0;

    /// <summary>Greedy, epsilon-greedy or Thompson sampling.</summary>
    [Description("greedy, epsilon-greedy or thompson.")]
    public LogisticDecision Decision { get; init; } = LogisticDecision.Greedy;

    /// <summary>Exploration probability of epsilon-greedy.</summary>
    [Description("Exploration probability (epsilon-greedy).")]
    public double Epsilon { get; init; } = 0.05;

    /// <summary>Multiplies the posterior standard deviation of Thompson draws (Chapelle and Li 2011 also shrink the posterior; 0.25 by default).</summary>
    [Description("Scale of the posterior standard deviation (Thompson).")]
    public double PosteriorScale { get; init; } = 0.25;

    /// <inheritdoc />
    public override void Validate()
    {
        RequireSparse(Features, nameof(Features));
        Require.Positive(PriorPrecision, nameof(PriorPrecision));
        Require.Defined(Decision, nameof(Decision));
        Require.InRange(Epsilon, 0, 1, nameof(Epsilon));
        Require.Positive(PosteriorScale, nameof(PosteriorScale));
    }
}

/// <summary>Options of disjoint LinUCB (ridge regression per action = ridge on x (x) a).</summary>
public sealed record LinUcbAgentOptions : AgentOptions
{
    /// <summary>User features (default: the share of each product in the user's views).</summary>
    [Description("User features: counts, binary or frequency.")]
    public ViewEncoding Features { get; init; } = ViewEncoding.Frequency;

    /// <summary>Ridge lambda.</summary>
    [Description("Ridge lambda.")]
    public double Ridge { get; init; } = 1.0;

    /// <summary>Width multiplier alpha: theta_a . x + alpha sqrt(x^T A_a^-1 x).</summary>
    [Description("Width multiplier alpha.")]
    public double Alpha { get; init; } = 0.01;

    /// <inheritdoc />
    public override void Validate()
    {
        RequireSparse(Features, nameof(Features));
        Require.Positive(Ridge, nameof(Ridge));
        Require.NonNegative(Alpha, nameof(Alpha));
    }
}

/// <summary>What the naive Bayes agent maximises.</summary>
public enum NaiveBayesScore
{
    /// <summary>P(C = 1 | x (x) a), with the no-click class's likelihood (as sklearn's MultinomialNB.predict_proba the team used).</summary>
    Posterior,

    /// <summary>prod_i P((x (x) a)_i | C = 1), the write-up's formula (the click class only).</summary>
    ClickLikelihood,
}

/// <summary>Options of multinomial naive Bayes over x (x) a with an annealed pseudo-count.</summary>
public sealed record NaiveBayesOptions : AgentOptions
{
    /// <summary>User features.</summary>
    [Description("User features: counts, binary, frequency or binned.")]
    public ViewEncoding Features { get; init; } = ViewEncoding.Counts;

    /// <summary>The pseudo-count alpha_0 before any data.</summary>
    [Description("Pseudo-count alpha_0 before any data.")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>Annealing: alpha_n = alpha_0 h / (h + n) after n bandit events; 0 turns annealing off.</summary>
    [Description("Events h at which alpha has halved: alpha_n = alpha_0 h / (h + n); 0 = no annealing.")]
    public double AnnealHalfLife { get; init; } = 100_000;

    /// <summary>Which quantity is maximised.</summary>
    [Description("posterior (P(C=1|X), both classes) or click-likelihood (the write-up's formula).")]
    public NaiveBayesScore Score { get; init; } = NaiveBayesScore.Posterior;

    /// <inheritdoc />
    public override void Validate()
    {
        Require.Defined(Features, nameof(Features));
        Require.Positive(Alpha, nameof(Alpha));
        Require.NonNegative(AnnealHalfLife, nameof(AnnealHalfLife));
        Require.Defined(Score, nameof(Score));
    }
}

/// <summary>Options of the IPS-trained softmax policy.</summary>
public sealed record IpsSoftmaxOptions : AgentOptions
{
    /// <summary>User features.</summary>
    [Description("User features: counts, binary or frequency.")]
    public ViewEncoding Features { get; init; } = ViewEncoding.Binary;

    /// <summary>Importance weights 1/p are clipped at this value.</summary>
    [Description("Importance weights 1/p are clipped at this value.")]
    public double Clip { get; init; } = 10.0;

    /// <summary>Full-batch gradient-ascent epochs on the training log.</summary>
    [Description("Gradient-ascent epochs on the training log.")]
    public int Epochs { get; init; } = 200;

    /// <summary>Step size on the average over clicked rows.</summary>
    [Description("Step size of batch gradient ascent.")]
    public double LearningRate { get; init; } = 5.0;

    /// <summary>L2 penalty lambda/2 ||W||^2.</summary>
    [Description("L2 penalty on the weights.")]
    public double L2 { get; init; } = 1e-4;

    /// <summary>Step size of the online stochastic-gradient steps during the test.</summary>
    [Description("Step size of online steps (per clicked recommendation).")]
    public double OnlineLearningRate { get; init; } = 0.05;

    /// <summary>Recommend the most probable action instead of sampling from the policy.</summary>
    [Description("Act greedily on the policy instead of sampling from it.")]
    public bool Greedy { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        RequireSparse(Features, nameof(Features));
        if (!(Clip >= 1) || !double.IsFinite(Clip))
        {
            throw new OptionsException(Names.Kebab(nameof(Clip)), $"must be a finite number of at least 1 (got {Clip}).");
        }
        Require.AtLeast(Epochs, 0, nameof(Epochs));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.NonNegative(L2, nameof(L2));
        Require.NonNegative(OnlineLearningRate, nameof(OnlineLearningRate));
    }
}
