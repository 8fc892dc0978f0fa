using System.Numerics;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// Records the operations of one forward pass so that <see cref="Backward"/> can apply the chain rule in
/// reverse (reverse-mode automatic differentiation, Griewank and Walther 2008, "Evaluating Derivatives").
/// </summary>
/// <remarks>
/// <para>A tape is reused from step to step: <see cref="Reset"/> rewinds it, keeping its pooled nodes and its
/// <see cref="Arena{T}"/> of buffers, so a training loop whose shapes repeat allocates no tensor storage after its first step.</para>
/// <para>Gradients accumulate: every operation adds its contribution to its inputs' gradients, so a node used
/// twice receives the sum. Parameter leaves accumulate straight into <see cref="Parameter{T}.Gradient"/>.</para>
/// <para>A tape is not thread-safe; the kernels it calls may use several threads (<see cref="Parallelism"/>),
/// with results that do not depend on the number of threads.</para>
/// </remarks>
/// <typeparam name="T">Element type: float for models, double for gradient checks.</typeparam>
public sealed class Tape<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Node<T>> _nodes = [];
    private readonly Arena<T> _arena = new();
    private bool _backwardDone;

    /// <summary>A tape whose kernels use <paramref name="parallelism"/> (one thread when null).</summary>
    public Tape(Parallelism? parallelism = null)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Tapes hold float or double, not {typeof(T).Name}.");
        }
        Parallelism = parallelism ?? Parallelism.Sequential;
    }

    /// <summary>Threads the kernels may use.</summary>
    public Parallelism Parallelism { get; set; }

    /// <summary>Whether parameters read from now on take part in <see cref="Backward"/> (false for inference: less memory, no gradients).</summary>
    public bool RecordsGradients { get; set; } = true;

    /// <summary>Number of nodes recorded since the last reset.</summary>
    public int Count { get; private set; }

    /// <summary>Elements of buffer storage the tape holds (its high-water mark).</summary>
    public long CapacityElements => _arena.Capacity;

    /// <summary>Forgets every node (their storage is kept for the next step).</summary>
    public void Reset()
    {
        for (var i = 0; i < Count; i++)
        {
            _nodes[i].Clear();
        }
        Count = 0;
        _arena.Reset();
        _backwardDone = false;
    }

    /// <summary>
    /// <see cref="Reset"/>, then gives the buffer storage back when it holds more than <paramref name="retainedElements"/> elements.
    /// A model that trains now and then (a bandit retraining every 100 rounds) calls it after training, so an idle model does not
    /// keep its largest step's storage: a training batch of the as-coded NRMS holds about a gigabyte.
    /// </summary>
    public void Release(long retainedElements = 0)
    {
        Reset();
        if (_arena.Capacity > retainedElements)
        {
            _arena.Release();
        }
    }

    /// <summary>A constant (no gradient) holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public Node<T> Constant(Shape shape, ReadOnlySpan<T> values)
    {
        if (values.Length != shape.Length)
        {
            throw new ArgumentException($"A constant of shape {shape} needs {shape.Length} values, got {values.Length}.", nameof(values));
        }
        var node = Add(shape);
        node.Values = _arena.Rent(shape.Length, clear: false);
        values.CopyTo(node.Out);
        return node;
    }

    /// <summary>A leaf that reads <paramref name="parameter"/> without copying it; gradients accumulate into <see cref="Parameter{T}.Gradient"/>.</summary>
    public Node<T> Parameter(Parameter<T> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var node = Add(parameter.Shape);
        node.Parameter = parameter;
        node.Values = new Segment<T>(parameter.Value, 0, parameter.Value.Length);
        node.RequiresGrad = RecordsGradients && parameter.Trainable;
        return node;
    }

    /// <summary>
    /// Computes the gradient of the scalar <paramref name="loss"/> with respect to every node recorded before it
    /// and adds it to the gradients of the parameters read (call <see cref="Parameter{T}.ZeroGradient"/> between steps).
    /// </summary>
    /// <exception cref="ArgumentException">The loss is not a one-element node of this tape.</exception>
    /// <exception cref="InvalidOperationException">Backward was already run since the last reset.</exception>
    public void Backward(Node<T> loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Tape != this || loss.Index >= Count || _nodes[loss.Index] != loss)
        {
            throw new ArgumentException("The loss was not recorded on this tape since its last reset.", nameof(loss));
        }
        if (loss.Shape.Length != 1)
        {
            throw new ArgumentException($"Backward needs a scalar loss; got a tensor of shape {loss.Shape}.", nameof(loss));
        }
        if (_backwardDone)
        {
            throw new InvalidOperationException("Backward has already run on this tape; reset it and record the step again.");
        }
        _backwardDone = true;
        if (!loss.RequiresGrad)
        {
            return;
        }
        for (var i = 0; i <= loss.Index; i++)
        {
            var node = _nodes[i];
            if (!node.RequiresGrad)
            {
                continue;
            }
            if (node.Parameter is { } parameter)
            {
                node.Gradient = new Segment<T>(parameter.Gradient, 0, parameter.Gradient.Length);
            }
            else if (node.Op is ReshapeOp<T>)
            {
                node.Gradient = node.A!.Gradient;
            }
            else
            {
                node.Gradient = _arena.Rent(node.Shape.Length, clear: true);
            }
        }
        loss.Gradient.Span[0] = T.One;
        for (var i = loss.Index; i >= 0; i--)
        {
            var node = _nodes[i];
            if (node.RequiresGrad && node.Op is { } op)
            {
                op.Backward(node);
            }
        }
        for (var i = 0; i <= loss.Index; i++)
        {
            var node = _nodes[i];
            if (node.RequiresGrad && node.Parameter is { } parameter && (!parameter.RowSparse || node.I0 == DenseUse))
            {
                parameter.TouchAll();
            }
        }
    }

    /// <summary>Marks a parameter leaf read by an operation that is not a row gather (its gradient is then dense).</summary>
    internal const int DenseUse = 1;

    /// <summary>Scratch storage for an operation, valid until the next reset.</summary>
    internal Segment<T> Rent(int length, bool clear) => _arena.Rent(length, clear);

    /// <summary>Records the output node of <paramref name="op"/> with fresh (uninitialised) storage.</summary>
    internal Node<T> Record(Op<T> op, Shape shape, Node<T> a, Node<T>? b = null, bool gathersRows = false)
    {
        var node = Add(shape);
        node.Op = op;
        node.A = a;
        node.B = b;
        node.Values = _arena.Rent(shape.Length, clear: false);
        node.RequiresGrad = a.RequiresGrad || (b?.RequiresGrad ?? false);
        if (!gathersRows)
        {
            MarkDense(a);
        }
        if (b is not null)
        {
            MarkDense(b);
        }
        return node;
    }

    /// <summary>Records the output node of an operation with a list of inputs (concatenation).</summary>
    internal Node<T> Record(Op<T> op, Shape shape, ReadOnlySpan<Node<T>> inputs)
    {
        var node = Add(shape);
        node.Op = op;
        node.Values = _arena.Rent(shape.Length, clear: false);
        foreach (var input in inputs)
        {
            node.Inputs.Add(input);
            node.RequiresGrad |= input.RequiresGrad;
            MarkDense(input);
        }
        return node;
    }

    /// <summary>Records a node that shares <paramref name="source"/>'s storage under another shape.</summary>
    internal Node<T> RecordView(Op<T> op, Shape shape, Node<T> source)
    {
        var node = Add(shape);
        node.Op = op;
        node.A = source;
        node.Values = source.Values;
        node.RequiresGrad = source.RequiresGrad;
        MarkDense(source);
        return node;
    }

    /// <summary>Checks that <paramref name="node"/> belongs to this tape and is current.</summary>
    internal void Own(Node<T> node, string argument)
    {
        ArgumentNullException.ThrowIfNull(node, argument);
        if (node.Tape != this || node.Index >= Count || _nodes[node.Index] != node)
        {
            throw new ArgumentException($"Input '{argument}' was not recorded on this tape since its last reset.", argument);
        }
    }

    private static void MarkDense(Node<T> input)
    {
        if (input.Parameter is { RowSparse: true })
        {
            input.I0 = DenseUse;
        }
    }

    private Node<T> Add(Shape shape)
    {
        if (_backwardDone)
        {
            throw new InvalidOperationException("Backward has run on this tape; reset it before recording a new step.");
        }
        if (Count == _nodes.Count)
        {
            _nodes.Add(new Node<T>(this, Count));
        }
        var node = _nodes[Count++];
        node.Shape = shape;
        return node;
    }
}
