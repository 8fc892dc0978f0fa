using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// A tensor recorded on a <see cref="Tape{T}"/>: its shape, its values, and (after
/// <see cref="Tape{T}.Backward"/>) the gradient of the loss with respect to it.
/// </summary>
/// <remarks>
/// Nodes are pooled by their tape and reused after <see cref="Tape{T}.Reset"/>: do not keep a node
/// (or a span of its data) across a reset. Values are row-major (see <see cref="Shape"/>).
/// </remarks>
/// <typeparam name="T">Element type (float, or double for gradient checks).</typeparam>
public sealed class Node<T>
    where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    internal Node(Tape<T> tape, int index)
    {
        Tape = tape;
        Index = index;
    }

    /// <summary>The tape that recorded this node.</summary>
    public Tape<T> Tape { get; }

    /// <summary>Position on the tape (operations are recorded, and differentiated in reverse, in this order).</summary>
    public int Index { get; }

    /// <summary>The shape.</summary>
    public Shape Shape { get; internal set; }

    /// <summary>Whether a gradient flows into this node (a parameter, or computed from one).</summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>The values (row-major).</summary>
    public ReadOnlySpan<T> Data => Values.Span;

    /// <summary>The gradient d loss / d node, filled by <see cref="Tape{T}.Backward"/> (empty before, or when no gradient flows here).</summary>
    public ReadOnlySpan<T> Grad => Gradient.Span;

    /// <summary>The parameter this node reads, when it is a parameter leaf.</summary>
    public Parameter<T>? Parameter { get; internal set; }

    internal Segment<T> Values;
    internal Segment<T> Gradient;

    /// <summary>The operation that made this node and will differentiate it (null for leaves).</summary>
    internal Op<T>? Op;

    internal Node<T>? A;
    internal Node<T>? B;
    internal readonly List<Node<T>> Inputs = [];

    /// <summary>Operation-specific integers (axes, flags, counts).</summary>
    internal int I0, I1, I2, I3;

    /// <summary>An operation-specific number (a scale, a probability).</summary>
    internal double F0;

    /// <summary>Operation-specific integer input (indices, class targets).</summary>
    internal ReadOnlyMemory<int> Ints;

    /// <summary>Operation-specific mask (true = position is valid).</summary>
    internal ReadOnlyMemory<bool> Mask;

    /// <summary>Operation-specific element input (labels).</summary>
    internal ReadOnlyMemory<T> Constants;

    /// <summary>Values saved by the forward pass for the backward one (a dropout mask, softmax probabilities).</summary>
    internal Segment<T> Saved;

    /// <summary>The mutable values, for operations that write their output.</summary>
    internal Span<T> Out => Values.Span;

    /// <summary>Clears the node for reuse.</summary>
    internal void Clear()
    {
        Shape = Shape.Scalar;
        RequiresGrad = false;
        Parameter = null;
        Values = default;
        Gradient = default;
        Op = null;
        A = null;
        B = null;
        Inputs.Clear();
        I0 = I1 = I2 = I3 = 0;
        F0 = 0;
        Ints = default;
        Mask = default;
        Constants = default;
        Saved = default;
    }

    /// <summary>The node as written in messages: its position and shape.</summary>
    public override string ToString() => $"node {Index} {Shape}{(Op is null ? string.Empty : " from " + Op.Name)}";
}
