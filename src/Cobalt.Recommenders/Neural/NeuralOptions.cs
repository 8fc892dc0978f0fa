using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Neural.Nrms;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;

namespace Cobalt.Recommenders.Neural;

/// <summary>The bandit on top of the NRMS representations (Table 3 of the two-stage paper).</summary>
public enum NeuralModel
{
    /// <summary>N-GLM-UCB: per-user GLM-UCB over the neural item vectors.</summary>
    GlmUcb,

    /// <summary>N-Greedy: the two-tower prediction rho(z_u^T x_i), no exploration.</summary>
    Greedy,

    /// <summary>N-Dropout-UCB: mean + beta std of Monte-Carlo dropout scores (two-stage: in both stages, with the as-coded topic model).</summary>
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

    /// <summary>
    /// The authors' topic model as coded (CB4Rec @67f4029 algorithms/nrms_model.py NRMS_Topic_Model, <see cref="TopicNrmsModel"/>):
    /// a learned vector per topic with dropout 0.5 kept on, then an MLP, y_v of width 64; the user-topic vector from the title NRMS
    /// over the user's clicked items reduced 400 → 64; pre-trained per trial on the logged impressions mapped to topics (BCE, one
    /// negative topic, the best validation-AUC epoch; preprocess.py pretrain_cb_learner with pretrain_topic) and never updated
    /// online (neural_greedy.py train(mode='topic') steps the item model's optimiser, which holds none of the topic model's
    /// parameters). 2-N-Greedy draws the topic vectors' dropout afresh every round (topic_rec calls get_topic_embeddings_byindex),
    /// the 2-S-N-GALM/GBLM-UCB policies once per trial (proposed.py _get_topic_embs caches them).
    /// </summary>
    AsCoded,
}

/// <summary>
/// How the neural policies build, pre-train and retrain NRMS: as the two-stage paper's authors coded it (CB4Rec @67f4029) or
/// as Cobalt did before (kept for comparison).
/// </summary>
public enum NeuralProtocol
{
    /// <summary>
    /// The authors' code (CB4Rec @67f4029): NRMS with 20 heads x 20 dims projected to 64 (algorithms/nrms_model.py NRMS_Model,
    /// configs/params.py num_attention_heads, attention_dim, news_dim), word embeddings from GloVe (trainable), batch 64, Adam lr
    /// 1e-4, no gradient clipping; pre-trained once per trial on the world's pre-training impressions (softmax over 1 + 4, 5
    /// epochs), keeping the epoch with the best validation AUC (preprocess.py pretrain_cb_learner); trial users start from their
    /// logged history (core/contextual_bandit.py set_clicked_history) and clicks are appended without duplicates
    /// (update_clicked_history); every 100 rounds one epoch with a fresh Adam over the rounds since the last retraining, each
    /// click a positive against the unclicked items of its slate (neural_greedy.py construct_trainable_samples, train,
    /// reset_buffer); N-Dropout-UCB scores against 5 dropout-on encodings of the catalogue made at each retraining
    /// (neural_greedy.py _get_news_embs with n_inference 5, neural_ucb.py item_rec).
    /// </summary>
    AsCoded,

    /// <summary>
    /// Cobalt's earlier choices: NRMS 16 x 4 = 64 with random word embeddings of <see cref="NeuralOptions.WordDimension"/>,
    /// pre-trained on the world's known interactions (random negatives, the latest <see cref="NeuralOptions.MaxTrainingSamples"/>,
    /// 1 epoch), empty starting histories, retraining on every click so far with random negatives, MC dropout re-encoding the
    /// candidates each round.
    /// </summary>
    Earlier,
}

/// <summary>Which history a retraining sample of the as-coded protocol reads.</summary>
public enum RetrainHistory
{
    /// <summary>
    /// The user's history at retraining time, as coded: CB4Rec's data buffer stores a reference to the user's history list,
    /// which later clicks (the sample's own positive included) extend in place (core/contextual_bandit.py update_data_buffer).
    /// </summary>
    Live,

    /// <summary>The history before the round's clicks (what the buffer evidently meant to store).</summary>
    AtRound,
}

