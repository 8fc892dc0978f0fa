using System.Numerics;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// A learned tensor: its values, its accumulated gradient, and a name that identifies it in saved state
/// and in error messages.
/// </summary>
/// <remarks>
/// A <see cref="RowSparse"/> parameter (an embedding table) is read a row at a time by
/// <see cref="Ops.Gather{T}(Tape{T}, Node{T}, ReadOnlyMemory{int}, Shape)"/>; its gradient is accumulated
/// only into the rows that were read, which are listed in <see cref="TouchedRows"/>, so zeroing it and
/// updating it cost O(rows touched x row length), not O(table). A row-sparse parameter used by any other
/// operation gets a dense gradient for that step.
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Parameter<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool[] _touched;
    private readonly List<int> _touchedRows = [];
    private bool _denseGradient;

    /// <summary>A parameter of the given shape, all zeros.</summary>
    /// <exception cref="ArgumentException">The name is empty, or a row-sparse parameter is not a matrix.</exception>
    public Parameter(string name, Shape shape, bool rowSparse = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (rowSparse && shape.Rank != 2)
        {
            throw new ArgumentException($"Row-sparse parameter '{name}' must be a matrix [rows, columns], not {shape}.", nameof(shape));
        }
        Name = name;
        Shape = shape;
        RowSparse = rowSparse;
        Value = new T[shape.Length];
        Gradient = new T[shape.Length];
        _touched = rowSparse ? new bool[shape[0]] : [];
    }

    /// <summary>The name (unique within a model, e.g. <c>item.self-attention.query.weight</c>).</summary>
    public string Name { get; }

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>Whether the gradient is accumulated by rows (see remarks).</summary>
    public bool RowSparse { get; }

    /// <summary>Whether optimisers update this parameter (false freezes it, e.g. pretrained word vectors).</summary>
    public bool Trainable { get; set; } = true;

    /// <summary>The values (row-major).</summary>
    public T[] Value { get; }

    /// <summary>The accumulated gradient (row-major), zeroed by <see cref="ZeroGradient"/>.</summary>
    public T[] Gradient { get; }

    /// <summary>Whether a gradient has been accumulated since the last <see cref="ZeroGradient"/>.</summary>
    public bool HasGradient => _denseGradient || _touchedRows.Count > 0;

    /// <summary>Whether the accumulated gradient covers the whole tensor (not only <see cref="TouchedRows"/>).</summary>
    public bool DenseGradient => _denseGradient || !RowSparse;

    /// <summary>For a row-sparse parameter, the rows with a gradient since the last <see cref="ZeroGradient"/>, in increasing order.</summary>
    public IReadOnlyList<int> TouchedRows
    {
        get
        {
            _touchedRows.Sort();
            return _touchedRows;
        }
    }

    /// <summary>Length of one row (the last dimension; 1 for a scalar).</summary>
    public int RowLength => Shape.Last;

    /// <summary>Visits every stretch of the gradient that may be non-zero (the whole tensor, or each touched row) with its offset.</summary>
    public void ForEachGradientRun(Action<int, int> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        if (!HasGradient)
        {
            return;
        }
        if (DenseGradient)
        {
            visit(0, Value.Length);
            return;
        }
        foreach (var row in TouchedRows)
        {
            visit(row * RowLength, RowLength);
        }
    }

    /// <summary>Sets the gradient to zero (only the touched rows of a row-sparse parameter).</summary>
    public void ZeroGradient()
    {
        if (DenseGradient)
        {
            if (HasGradient)
            {
                Array.Clear(Gradient);
            }
        }
        else
        {
            foreach (var row in _touchedRows)
            {
                Array.Clear(Gradient, row * RowLength, RowLength);
            }
        }
        foreach (var row in _touchedRows)
        {
            _touched[row] = false;
        }
        _touchedRows.Clear();
        _denseGradient = false;
    }

    /// <summary>Records that row <paramref name="row"/> received gradient.</summary>
    internal void Touch(int row)
    {
        if (!_touched[row])
        {
            _touched[row] = true;
            _touchedRows.Add(row);
        }
    }

    /// <summary>Records that the whole gradient may be non-zero.</summary>
    internal void TouchAll() => _denseGradient = true;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Shape}";
}
