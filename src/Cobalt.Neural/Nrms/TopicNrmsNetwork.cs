using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Layers;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Nrms;

/// <summary>
/// The two-stage paper's topic model as its authors coded it (CB4Rec @67f4029 algorithms/nrms_model.py NRMS_Topic_Model and
/// TopicEncoder), generic in its element type so that it is trained in float and gradient-checked in double.
/// </summary>
/// <remarks>
/// <para>Topic tower: a learned vector per topic e_v (width d, drawn from N(0, 1) as nn.Embedding) → dropout
/// <see cref="EmbeddingDropout"/> → Linear d→d → ReLU (dropout <see cref="TopicHiddenDropout"/>) → Linear d→d = y_v. The topic's
/// name is not read.</para>
/// <para>User tower: NRMS's title encoder over the user's clicked items (<see cref="Text"/>, 20 heads x 20 dims, no projection)
/// → NRMS's user encoder (width 400) → the "dimmension_reduction" MLP: Linear 400→d → ReLU (dropout
/// <see cref="ReductionDropout"/>) → Linear d→d = z'_u. Score s_uv = z'_u · y_v; loss BCE(sigmoid(s), y) over a positive topic
/// and one negative topic per sample.</para>
/// <para>Parameter names: <see cref="NrmsNetwork{T}"/>'s, plus <c>topic.embedding.table</c>, <c>topic.mlp.*</c> and
/// <c>user.reduction.*</c>, all in one <see cref="Parameters"/> set.</para>
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class TopicNrmsNetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Dropout on the topic embedding (F.dropout's default p = 0.5 in TopicEncoder).</summary>
    public const double EmbeddingDropout = 0.5;

    /// <summary>Dropout inside the topic MLP (TopicEncoder's mlp_head, p = 0.2).</summary>
    public const double TopicHiddenDropout = 0.2;

    /// <summary>Dropout inside the user reduction MLP (nn.Dropout's default p = 0.5 in dimmension_reduction).</summary>
    public const double ReductionDropout = 0.5;

    private readonly Embedding<T> _topics;
    private readonly Dropout<T> _embeddingDropout = new(EmbeddingDropout);
    private readonly Mlp<T> _topicMlp;
    private readonly Dropout<T> _topicHiddenDropout = new(TopicHiddenDropout);
    private readonly Mlp<T> _reduction;
    private readonly Dropout<T> _reductionDropout = new(ReductionDropout);

    /// <summary>
    /// A network over <paramref name="topicCount"/> topics with vectors of <paramref name="dimension"/> (the authors' 64), reading
    /// titles with <paramref name="text"/> (its <see cref="NrmsOptions.Dimension"/> is the user encoder's width, the authors' 400).
    /// </summary>
    public TopicNrmsNetwork(NrmsOptions text, int vocabularySize, int topicCount, int dimension, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(topicCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Text = new NrmsNetwork<T>(text, vocabularySize, rng);
        Dimension = dimension;
        TopicCount = topicCount;
        _topics = new Embedding<T>(Parameters, "topic.embedding", topicCount, dimension, rng, standardDeviation: 1.0, paddingId: null);
        _topicMlp = new Mlp<T>(Parameters, "topic.mlp", [dimension, dimension, dimension], Activation.Relu, rng);
        _reduction = new Mlp<T>(Parameters, "user.reduction", [text.Dimension, dimension, dimension], Activation.Relu, rng);
    }

    /// <summary>The title encoder and NRMS user encoder (the history tower before the reduction).</summary>
    public NrmsNetwork<T> Text { get; }

    /// <summary>Every learned tensor (the text network's and the topic parts').</summary>
    public ParameterSet<T> Parameters => Text.Parameters;

    /// <summary>Width of topic and user vectors.</summary>
    public int Dimension { get; }

    /// <summary>Number of topics.</summary>
    public int TopicCount { get; }

    /// <summary>
    /// Topic vectors [..., d] of <paramref name="ids"/> (shape <paramref name="idShape"/>): the embedding's dropout is on when
    /// <paramref name="embeddingDropout"/> is given, the MLP's when <paramref name="hiddenDropout"/> is.
    /// </summary>
    public Node<T> EncodeTopics(Tape<T> tape, ReadOnlyMemory<int> ids, Shape idShape, Rng? embeddingDropout, Rng? hiddenDropout)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var embedded = _embeddingDropout.Forward(tape, _topics.Forward(tape, ids, idShape), embeddingDropout);
        return _topicMlp.Forward(tape, embedded, _topicHiddenDropout, hiddenDropout);
    }

    /// <summary>User vectors [B, d] from the title vectors of their clicked items <paramref name="history"/> [B, H, D_text].</summary>
    public Node<T> EncodeUsers(Tape<T> tape, Node<T> history, ReadOnlyMemory<bool> mask, Rng? dropout)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return _reduction.Forward(tape, Text.EncodeUsers(tape, history, mask), _reductionDropout, dropout);
    }

    /// <summary>Scores [B, C]: s_bc = z'_b · y_bc for users [B, d] and topics [B, C, d].</summary>
    public Node<T> Scores(Tape<T> tape, Node<T> users, Node<T> topics) => NrmsNetwork<T>.DotScores(tape, users, topics);
}