/// <summary>Options of the neural policies: NRMS representations (pre-trained on known samples, retrained as clicks arrive) under a bandit.</summary>
/// <remarks>
/// With <see cref="Protocol"/> <see cref="NeuralProtocol.AsCoded"/> (the default) the NRMS settings are
/// <see cref="AsCodedNrms"/> unless <see cref="Nrms"/> overrides them; the shipped word vectors are GloVe 6B 100-d
/// (data/glove-100d), where the authors used GloVe-300.
/// </remarks>
public sealed record NeuralOptions : PolicyOptions, IDescribesVariant
{
    /// <summary>The shipped GloVe 6B 100-d subset covering the MovieLens titles (repository-relative).</summary>
    public const string ShippedWordVectors = "data/glove-100d/movielens-latest-small.100d.txt";

    /// <summary>Authors' code or Cobalt's earlier choices.</summary>
    [Description("as-coded (the authors' CB4Rec settings: NRMS 20x20->64 from GloVe, per-trial pre-training on the world's impressions with the best validation-AUC epoch, logged starting histories, retraining on the rounds since the last retraining) or earlier (Cobalt's previous choices).")]
    public NeuralProtocol Protocol { get; init; } = NeuralProtocol.AsCoded;

    /// <summary>NRMS settings; null: the protocol's (<see cref="AsCodedNrms"/>, or 16 x 4 heads over <see cref="WordDimension"/>-wide random words).</summary>
    [Description("NRMS settings; absent: the protocol's (as-coded: 20 heads x 20 dims projected to 64, batch 64, Adam 1e-4, no clipping, titles of 30 tokens; earlier: 16 x 4 heads over word-dimension).")]
    public NrmsOptions? Nrms { get; init; }

    /// <summary>GloVe text file the word embeddings start from; null: the protocol's (as-coded: <see cref="ShippedWordVectors"/>; earlier: none); empty: none.</summary>
    [Description("GloVe text file the word embeddings start from (relative paths are looked up from the working directory and above); absent: as-coded uses the shipped data/glove-100d/movielens-latest-small.100d.txt (100-d; the authors used GloVe-300), earlier none; empty: random words.")]
    public string? WordVectors { get; init; }

    /// <summary>Which history the as-coded retraining samples read.</summary>
    [Description("As-coded retraining samples read the user's history at retraining time (live, as coded: it includes the sample's own click) or before the round (at-round).")]
    public RetrainHistory RetrainHistory { get; init; } = RetrainHistory.Live;

    /// <summary>How the one-stage GLM parts are fitted; null: the protocol's (as-coded: <see cref="GlmFit.AsCoded"/>, earlier: online).</summary>
    [Description("Fit of the one-stage GLM parts (glm-ucb, galm, gblm): as-coded (CB4Rec: Adam refits over a buffer reset at each NRMS retraining; N-GLM-UCB's history enters the buffer as positives) or online; absent: as-coded under the as-coded protocol, online under earlier.")]
    public GlmFit? Fit { get; init; }

    /// <summary>Pre-train once per trial for all neural policies (process-wide cache keyed by the observed log's content, NRMS settings and word vectors).</summary>
    [Description("As-coded: pre-train once per trial and share the checkpoint among the trial's neural policies (the authors load one checkpoint per trial); false pre-trains per policy (same result, more time).")]
    public bool SharePretraining { get; init; } = true;

    /// <summary>The bandit on the representations.</summary>
    [Description("Bandit on the representations: glm-ucb (N-GLM-UCB), greedy (N-Greedy), dropout-ucb (N-Dropout-UCB), galm or gblm (S-N-GALM/GBLM-UCB).")]
    public NeuralModel Model { get; init; } = NeuralModel.Galm;

    /// <summary>Two-stage (topics first) instead of one-stage.</summary>
    [Description("Two-stage topic -> item recommender over the representations (topics from topic-representation; dropout-ucb needs topic-representation as-coded).")]
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

