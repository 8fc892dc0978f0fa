using System.Numerics;
using System.Numerics.Tensors;
using Cobalt.Core.Randomness;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014): y = x ⊙ m / (1 - p) with m_i ~ Bernoulli(1 - p) drawn from the given
/// generator, so the expected output equals the input and inference needs no rescaling. Backward: dx = dy ⊙ m / (1 - p).
/// </summary>
/// <remarks>
/// Each element takes 16 random bits (four per <see cref="Rng.NextUInt64"/>) and is dropped when they are below
/// ceil(p 2^16), so the rate used is p rounded up to a multiple of 2^-16 (0.2 becomes 0.200012). Node fields: Saved = m / (1 - p), F0 = p.
/// </remarks>
internal sealed class DropoutOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly DropoutOp<T> Instance = new();

    public override string Name => "dropout";

    public static Node<T> Forward(Tape<T> tape, Node<T> x, double rate, Rng rng)
    {
        tape.Own(x, nameof(x));
        ArgumentNullException.ThrowIfNull(rng);
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }
        var node = tape.Record(Instance, x.Shape, x);
        node.F0 = rate;
        node.Saved = tape.Rent(x.Shape.Length, clear: false);
        var mask = node.Saved.Span;
        var keep = T.CreateChecked(1.0 / (1.0 - rate));
        var threshold = (int)Math.Ceiling(rate * 65536.0);
        ReadOnlySpan<T> values = [keep, T.Zero]; // index 1 when the 16 bits fall below the threshold (dropped), without a branch
        var i = 0;
        ulong bits = 0;
        for (; i < mask.Length; i++)
        {
            if ((i & 3) == 0)
            {
                bits = rng.NextUInt64();
            }
            mask[i] = values[(int)((uint)((int)(bits & 0xFFFF) - threshold) >> 31)];
            bits >>= 16;
        }
        TensorPrimitives.Multiply(x.Data, mask, node.Out);
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var g = node.A!.Gradient.Span;
        TensorPrimitives.MultiplyAdd(node.Grad, node.Saved.Span, g, g);
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>
    /// Inverted dropout with rate <paramref name="rate"/>: each element is zeroed with probability p and the rest scaled by 1 / (1 - p),
    /// the mask drawn from <paramref name="rng"/>. A rate of 0 returns <paramref name="x"/> itself.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not in [0, 1).</exception>
    public static Node<T> Dropout<T>(this Tape<T> tape, Node<T> x, double rate, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        if (rate == 0)
        {
            tape.Own(x, nameof(x));
            return x;
        }
        return DropoutOp<T>.Forward(tape, x, rate, rng);
    }
}
