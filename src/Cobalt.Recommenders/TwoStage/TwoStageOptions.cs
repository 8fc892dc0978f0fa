using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.LinearAlgebra;
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

    /// <summary>
    /// 2-N-Dropout-UCB: mean + beta std of Monte-Carlo dropout scores in both stages (CB4Rec @67f4029 algorithms/neural_ucb.py
    /// Two_NeuralDropoutUCB); only the neural policy can supply its models (kind neural, model dropout-ucb, two-stage).
    /// </summary>
    DropoutUcb,
}

/// <summary>
/// Which reading of a rule the two-stage recommender follows where the paper's text and its authors' code (CB4Rec
/// @67f4029, from which the paper's numbers come) disagree.
/// </summary>
public enum TwoStageReading
{
    /// <summary>What CB4Rec's code does (the default: the paper's presets reproduce the code).</summary>
    AsCoded,

    /// <summary>What the paper's text (Algorithms 1 and 2, section 4) says.</summary>
    PaperText,
}

/// <summary>
/// Options of the two-stage topic -> item recommender. Where the paper and its code differ, each rule has its own
/// <see cref="TwoStageReading"/> (default <see cref="TwoStageReading.AsCoded"/>); <see cref="WithReading"/> sets them
/// all and <see cref="Variant"/> says which ran.
/// </summary>
public sealed record TwoStageOptions : PolicyOptions, IDescribesVariant
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
    [Description("Group topics with DynaTopicRec (true) or run the 'no dynamic topic' ablation of Figure 3 (false; see no-dynamic).")]
    public bool DynamicTopics { get; init; } = true;

    /// <summary>p of DynaTopicRec.</summary>
    [Description("p: DynaTopicRec's minimum group size (and the no-dynamic padding target as coded); 0 uses the per-slot budget b, or the mean topic size without a budget.")]
    public int MinGroupSize { get; init; }

    /// <summary>b of the budget B = b m.</summary>
    [Description("b: acquisition scores per slate position; the round may compute B = b m scores (q topics, then items). 0: no budget.")]
    public int BudgetPerSlot { get; init; }

    /// <summary>How DynaTopicRec builds groups.</summary>
    [Description("DynaTopicRec groups. as-coded (CB4Rec neural_greedy.py): a group grows while it holds fewer than p items and takes from the next topic only the shortfall, a uniform random subset (groups of exactly p, the top m topics whole); paper-text (Algorithm 2): whole topics while a group holds at most p items.")]
    public TwoStageReading Groups { get; init; } = TwoStageReading.AsCoded;

    /// <summary>How the B - q item scores are split between the groups.</summary>
    [Description("Item budget split. as-coded (CB4Rec neural_greedy.py): the B - q scores go to the groups in ascending order of size, each min(size, (scores left) / (groups left)), leftovers carried forward; paper-text: (B - q) / m per group.")]
    public TwoStageReading Budget { get; init; } = TwoStageReading.AsCoded;

    /// <summary>The "no dynamic topic" ablation (dynamic-topics false).</summary>
    [Description("No-dynamic ablation (dynamic-topics false). as-coded (CB4Rec neural_greedy.py): the m top topics, each padded to p with random items from outside them, one item from each; paper-text (Figure 3): the top topic only, padded with random catalogue items to the budget, all m items from it.")]
    public TwoStageReading NoDynamic { get; init; } = TwoStageReading.AsCoded;

    /// <summary>What the random model (2-Random) does.</summary>
    [Description("2-Random (model random). as-coded (CB4Rec uniform_random.py): m distinct uniformly random topics, one uniformly random item of each, no grouping or budget (exact propensities); paper-text: random topic scores through DynaTopicRec and the budget, a random item per group.")]
    public TwoStageReading RandomStages { get; init; } = TwoStageReading.AsCoded;

    /// <summary>Element type of the stage models' scoring copies of the catalogue (GALM and GBLM).</summary>
    [Description("Element type of the galm/gblm stage models' copy of the catalogue: bits64 (float64, default) or bits32 (float32: half the bytes per round, and gblm keeps its inverse design matrix in float32 only; near-ties may break differently).")]
    public CatalogPrecision CatalogPrecision { get; init; } = CatalogPrecision.Bits64;

    /// <summary>The order of the slate's positions.</summary>
    [Description("Slate order. as-coded (CB4Rec neural_greedy.py): groups in ascending order of size (ties in score order); paper-text: groups in topic-score order.")]
    public TwoStageReading SlotOrder { get; init; } = TwoStageReading.AsCoded;

    /// <summary>These options with every rule read as <paramref name="reading"/>.</summary>
    public TwoStageOptions WithReading(TwoStageReading reading) =>
        this with { Groups = reading, Budget = reading, NoDynamic = reading, RandomStages = reading, SlotOrder = reading };

    /// <summary>
    /// Which variant these options run, for reports: "as coded (CB4Rec ... @67f4029)", "paper text (...)", or the rules
    /// one by one where they are mixed. Only the rules that apply count (the budget split with a budget, the groups with
    /// dynamic topics, the no-dynamic padding without, nothing but 2-Random's rule for an as-coded 2-Random).
    /// </summary>
    public string Variant
    {
        get
        {
            if (Model == StageModel.Random && RandomStages == TwoStageReading.AsCoded)
            {
                return "as coded (CB4Rec uniform_random.py Two_Random @67f4029)";
            }
            var rules = new List<(string Name, TwoStageReading Reading)>();
            if (Model == StageModel.Random)
            {
                rules.Add(("2-random", RandomStages));
            }
            rules.Add(DynamicTopics ? ("groups", Groups) : ("no-dynamic", NoDynamic));
            if (BudgetPerSlot > 0)
            {
                rules.Add(("budget", Budget));
            }
            rules.Add(("slot order", SlotOrder));
            if (rules.TrueForAll(r => r.Reading == TwoStageReading.AsCoded))
            {
                return "as coded (CB4Rec neural_greedy.py Two_NeuralGreedy @67f4029)";
            }
            if (rules.TrueForAll(r => r.Reading == TwoStageReading.PaperText))
            {
                return DynamicTopics ? "paper text (Algorithm 2)" : "paper text (Algorithm 2, no-dynamic ablation of Figure 3)";
            }
            return "mixed: " + string.Join(", ", rules.Select(r => $"{r.Name} {(r.Reading == TwoStageReading.AsCoded ? "as coded" : "paper text")}"));
        }
    }

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
        Require.Defined(Groups, nameof(Groups));
        Require.Defined(Budget, nameof(Budget));
        Require.Defined(NoDynamic, nameof(NoDynamic));
        Require.Defined(RandomStages, nameof(RandomStages));
        Require.Defined(SlotOrder, nameof(SlotOrder));
        Require.Defined(CatalogPrecision, nameof(CatalogPrecision));
    }
}
