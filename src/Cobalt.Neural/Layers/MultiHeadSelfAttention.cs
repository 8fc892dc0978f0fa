using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Layers;

/// <summary>
/// Multi-head self-attention over a padded sequence, as in NRMS's word- and news-level encoders (Wu et al. 2019,
/// "Neural News Recommendation with Multi-Head Self-Attention", section 3.1; Vaswani et al. 2017):
/// for each head k, α^k_ij = softmax_j((x_i W_Q^k)·(x_j W_K^k) / sqrt(d_k)) over the valid positions j, and
/// h^k_i = Σ_j α^k_ij x_j W_V^k; the output h_i is the concatenation of the H heads (width H d_k).
/// </summary>
/// <remarks>
/// <para>As in the NRMS reference implementation, Q, K and V are projections without bias (with <c>bias</c>, as CB4Rec's
/// nn.Linear projections, algorithms/nrms_model.py MultiHeadAttention @67f4029, each adds one) and there is no output
/// projection. Padded positions (mask false) are never attended to; their own outputs are computed but are meaningless
/// and must be masked by the next layer (the additive attention does). Shapes: x [B, L, in], mask [B, L], output [B, L, H d_k].</para>
/// <para>The projections' columns interleave the heads component-major (column d H + h is component d of head h) so that
/// <see cref="Ops.MultiHeadAttention{T}"/> runs all heads at once in SIMD lanes; the output uses the same order. This is a
/// fixed relabelling of NRMS's concatenated heads, so the function class is the same.</para>
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class MultiHeadSelfAttention<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> _query;
    private readonly Linear<T> _key;
    private readonly Linear<T> _value;

    /// <summary>Creates the projections <c>{name}.query</c>, <c>{name}.key</c> and <c>{name}.value</c> [in, heads x headDimension].</summary>
    public MultiHeadSelfAttention(ParameterSet<T> parameters, string name, int inputs, int heads, int headDimension, Rng rng, bool bias = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDimension);
        Inputs = inputs;
        Heads = heads;
        HeadDimension = headDimension;
        _query = new Linear<T>(parameters, $"{name}.query", inputs, Outputs, bias, rng);
        _key = new Linear<T>(parameters, $"{name}.key", inputs, Outputs, bias, rng);
        _value = new Linear<T>(parameters, $"{name}.value", inputs, Outputs, bias, rng);
    }

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Number of heads H.</summary>
    public int Heads { get; }

    /// <summary>Width of each head d_k.</summary>
    public int HeadDimension { get; }

    /// <summary>Output width H d_k.</summary>
    public int Outputs => Heads * HeadDimension;

    /// <summary>Attends over each sequence of <paramref name="x"/> [B, L, in]; <paramref name="mask"/> [B, L] is true at valid positions (empty: all valid).</summary>
    /// <exception cref="ArgumentException">The input is not [B, L, in], or the mask is not B x L.</exception>
    public Node<T> Forward(Tape<T> tape, Node<T> x, ReadOnlyMemory<bool> mask)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape.Rank != 3 || x.Shape[2] != Inputs)
        {
            throw new ArgumentException($"Self-attention '{_query.Weight.Name}' takes [batch, length, {Inputs}] inputs; got {x.Shape}.", nameof(x));
        }
        var (b, l) = (x.Shape[0], x.Shape[1]);
        if (!mask.IsEmpty && mask.Length != b * l)
        {
            throw new ArgumentException($"The mask has {mask.Length} entries; a [{b}, {l}] batch needs {b * l}.", nameof(mask));
        }
        var q = _query.Forward(tape, x);
        var k = _key.Forward(tape, x);
        var v = _value.Forward(tape, x);
        return tape.MultiHeadAttention(q, k, v, Heads, mask, 1.0 / Math.Sqrt(HeadDimension));
    }
}
