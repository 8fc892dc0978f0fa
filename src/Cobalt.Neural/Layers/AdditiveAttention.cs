using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Layers;

/// <summary>
/// NRMS's additive attention pooling (Wu et al. 2019, equations 4-5): a_i = qᵀ tanh(V h_i + v),
/// α_i = softmax(a)_i over the valid positions, r = Σ_i α_i h_i. Turns a sequence [B, L, D] into one vector [B, D].
/// </summary>
/// <remarks>V [D, A] and q [A, 1] are Glorot-uniform, v zero; A is the query (attention hidden) width, 200 in NRMS.
/// A sequence with no valid position gives the zero vector.</remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class AdditiveAttention<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> _projection;

    /// <summary>Creates <c>{name}.projection</c> (V, v) and <c>{name}.query</c> (q).</summary>
    public AdditiveAttention(ParameterSet<T> parameters, string name, int inputs, int queryDimension, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Inputs = inputs;
        _projection = new Linear<T>(parameters, $"{name}.projection", inputs, queryDimension, bias: true, rng);
        Query = parameters.Create($"{name}.query", Shape.Of(queryDimension, 1));
        Initialise.GlorotUniform(Query, queryDimension, 1, rng);
    }

    /// <summary>Input width D.</summary>
    public int Inputs { get; }

    /// <summary>The query vector q [A, 1].</summary>
    public Parameter<T> Query { get; }

    /// <summary>Pools <paramref name="h"/> [B, L, D] into [B, D]; <paramref name="mask"/> [B, L] is true at valid positions (empty: all valid).</summary>
    /// <exception cref="ArgumentException">The input is not [B, L, D], or the mask is not B x L.</exception>
    public Node<T> Forward(Tape<T> tape, Node<T> h, ReadOnlyMemory<bool> mask)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(h);
        if (h.Shape.Rank != 3 || h.Shape[2] != Inputs)
        {
            throw new ArgumentException($"Additive attention '{Query.Name}' takes [batch, length, {Inputs}] inputs; got {h.Shape}.", nameof(h));
        }
        var (b, l) = (h.Shape[0], h.Shape[1]);
        if (!mask.IsEmpty && mask.Length != b * l)
        {
            throw new ArgumentException($"The mask has {mask.Length} entries; a [{b}, {l}] batch needs {b * l}.", nameof(mask));
        }
        var hidden = tape.Tanh(_projection.Forward(tape, h));                       // [B, L, A]
        var scores = tape.Reshape(tape.MatMul(hidden, tape.Parameter(Query)), Shape.Of(b, l));
        var weights = tape.Reshape(tape.Softmax(scores, mask), Shape.Of(b, 1, l));  // [B, 1, L]
        return tape.Reshape(tape.MatMul(weights, h), Shape.Of(b, Inputs));          // [B, D]
    }
}
