using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.Recommenders.Experts;

/// <summary>How the experts' pools are allocated.</summary>
public enum PoolGating
{
    /// <summary>A learned logistic gate: p_n(x, a) = softmax_n(u(x)_n + g_{a,n}) (the Mixture-of-Experts).</summary>
    Learned,

    /// <summary>A random pool allocation fixed at the start: p_n(x, a) = 1{a in A_n}, balanced disjoint pools (the paper's baseline).</summary>
    RandomPools,
}

/// <summary>Options of <see cref="MixtureOfExperts"/>.</summary>
public sealed record MixtureOfExpertsOptions : IValidatable
{
    /// <summary>Number of experts (nominators) N.</summary>
    [Description("Number of experts (nominators) N.")]
    public int Experts { get; init; } = 4;

    /// <summary>s, the context features each expert sees.</summary>
    [Description("s: each expert sees its own random subset of s of the d context features (plus an intercept).")]
    public int FeatureSubset { get; init; } = 4;

    /// <summary>d_e, the two-tower embedding size.</summary>
    [Description("d_e: size of the learned item embeddings and of the context tower's output.")]
    public int EmbeddingSize { get; init; } = 8;

    /// <summary>Learned gate or random pools.</summary>
    [Description("learned: logistic gate with logits = user embedding + item embedding; random-pools: a fixed random balanced allocation.")]
    public PoolGating Gating { get; init; } = PoolGating.Learned;

    /// <summary>Whether the gate's user embedding reads the context (false: item embedding only).</summary>
    [Description("The gate's user embedding is a learned linear map of all d context features; false gates on the item embedding alone.")]
    public bool GateUsesContext { get; init; } = true;

    /// <summary>sigma of the Gaussian likelihood; 0 takes the training rewards' standard deviation.</summary>
    [Description("sigma of the Gaussian experts (approximates the reward's standard deviation); 0 uses the training rewards' standard deviation.")]
    public double Sigma { get; init; }

    /// <summary>Adam step size.</summary>
    [Description("Adam's learning rate.")]
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Examples per gradient step, B.</summary>
    [Description("B: examples per stochastic gradient step (equation 8).")]
    public int BatchSize { get; init; } = 64;

    /// <summary>Gradient steps.</summary>
    [Description("Stochastic gradient steps (minibatches drawn from shuffled passes over the training set).")]
    public int Steps { get; init; } = 2000;

    /// <summary>Standard deviation of the initial item embeddings.</summary>
    [Description("Standard deviation of the initial item embeddings (the context towers start Glorot-uniform, the gate near 0).")]
    public double InitialScale { get; init; } = 0.1;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Experts, 1, nameof(Experts));
        Require.AtLeast(FeatureSubset, 0, nameof(FeatureSubset));
        Require.AtLeast(EmbeddingSize, 1, nameof(EmbeddingSize));
        Require.Defined(Gating, nameof(Gating));
        Require.NonNegative(Sigma, nameof(Sigma));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.AtLeast(BatchSize, 1, nameof(BatchSize));
        Require.AtLeast(Steps, 0, nameof(Steps));
        Require.NonNegative(InitialScale, nameof(InitialScale));
    }
}
