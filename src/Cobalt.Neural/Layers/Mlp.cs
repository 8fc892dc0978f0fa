using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;

namespace Cobalt.Neural.Layers;

/// <summary>The non-linearity between the layers of an <see cref="Mlp{T}"/>.</summary>
public enum Activation
{
    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>tanh(x).</summary>
    Tanh,
}

/// <summary>
/// A multi-layer perceptron: Linear, activation, ..., Linear (no activation after the last layer), over the last axis.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Mlp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T>[] _layers;

    /// <summary>Layers <c>{name}.0</c>, <c>{name}.1</c>, ... of widths <paramref name="widths"/> (input width first, at least two entries).</summary>
    public Mlp(ParameterSet<T> parameters, string name, IReadOnlyList<int> widths, Activation activation, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count < 2)
        {
            throw new ArgumentException("An MLP needs at least an input and an output width.", nameof(widths));
        }
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
        Activation = activation;
        _layers = new Linear<T>[widths.Count - 1];
        for (var i = 0; i < _layers.Length; i++)
        {
            _layers[i] = new Linear<T>(parameters, $"{name}.{i}", widths[i], widths[i + 1], bias: true, rng);
        }
    }

    /// <summary>The hidden activation.</summary>
    public Activation Activation { get; }

    /// <summary>Input width.</summary>
    public int Inputs => _layers[0].Inputs;

    /// <summary>Output width.</summary>
    public int Outputs => _layers[^1].Outputs;

    /// <summary>Applies the layers to <paramref name="x"/> [..., in].</summary>
    public Node<T> Forward(Tape<T> tape, Node<T> x) => Forward(tape, x, null, null);

    /// <summary>
    /// Applies the layers with <paramref name="hiddenDropout"/> on every hidden activation when <paramref name="rng"/> is given
    /// (PyTorch's Linear, Dropout, ReLU, Linear: dropout before a ReLU equals dropout after it, as the mask and 1/(1-p) are
    /// non-negative).
    /// </summary>
    public Node<T> Forward(Tape<T> tape, Node<T> x, Dropout<T>? hiddenDropout, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(tape);
        for (var i = 0; i < _layers.Length; i++)
        {
            x = _layers[i].Forward(tape, x);
            if (i < _layers.Length - 1)
            {
                x = Activation == Activation.Relu ? tape.Relu(x) : tape.Tanh(x);
                if (hiddenDropout is not null)
                {
                    x = hiddenDropout.Forward(tape, x, rng);
                }
            }
        }
        return x;
    }
}