    /// <summary>Two-stage: dynamic topic groups (DynaTopicRec); false is the paper's "no dynamic topic" ablation (Figure 3).</summary>
    [Description("Two-stage: DynaTopicRec's dynamic topic groups; false: the no-dynamic-topic ablation of Figure 3.")]
    public bool DynamicTopics { get; init; } = true;

    /// <summary>Two-stage: the minimum group size p; 0 is the per-slot budget (or # items / # topics without one).</summary>
    [Description("Two-stage: DynaTopicRec's minimum group size p; 0: the per-slot budget, or # items / # topics without a budget.")]
    public int MinGroupSize { get; init; }

    /// <inheritdoc />
    public string Variant => (Protocol == NeuralProtocol.AsCoded
        ? "neural policies as coded (CB4Rec @67f4029: NRMS 20x20->64 from GloVe 100-d, per-trial pre-training on the logged impressions, logged starting histories, retraining every 100 rounds on the rounds since; GLM parts refitted by Adam)"
        : "neural policies with Cobalt's earlier protocol")
        + (TwoStage ? $"; topics: {Names.Kebab(EffectiveTopicRepresentation.ToString())} topic model" : string.Empty);

    /// <summary>Rounds between retrainings.</summary>
    [Description("Rounds between retrainings of NRMS on the known samples and the clicks gathered so far (the paper: 100 for items).")]
    public int RetrainEvery { get; init; } = 100;

    /// <summary>Two-stage: where the topic vectors come from; null: the protocol's (as-coded: <see cref="TopicRepresentation.AsCoded"/>, earlier: <see cref="TopicRepresentation.Encoder"/>).</summary>
    [Description("Two-stage topic vectors: as-coded (the authors' topic model: a learned vector per topic with dropout 0.5 kept on and an MLP, the user vector from the title NRMS over the clicked items reduced to 64, pre-trained per trial with BCE and one negative topic, not updated online), encoder (the paper text's NRMS topic model: topic name -> word embeddings -> MLP, user vector from the user's clicked topics, retrained every topic-retrain-every rounds) or item-mean (mean of the topic's item vectors with the item model's user vector); absent: as-coded under the as-coded protocol, encoder under earlier.")]
    public TopicRepresentation? TopicRepresentation { get; init; }

    /// <summary>The topic representation this protocol uses.</summary>
    public TopicRepresentation EffectiveTopicRepresentation => TopicRepresentation
        ?? (Protocol == NeuralProtocol.AsCoded ? Neural.TopicRepresentation.AsCoded : Neural.TopicRepresentation.Encoder);

    /// <summary>Two-stage with the topic encoder: rounds between retrainings of the topic model.</summary>
    [Description("Two-stage with topic-representation encoder: rounds between retrainings of the NRMS topic model (the paper: 50; items use retrain-every, 100).")]
    public int TopicRetrainEvery { get; init; } = 50;

    /// <summary>Two-stage with the topic encoder: the name of each topic id (index = id); empty: the catalogue's names, else one word per topic.</summary>
    [Description("Two-stage with topic-representation encoder: the name of each topic id (index = id) that the topic encoder reads; empty: the catalogue's topic names (the genres or categories of the user-choice world), else topic t is the single word topic_t (a learned vector per topic).")]
    public IReadOnlyList<string> TopicNames { get; init; } = [];

    /// <summary>Pre-training epochs; null: the protocol's (as-coded 5, keeping the best validation-AUC epoch; earlier 1).</summary>
    [Description("Epochs of pre-training; absent: as-coded 5 (the epoch with the best validation AUC is kept), earlier 1.")]
    public int? PretrainEpochs { get; init; }

    /// <summary>Most samples per (re)training.</summary>
    [Description("Earlier protocol: most training samples per (re)training (the latest), to bound its cost.")]
    public int MaxTrainingSamples { get; init; } = 2000;

    /// <summary>Word embedding size.</summary>
    [Description("Word-embedding size when no word vectors are read (earlier protocol, or as-coded with word-vectors empty); with a vectors file its width is used.")]
    public int WordDimension { get; init; } = 64;

