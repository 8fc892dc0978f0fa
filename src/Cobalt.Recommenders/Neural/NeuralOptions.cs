using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;

namespace Cobalt.Recommenders.Neural;

/// <summary>The bandit on top of the NRMS representations (Table 3 of the two-stage paper).</summary>
public enum NeuralModel
{
    /// <summary>N-GLM-UCB: per-user GLM-UCB over the neural item vectors.</summary>
    GlmUcb,

    /// <summary>N-Greedy: the two-tower prediction rho(z_u^T x_i), no exploration.</summary>
    Greedy,

    /// <summary>N-Dropout-UCB: mean + beta std of Monte-Carlo dropout scores (one-stage only).</summary>
    DropoutUcb,

    /// <summary>S-N-GALM-UCB over the neural item and user vectors.</summary>
    Galm,

    /// <summary>S-N-GBLM-UCB over the neural item and user vectors.</summary>
    Gblm,
}

/// <summary>How the two-stage neural policy represents topics (stage one).</summary>
public enum TopicRepresentation
{
    /// <summary>
    /// The two-stage paper's NRMS topic model (section 4): topic vector y_v = MLP(mean of the word embeddings of the topic's name),
    /// user-topic vector from NRMS's user encoder over the topics of the user's clicked items, trained on the clicks mapped to
    /// topics and retrained every <see cref="NeuralOptions.TopicRetrainEvery"/> rounds.
    /// </summary>
    Encoder,

    /// <summary>The mean of the topic's item vectors, with the item model's user vector (no topic model; the earlier behaviour, kept for comparison).</summary>
    ItemMean,
}

/// <summary>Options of the neural policies: NRMS representations (pre-trained on known samples, retrained as clicks arrive) under a bandit.</summary>
public sealed record NeuralOptions : PolicyOptions
{
    /// <summary>The bandit on the representations.</summary>
    [Description("Bandit on the representations: glm-ucb (N-GLM-UCB), greedy (N-Greedy), dropout-ucb (N-Dropout-UCB), galm or gblm (S-N-GALM/GBLM-UCB).")]
    public NeuralModel Model { get; init; } = NeuralModel.Galm;

    /// <summary>Two-stage (topics first) instead of one-stage.</summary>
    [Description("Two-stage topic -> item recommender over the representations (topics from topic-representation); not for dropout-ucb.")]
    public bool TwoStage { get; init; }

    /// <summary>Exploration weight.</summary>
    [Description("Exploration weight beta.")]
    public double Beta { get; init; } = 0.1;

    /// <summary>GALM's gamma.</summary>
    [Description("gamma of S-N-GALM-UCB.")]
    public double Gamma { get; init; } = 0.5;

    /// <summary>b of a two-stage budget.</summary>
    [Description("Two-stage: scores per slate position (B = b m); 0: no budget. One-stage budgets use candidate-budget.")]
    public int BudgetPerSlot { get; init; }

    /// <summary>Rounds between retrainings.</summary>
    [Description("Rounds between retrainings of NRMS on the known samples and the clicks gathered so far (the paper: 100 for items).")]
    public int RetrainEvery { get; init; } = 100;

    /// <summary>Two-stage: where the topic vectors come from.</summary>
    [Description("Two-stage topic vectors: encoder (the paper's NRMS topic model: topic name -> word embeddings -> MLP, user vector from the user's clicked topics, retrained every topic-retrain-every rounds) or item-mean (mean of the topic's item vectors with the item model's user vector, the earlier behaviour).")]
    public TopicRepresentation TopicRepresentation { get; init; } = TopicRepresentation.Encoder;

    /// <summary>Two-stage with the topic encoder: rounds between retrainings of the topic model.</summary>
    [Description("Two-stage with topic-representation encoder: rounds between retrainings of the NRMS topic model (the paper: 50; items use retrain-every, 100).")]
    public int TopicRetrainEvery { get; init; } = 50;

    /// <summary>Two-stage with the topic encoder: the name of each topic id (index = id); empty: the catalogue's names, else one word per topic.</summary>
    [Description("Two-stage with topic-representation encoder: the name of each topic id (index = id) that the topic encoder reads; empty: the catalogue's topic names (the genres or categories of the user-choice world), else topic t is the single word topic_t (a learned vector per topic).")]
    public IReadOnlyList<string> TopicNames { get; init; } = [];

    /// <summary>Pre-training epochs on the known samples.</summary>
    [Description("Epochs of pre-training on the world's known samples.")]
    public int PretrainEpochs { get; init; } = 1;

    /// <summary>Most samples per (re)training.</summary>
    [Description("Most training samples per (re)training (the latest), to bound its cost.")]
    public int MaxTrainingSamples { get; init; } = 2000;

    /// <summary>Word embedding size.</summary>
    [Description("NRMS word-embedding size (NRMS uses 300; smaller is faster).")]
    public int WordDimension { get; init; } = 64;

    /// <summary>Monte-Carlo dropout passes.</summary>
    [Description("Forward passes of N-Dropout-UCB (the paper's 5).")]
    public int DropoutPasses { get; init; } = 5;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Defined(Model, nameof(Model));
        if (TwoStage && Model == NeuralModel.DropoutUcb)
        {
            throw new OptionsException(Names.Kebab(nameof(TwoStage)), "N-Dropout-UCB runs one-stage only.");
        }
        if (TwoStage && CandidateBudget > 0)
        {
            throw new OptionsException(Names.Kebab(nameof(CandidateBudget)), "a two-stage recommender spends its budget through budget-per-slot.");
        }
        Require.NonNegative(Beta, nameof(Beta));
        Require.InRange(Gamma, 0, 1, nameof(Gamma));
        Require.AtLeast(BudgetPerSlot, 0, nameof(BudgetPerSlot));
        Require.AtLeast(RetrainEvery, 1, nameof(RetrainEvery));
        Require.Defined(TopicRepresentation, nameof(TopicRepresentation));
        Require.AtLeast(TopicRetrainEvery, 1, nameof(TopicRetrainEvery));
        if (TopicNames is null)
        {
            throw new OptionsException(Names.Kebab(nameof(TopicNames)), "is missing (use an empty list).");
        }
        for (var i = 0; i < TopicNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(TopicNames[i]))
            {
                throw new OptionsException($"{Names.Kebab(nameof(TopicNames))}[{i}]", "is empty; every topic needs a name for the topic encoder.");
            }
        }
        Require.AtLeast(PretrainEpochs, 0, nameof(PretrainEpochs));
        Require.AtLeast(MaxTrainingSamples, 1, nameof(MaxTrainingSamples));
        Require.AtLeast(WordDimension, 4, nameof(WordDimension));
        Require.AtLeast(DropoutPasses, 2, nameof(DropoutPasses));
    }
}
