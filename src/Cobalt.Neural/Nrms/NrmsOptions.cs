using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Neural.Optimisers;
using Cobalt.Neural.Tensors;
using Cobalt.Neural.Text;

namespace Cobalt.Neural.Nrms;

/// <summary>How an item's tokens become its vector.</summary>
public enum ItemEncoderKind
{
    /// <summary>NRMS news encoder: word embeddings, dropout, word-level multi-head self-attention, dropout, additive attention.</summary>
    SelfAttention,

    /// <summary>Topic encoder: the mean of the word embeddings (dropout after it), then an MLP to the item dimension.</summary>
    MeanMlp,
}

/// <summary>The training objective.</summary>
public enum NrmsLoss
{
    /// <summary>NRMS's: softmax over the positive and its K negatives, cross-entropy of the positive (Wu et al. 2019, eq. 9).</summary>
    Softmax,

    /// <summary>Binary cross-entropy of every candidate's click score, label 1 for the positive and 0 for each negative (the two-stage paper's, with K = 1).</summary>
    BinaryCrossEntropy,
}

/// <summary>How per-candidate training weights (<see cref="NrmsSample.Weights"/>) enter the binary cross-entropy.</summary>
public enum NrmsWeighting
{
    /// <summary>
    /// As coded in CB4Rec (algorithms/nrms_model.py NRMS_IPS_Model with normalize=True @67f4029): each drawn candidate's weight
    /// divided by the sum of the weights of its row's drawn candidates, w'_bj = w_bj / Σ_j w_bj, then ℓ = mean_{b,j} w'_bj BCE_bj.
    /// </summary>
    PerRow,

    /// <summary>The weights as given (CB4Rec normalize=False): ℓ = mean_{b,j} w_bj BCE_bj.</summary>
    None,
}

/// <summary>Whether padding (title words past a title's end, history slots past a history's end) is seen by the attention layers.</summary>
public enum NrmsPadding
{
    /// <summary>Padding is masked out: attention and pooling read only real words and real history items (an empty history gives a zero user vector).</summary>
    Masked,

    /// <summary>
    /// As coded in CB4Rec (algorithms/nrms_model.py TextEncoder and UserEncoder call their attention without a mask @67f4029):
    /// titles are padded with word 0 to the title length and histories with item 0 to <see cref="NrmsOptions.MaxHistory"/>, and
    /// attention and pooling read the padding like real input. Item 0 must then be the padding item (no tokens), as CB4Rec's
    /// news index 0 is; an empty history is MaxHistory copies of it.
    /// </summary>
    Attended,

    /// <summary>
    /// <see cref="Attended"/> with a padding item of the model's own: it follows the caller's items (id <see cref="NrmsModel.ItemCount"/>,
    /// no tokens), so the caller's item ids stay as they are. CB4Rec's policies read padding this way (algorithms/neural_greedy.py
    /// pads histories with news 0, h + [0] * (max_his_len - len(h)), and TextEncoder attends padded title words, @67f4029)
    /// over a catalogue whose first item is a real one.
    /// </summary>
    AttendedAppended,
}

/// <summary>Helpers for <see cref="NrmsPadding"/>.</summary>
public static class NrmsPaddingExtensions
{
    /// <summary>Whether the attention reads padding (<see cref="NrmsPadding.Attended"/> or <see cref="NrmsPadding.AttendedAppended"/>).</summary>
    public static bool IsAttended(this NrmsPadding padding) => padding != NrmsPadding.Masked;
}

/// <summary>
/// Options of an <see cref="NrmsModel"/>: the NRMS architecture (Wu et al. 2019) with the item vector of the two-stage
/// paper (64 = 16 heads x 4), its training, and how it uses the machine.
/// </summary>
public sealed record NrmsOptions : IValidatable
{
    /// <summary>The item tower.</summary>
    [Description("Item tower: self-attention (NRMS title encoder) or mean-mlp (topic-name encoder: mean word embedding, then an MLP).")]
    public ItemEncoderKind ItemEncoder { get; init; } = ItemEncoderKind.SelfAttention;

