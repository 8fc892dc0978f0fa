using System.Numerics;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// An operation's backward rule. One stateless instance per operation and element type; whatever a node needs
/// (inputs, axes, saved values) is stored on the node, so recording an operation allocates nothing.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
internal abstract class Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Name for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Adds d loss / d input to the gradient of every input of <paramref name="node"/> that requires one, given d loss / d node.</summary>
    public abstract void Backward(Node<T> node);
}
