using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Layers;

/// <summary>
/// Fully connected layer y = x W + b over the last axis: x [..., in] to y [..., out], W [in, out] Glorot-uniform, b zero.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Linear<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer's parameters <c>{name}.weight</c> and (with a bias) <c>{name}.bias</c> in <paramref name="parameters"/>.</summary>
    public Linear(ParameterSet<T> parameters, string name, int inputs, int outputs, bool bias, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        Inputs = inputs;
        Outputs = outputs;
        Weight = parameters.Create($"{name}.weight", Shape.Of(inputs, outputs));
        Initialise.GlorotUniform(Weight, inputs, outputs, rng);
        Bias = bias ? parameters.Create($"{name}.bias", Shape.Of(outputs)) : null;
    }

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Output width.</summary>
    public int Outputs { get; }

    /// <summary>W [in, out].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>b [out], when the layer has a bias.</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>y = x W + b.</summary>
    /// <exception cref="ArgumentException">The last dimension of <paramref name="x"/> is not <see cref="Inputs"/>.</exception>
    public Node<T> Forward(Tape<T> tape, Node<T> x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape.Rank == 0 || x.Shape.Last != Inputs)
        {
            throw new ArgumentException($"Linear layer '{Weight.Name}' takes [..., {Inputs}] inputs; got {x.Shape}.", nameof(x));
        }
        var y = tape.MatMul(x.Shape.Rank == 1 ? tape.Reshape(x, Shape.Of(1, Inputs)) : x, tape.Parameter(Weight));
        if (Bias is not null)
        {
            y = tape.Add(y, tape.Parameter(Bias));
        }
        return x.Shape.Rank == 1 ? tape.Reshape(y, Shape.Of(Outputs)) : y;
    }
}