    /// <summary>Word embedding width (300 for GloVe 6B/840B vectors).</summary>
    [Description("Word embedding width (300 for the common GloVe vectors).")]
    public int WordDimension { get; init; } = 300;

    /// <summary>Attention heads H in both self-attention layers.</summary>
    [Description("Attention heads in both self-attention layers.")]
    public int Heads { get; init; } = 16;

    /// <summary>Width of each head d_k; the item and user vectors have H d_k entries.</summary>
    [Description("Width of each attention head; item and user vectors have heads x head-dimension entries (16 x 4 = 64).")]
    public int HeadDimension { get; init; } = 4;

    /// <summary>Hidden width A of the additive attention (NRMS: 200).</summary>
    [Description("Hidden width of the additive attention pooling (NRMS uses 200).")]
    public int QueryDimension { get; init; } = 200;

    /// <summary>Hidden width of the topic encoder's MLP.</summary>
    [Description("Hidden width of the mean-mlp item tower's MLP.")]
    public int HiddenDimension { get; init; } = 128;

    /// <summary>Dropout rate after the word embeddings and after the word-level self-attention (NRMS and the two-stage paper: 0.2).</summary>
    [Description("Dropout rate after the word embeddings and after the word self-attention (0.2 in NRMS).")]
    public double Dropout { get; init; } = 0.2;

    /// <summary>Tokens kept per title (longer titles are cut; NRMS on MIND: 30).</summary>
    [Description("Tokens kept per title when the model tokenizes text; longer titles are cut.")]
    public int MaxTitleLength { get; init; } = 20;

    /// <summary>Most recent history items the user encoder reads (NRMS: 50).</summary>
    [Description("Most recent clicked items the user encoder reads (NRMS: 50).")]
    public int MaxHistory { get; init; } = 50;

    /// <summary>Negatives K per positive in training (NRMS: 4; the two-stage paper: 1 with binary cross-entropy).</summary>
    [Description("Negatives per positive in training (NRMS: 4; the two-stage paper: 1 with binary-cross-entropy).")]
    public int Negatives { get; init; } = 4;

    /// <summary>The training objective.</summary>
    [Description("Training loss: softmax (NRMS) or binary-cross-entropy (the two-stage paper).")]
    public NrmsLoss Loss { get; init; } = NrmsLoss.Softmax;

    /// <summary>How per-candidate sample weights are normalised (only with <see cref="NrmsLoss.BinaryCrossEntropy"/>; samples without weights weigh 1).</summary>
    [Description("How per-candidate sample weights enter the binary cross-entropy: per-row (CB4Rec's normalised IPS, as coded) or none.")]
    public NrmsWeighting Weighting { get; init; } = NrmsWeighting.PerRow;

    /// <summary>
    /// Width of a linear projection applied after the item encoder's additive attention and after the user encoder's
    /// (CB4Rec's reduce_dim_linear, algorithms/nrms_model.py @67f4029); 0 = none, vectors keep H d_k entries.
    /// </summary>
    [Description("Project item and user vectors from heads x head-dimension to this width with a linear layer (CB4Rec's reduce_dim_linear); 0 = no projection.")]
    public int ProjectedDimension { get; init; }

    /// <summary>Whether attention reads padding (see <see cref="NrmsPadding"/>).</summary>
    [Description("Padding: masked (attention ignores it) or attended (CB4Rec as coded: titles and histories padded, attention reads the padding; item 0 is the padding item).")]
    public NrmsPadding Padding { get; init; } = NrmsPadding.Masked;

    /// <summary>
    /// Whether the self-attention's query, key and value projections have a bias: CB4Rec's MultiHeadAttention builds them as
    /// nn.Linear, which has one (algorithms/nrms_model.py @67f4029); NRMS's reference implementation has none (false).
    /// </summary>
    [Description("Give the self-attention's query, key and value projections a bias (CB4Rec as coded: nn.Linear has one; NRMS's reference: none).")]
    public bool AttentionBias { get; init; }

