using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;

namespace Cobalt.Recommenders.TwoStage;

/// <summary>The model both stages of a "2-X" policy use (Table 3 of the two-stage paper).</summary>
public enum StageModel
{
    /// <summary>Uniformly random topics and items.</summary>
    Random,

    /// <summary>GLM-UCB with one logistic model per user over the stage's features.</summary>
    GlmUcb,

    /// <summary>S-N-GALM-UCB: shared additive model over item (or topic) and user features.</summary>
    Galm,

    /// <summary>S-N-GBLM-UCB: shared bilinear model over item (or topic) and user features.</summary>
    Gblm,

    /// <summary>The two-tower prediction rho(z^T x) without exploration (N-Greedy; needs user and item features of one dimension).</summary>
    TwoTower,
}

/// <summary>Options of the two-stage topic -> item recommender.</summary>
public sealed record TwoStageOptions : PolicyOptions
{
    /// <summary>The model of both stages.</summary>
    [Description("Model of both stages: random, glm-ucb (per user), galm (S-N-GALM-UCB), gblm (S-N-GBLM-UCB) or two-tower (N-Greedy).")]
    public StageModel Model { get; init; } = StageModel.Galm;

    /// <summary>Exploration weight.</summary>
    [Description("Exploration weight beta of both stages (the paper's 0.1).")]
    public double Beta { get; init; } = 0.1;

    /// <summary>GALM's item-versus-user weight.</summary>
    [Description("gamma of S-N-GALM-UCB.")]
    public double Gamma { get; init; } = 0.5;

    /// <summary>Gradient step size; 0 uses the model's default.</summary>
    [Description("Learning rate of the logistic gradient steps; 0 takes the paper's default for the model (0.01, or 0.001 for gblm).")]
    public double LearningRate { get; init; }

    /// <summary>Whether DynaTopicRec groups topics.</summary>
    [Description("Group topics with DynaTopicRec (true) or use only the top topic, padded with random items (the 'no dynamic topic' ablation).")]
    public bool DynamicTopics { get; init; } = true;

    /// <summary>p of DynaTopicRec.</summary>
    [Description("p: a topic group keeps growing while it holds at most p items; 0 uses the per-slot budget b, or the mean topic size without a budget.")]
    public int MinGroupSize { get; init; }

    /// <summary>b of the budget B = b m.</summary>
    [Description("b: acquisition scores per slate position; the round may compute B = b m scores (q topics, then items). 0: no budget.")]
    public int BudgetPerSlot { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (CandidateBudget != 0)
        {
            throw new OptionsException(Names.Kebab(nameof(CandidateBudget)), "a two-stage recommender spends its budget through budget-per-slot; leave candidate-budget at 0.");
        }
        Require.Defined(Model, nameof(Model));
        Require.NonNegative(Beta, nameof(Beta));
        Require.InRange(Gamma, 0, 1, nameof(Gamma));
        Require.NonNegative(LearningRate, nameof(LearningRate));
        Require.AtLeast(MinGroupSize, 0, nameof(MinGroupSize));
        Require.AtLeast(BudgetPerSlot, 0, nameof(BudgetPerSlot));
    }
}
