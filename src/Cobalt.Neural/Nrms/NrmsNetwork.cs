using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Layers;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Nrms;

/// <summary>
/// The differentiable two-tower model of NRMS (Wu et al. 2019), generic in its element type so that the same code is
/// trained in float and gradient-checked in double.
/// </summary>
/// <remarks>
/// <para>Item tower (<see cref="ItemEncoderKind.SelfAttention"/>, NRMS's news encoder): word embeddings e_j →
/// dropout → word-level multi-head self-attention → dropout → additive attention → item vector r (width H d_k).
/// Item tower (<see cref="ItemEncoderKind.MeanMlp"/>, the two-stage paper's topic encoder): mean of the valid word
/// embeddings → dropout → MLP (ReLU) → vector of width H d_k.</para>
/// <para>User tower (NRMS's user encoder): the clicked items' vectors → item-level multi-head self-attention → additive
/// attention → user vector u. Click score ŷ = uᵀ r (NRMS eq. 8).</para>
/// <para>With <see cref="NrmsOptions.ProjectedDimension"/> P &gt; 0, both towers end in a linear layer from H d_k to P (CB4Rec's
/// reduce_dim_linear, algorithms/nrms_model.py TextEncoder and UserEncoder @67f4029), so item and user vectors have P entries and the
/// user tower's self-attention reads P-wide item vectors. The mean-mlp item tower's MLP ends at P directly.</para>
/// <para>Loss with <see cref="NrmsLoss.BinaryCrossEntropy"/> and per-candidate weights (<see cref="NrmsSample.Weights"/>): ℓ = (1/(B C))
/// Σ_bc w'_bc BCE(ŷ_bc, y_bc), w' = w / Σ_c w_bc per row under <see cref="NrmsWeighting.PerRow"/> (CB4Rec's NRMS_IPS_Model, normalize=True).</para>
/// <para>Parameter names: <c>word.table</c>, <c>item.*</c>, <c>user.*</c> (<c>item.projection.*</c>, <c>user.projection.*</c> when projected).</para>
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class NrmsNetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dropout<T> _dropout;
    private readonly MultiHeadSelfAttention<T>? _wordAttention;
    private readonly AdditiveAttention<T>? _wordPooling;
    private readonly Mlp<T>? _topicMlp;
    private readonly MultiHeadSelfAttention<T> _itemAttention;
    private readonly AdditiveAttention<T> _itemPooling;
    private readonly Linear<T>? _itemProjection;
    private readonly Linear<T>? _userProjection;
    private T[] _meanWeights = [];

    /// <summary>Creates the network with parameters drawn from <paramref name="rng"/>.</summary>
    /// <exception cref="Core.Configuration.OptionsException">An option is out of range.</exception>
    public NrmsNetwork(NrmsOptions options, int vocabularySize, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        options.Validate();
        Options = options;
        Words = new Embedding<T>(Parameters, "word", vocabularySize, options.WordDimension, rng, options.EmbeddingScale, paddingId: 0);
        Words.Table.Trainable = !options.FreezeWordEmbeddings;
        _dropout = new Dropout<T>(options.Dropout);
        if (options.ItemEncoder == ItemEncoderKind.SelfAttention)
        {
            _wordAttention = new MultiHeadSelfAttention<T>(Parameters, "item.self-attention", options.WordDimension, options.Heads, options.HeadDimension, rng, options.AttentionBias);
            _wordPooling = new AdditiveAttention<T>(Parameters, "item.pooling", options.AttentionDimension, options.QueryDimension, rng);
            if (options.ProjectedDimension > 0)
            {
                _itemProjection = new Linear<T>(Parameters, "item.projection", options.AttentionDimension, options.ProjectedDimension, bias: true, rng);
            }
        }
        else
        {
            _topicMlp = new Mlp<T>(Parameters, "item.mlp", [options.WordDimension, options.HiddenDimension, options.Dimension], Activation.Relu, rng);
        }
        _itemAttention = new MultiHeadSelfAttention<T>(Parameters, "user.self-attention", options.Dimension, options.Heads, options.HeadDimension, rng, options.AttentionBias);
        _itemPooling = new AdditiveAttention<T>(Parameters, "user.pooling", options.AttentionDimension, options.QueryDimension, rng);
        if (options.ProjectedDimension > 0)
        {
            _userProjection = new Linear<T>(Parameters, "user.projection", options.AttentionDimension, options.ProjectedDimension, bias: true, rng);
        }
    }

    /// <summary>The options.</summary>
    public NrmsOptions Options { get; }

    /// <summary>Every learned tensor.</summary>
    public ParameterSet<T> Parameters { get; } = new();

    /// <summary>The word embedding table (row 0 is padding).</summary>
    public Embedding<T> Words { get; }

    /// <summary>Width of item and user vectors.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>
    /// Item vectors [N, D] of <paramref name="count"/> token sequences: <paramref name="tokens"/> [N, L] and <paramref name="mask"/> [N, L]
    /// (true at real tokens). Dropout is applied when <paramref name="dropout"/> is given.
    /// </summary>
    public Node<T> EncodeItems(Tape<T> tape, ReadOnlyMemory<int> tokens, ReadOnlyMemory<bool> mask, int count, int length, Rng? dropout)
    {
        ArgumentNullException.ThrowIfNull(tape);
        if (tokens.Length != count * length || mask.Length != count * length)
        {
            throw new ArgumentException($"{count} sequences of {length} tokens need {count * length} ids and mask entries; got {tokens.Length} and {mask.Length}.", nameof(tokens));
        }
        var embedded = _dropout.Forward(tape, Words.Forward(tape, tokens, Shape.Of(count, length)), dropout); // [N, L, W]
        if (_topicMlp is not null)
        {
            var mean = MaskedMean(tape, embedded, mask.Span, count, length);
            return _topicMlp.Forward(tape, mean);
        }
        var contextual = _dropout.Forward(tape, _wordAttention!.Forward(tape, embedded, mask), dropout);  // [N, L, H d_k]
        var pooled = _wordPooling!.Forward(tape, contextual, mask);                                        // [N, H d_k]
        return _itemProjection is null ? pooled : _itemProjection.Forward(tape, pooled);                  // [N, D]
    }

    /// <summary>User vectors [B, D] from the vectors of their clicked items <paramref name="history"/> [B, H, D] and <paramref name="mask"/> [B, H].</summary>
    public Node<T> EncodeUsers(Tape<T> tape, Node<T> history, ReadOnlyMemory<bool> mask)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var contextual = _itemAttention.Forward(tape, history, mask);
        var pooled = _itemPooling.Forward(tape, contextual, mask);
        return _userProjection is null ? pooled : _userProjection.Forward(tape, pooled);
    }

    /// <summary>Click scores [B, C]: ŷ_bc = u_b · r_bc for users [B, D] and candidates [B, C, D].</summary>
    public Node<T> Scores(Tape<T> tape, Node<T> users, Node<T> candidates) => DotScores(tape, users, candidates);

    /// <summary>Two-tower scores [B, C]: s_bc = u_b · r_bc for users [B, D] and candidates [B, C, D] (any D).</summary>
    internal static Node<T> DotScores(Tape<T> tape, Node<T> users, Node<T> candidates)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(candidates);
        var (b, c) = (candidates.Shape[0], candidates.Shape[1]);
        var column = tape.Reshape(users, Shape.Of(b, users.Shape[1], 1));
        return tape.Reshape(tape.MatMul(candidates, column), Shape.Of(b, c));
    }

    /// <summary>The training loss of a prepared batch (see <see cref="NrmsBatch{T}"/>).</summary>
    internal Node<T> Loss(Tape<T> tape, NrmsBatch<T> batch, Rng? dropout)
    {
        var items = EncodeItems(tape, batch.Tokens, batch.TokenMask, batch.ItemCount, batch.TitleLength, dropout);
        var history = tape.Gather(items, batch.HistorySlots, Shape.Of(batch.Size, batch.HistoryLength));
        var users = EncodeUsers(tape, history, batch.HistoryMask);
        var candidates = tape.Gather(items, batch.CandidateSlots, Shape.Of(batch.Size, batch.Candidates));
        var scores = Scores(tape, users, candidates);
        if (Options.Loss == NrmsLoss.Softmax)
        {
            return tape.SoftmaxCrossEntropy(scores, batch.Targets);
        }
        return batch.Weighted
            ? tape.BinaryCrossEntropyWithLogits(scores, batch.Labels, batch.Weights.Span)
            : tape.BinaryCrossEntropyWithLogits(scores, batch.Labels);
    }

    /// <summary>Mean over the valid positions: weights w [N, 1, L] = mask / length, then w x [N, L, W] → [N, W].</summary>
    private Node<T> MaskedMean(Tape<T> tape, Node<T> embedded, ReadOnlySpan<bool> mask, int count, int length)
    {
        if (_meanWeights.Length < count * length)
        {
            _meanWeights = new T[count * length];
        }
        var weights = _meanWeights.AsSpan(0, count * length);
        for (var i = 0; i < count; i++)
        {
            var valid = 0;
            for (var j = 0; j < length; j++)
            {
                valid += mask[i * length + j] ? 1 : 0;
            }
            var w = valid == 0 ? T.Zero : T.One / T.CreateChecked(valid);
            for (var j = 0; j < length; j++)
            {
                weights[i * length + j] = mask[i * length + j] ? w : T.Zero;
            }
        }
        var constant = tape.Constant(Shape.Of(count, 1, length), weights);
        return tape.Reshape(tape.MatMul(constant, embedded), Shape.Of(count, Options.WordDimension));
    }
}