    /// <summary>Training samples per gradient step.</summary>
    [Description("Training samples per gradient step.")]
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's settings (NRMS: learning rate 1e-4 on MIND; 1e-3 trains small data faster).</summary>
    [Description("Adam optimiser settings.")]
    public AdamOptions Optimiser { get; init; } = new();

    /// <summary>Clip the global gradient norm to this (0: no clipping).</summary>
    [Description("Clip the global gradient norm to this value; 0 turns clipping off.")]
    public double ClipNorm { get; init; } = 5.0;

    /// <summary>Standard deviation of the random word embeddings (words without a pretrained vector).</summary>
    [Description("Standard deviation of randomly initialised word embeddings.")]
    public double EmbeddingScale { get; init; } = 0.1;

    /// <summary>Keep the word embeddings fixed (e.g. pretrained GloVe vectors) instead of training them.</summary>
    [Description("Keep word embeddings fixed instead of training them.")]
    public bool FreezeWordEmbeddings { get; init; }

    /// <summary>How text is split into tokens.</summary>
    [Description("How titles are split into tokens.")]
    public TokenizerOptions Tokenizer { get; init; } = new();

    /// <summary>Items per batch when encoding for inference.</summary>
    [Description("Items per batch when encoding for inference.")]
    public int EncodeBatchSize { get; init; } = 256;

    /// <summary>Threads the kernels may use (0: one per core). Results do not depend on it.</summary>
    [Description("Threads the kernels may use; 0 uses every core. Results are bit-identical whatever the value.")]
    public int Threads { get; init; }

    /// <summary>Multiply-adds below which a kernel call stays on one thread.</summary>
    [Description("Work (multiply-adds) below which a kernel call stays on one thread.")]
    public long ParallelMinWork { get; init; } = Parallelism.DefaultMinWork;

    /// <summary>Width of the attention layers' outputs, H d_k.</summary>
    public int AttentionDimension => Heads * HeadDimension;

    /// <summary>Width of item and user vectors: <see cref="ProjectedDimension"/> when set, else H d_k.</summary>
    public int Dimension => ProjectedDimension > 0 ? ProjectedDimension : Heads * HeadDimension;

    /// <inheritdoc />
    public void Validate()
    {
        Require.Defined(ItemEncoder, nameof(ItemEncoder));
        Require.AtLeast(WordDimension, 1, nameof(WordDimension));
        Require.AtLeast(Heads, 1, nameof(Heads));
        Require.AtLeast(HeadDimension, 1, nameof(HeadDimension));
        Require.AtLeast(QueryDimension, 1, nameof(QueryDimension));
        Require.AtLeast(HiddenDimension, 1, nameof(HiddenDimension));
        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new OptionsException(Names.Kebab(nameof(Dropout)), $"must be at least 0 and below 1 (got {Dropout}).");
        }
        Require.AtLeast(MaxTitleLength, 1, nameof(MaxTitleLength));
        Require.AtLeast(MaxHistory, 1, nameof(MaxHistory));
        Require.AtLeast(Negatives, 1, nameof(Negatives));
        Require.Defined(Loss, nameof(Loss));
        Require.Defined(Weighting, nameof(Weighting));
        Require.AtLeast(ProjectedDimension, 0, nameof(ProjectedDimension));
        Require.Defined(Padding, nameof(Padding));
        Require.AtLeast(BatchSize, 1, nameof(BatchSize));
        if (Optimiser is null)
        {
            throw new OptionsException(Names.Kebab(nameof(Optimiser)), "is missing.");
        }
        try
        {
            Optimiser.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(Names.Kebab(nameof(Optimiser)));
        }
        Require.NonNegative(ClipNorm, nameof(ClipNorm));
        Require.NonNegative(EmbeddingScale, nameof(EmbeddingScale));
        if (Tokenizer is null)
        {
            throw new OptionsException(Names.Kebab(nameof(Tokenizer)), "is missing.");
        }
        Require.AtLeast(EncodeBatchSize, 1, nameof(EncodeBatchSize));
        Require.AtLeast(Threads, 0, nameof(Threads));
        Require.AtLeast(ParallelMinWork, 0, nameof(ParallelMinWork));
    }
}