    /// <summary>Monte-Carlo dropout passes.</summary>
    [Description("Forward passes of N-Dropout-UCB (the paper's 5).")]
    public int DropoutPasses { get; init; } = 5;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require.Defined(Model, nameof(Model));
        if (TwoStage && Model == NeuralModel.DropoutUcb && EffectiveTopicRepresentation != Neural.TopicRepresentation.AsCoded)
        {
            throw new OptionsException(Names.Kebab(nameof(TopicRepresentation)), "2-N-Dropout-UCB needs the authors' topic model (topic-representation as-coded), whose dropout gives the topic stage its uncertainty.");
        }
        if (TwoStage && CandidateBudget > 0)
        {
            throw new OptionsException(Names.Kebab(nameof(CandidateBudget)), "a two-stage recommender spends its budget through budget-per-slot.");
        }
        Require.NonNegative(Beta, nameof(Beta));
        Require.InRange(Gamma, 0, 1, nameof(Gamma));
        Require.AtLeast(BudgetPerSlot, 0, nameof(BudgetPerSlot));
        Require.AtLeast(MinGroupSize, 0, nameof(MinGroupSize));
        Require.AtLeast(RetrainEvery, 1, nameof(RetrainEvery));
        if (TopicRepresentation is { } representation)
        {
            Require.Defined(representation, nameof(TopicRepresentation));
        }
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
        Require.Defined(Protocol, nameof(Protocol));
        Require.Defined(RetrainHistory, nameof(RetrainHistory));
        if (PretrainEpochs is { } epochs)
        {
            Require.AtLeast(epochs, 0, nameof(PretrainEpochs));
        }
        if (Nrms is not null)
        {
            try
            {
                Nrms.Validate();
            }
            catch (OptionsException e)
            {
                throw e.Under(Names.Kebab(nameof(Nrms)));
            }
        }
        Require.AtLeast(MaxTrainingSamples, 1, nameof(MaxTrainingSamples));
        Require.AtLeast(WordDimension, 4, nameof(WordDimension));
        Require.AtLeast(DropoutPasses, 2, nameof(DropoutPasses));
    }

    /// <summary>The GLM fit this protocol uses.</summary>
    public GlmFit EffectiveFit => Fit ?? (Protocol == NeuralProtocol.AsCoded ? GlmFit.AsCoded : GlmFit.Online);

    /// <summary>The pre-training epochs this protocol runs.</summary>
    public int EffectivePretrainEpochs => PretrainEpochs ?? (Protocol == NeuralProtocol.AsCoded ? 5 : 1);

    /// <summary>The word-vectors file this protocol reads (null: none).</summary>
    public string? EffectiveWordVectors => WordVectors is null
        ? Protocol == NeuralProtocol.AsCoded ? ShippedWordVectors : null
        : WordVectors.Length == 0 ? null : WordVectors;

    /// <summary>
    /// The authors' NRMS (CB4Rec @67f4029 algorithms/nrms_model.py NRMS_Model with news_dim 64; configs/params.py): 20 heads x 20
    /// dims (400) projected to 64 in both towers, Q/K/V projections with bias (nn.Linear), attention reading the padding of titles
    /// and histories (<see cref="NrmsPadding.AttendedAppended"/>), additive-attention query 200, dropout 0.2, titles of 30 tokens, history 50, 4
    /// negatives under softmax, batch 64, Adam lr 1e-4, no gradient clipping, trainable word embeddings of
    /// <paramref name="wordDimension"/> (GloVe-300 there; the shipped vectors are 100-d).
    /// </summary>
    public static NrmsOptions AsCodedNrms(int wordDimension) => new()
    {
        WordDimension = wordDimension,
        Heads = 20,
        HeadDimension = 20,
        ProjectedDimension = 64,
        AttentionBias = true,
        Padding = NrmsPadding.AttendedAppended,
        QueryDimension = 200,
        Dropout = 0.2,
        MaxTitleLength = 30,
        MaxHistory = 50,
        Negatives = 4,
        Loss = NrmsLoss.Softmax,
        BatchSize = 64,
        Optimiser = new Cobalt.Neural.Optimisers.AdamOptions { LearningRate = 1e-4 },
        ClipNorm = 0,
    };
}
