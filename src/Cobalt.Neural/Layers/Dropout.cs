using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;

namespace Cobalt.Neural.Layers;

/// <summary>
/// Inverted dropout with a fixed rate (Srivastava et al. 2014). It is active only when a random stream is passed:
/// training passes one, inference passes none (identity), Monte-Carlo dropout passes one at inference.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Dropout<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not in [0, 1).</exception>
    public Dropout(double rate)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }
        Rate = rate;
    }

    /// <summary>Probability that an element is zeroed.</summary>
    public double Rate { get; }

    /// <summary>x ⊙ m / (1 - p) with the mask drawn from <paramref name="rng"/>, or x itself when <paramref name="rng"/> is null.</summary>
    public Node<T> Forward(Tape<T> tape, Node<T> x, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return rng is null ? x : tape.Dropout(x, Rate, rng);
    }
}
