using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Layers;

/// <summary>
/// A lookup table of vectors, one row per id: ids shaped S become vectors shaped S + [dimension].
/// The table is a row-sparse parameter, so a step costs O(ids x dimension) whatever the vocabulary size.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Embedding<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the table <c>{name}.table</c> [count, dimension], N(0, <paramref name="standardDeviation"/>²), with row <paramref name="paddingId"/> (if any) zero.</summary>
    public Embedding(ParameterSet<T> parameters, string name, int count, int dimension, Rng rng, double standardDeviation = 0.1, int? paddingId = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (paddingId is { } pad && (uint)pad >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(paddingId), pad, $"The padding id must be a row of the {count}-row table.");
        }
        Count = count;
        Dimension = dimension;
        PaddingId = paddingId;
        Table = parameters.Create($"{name}.table", Shape.Of(count, dimension), rowSparse: true);
        Initialise.Normal(Table, standardDeviation, rng);
        if (paddingId is { } p)
        {
            Table.Value.AsSpan(p * dimension, dimension).Clear();
        }
    }

    /// <summary>Number of rows (ids).</summary>
    public int Count { get; }

    /// <summary>Vector length.</summary>
    public int Dimension { get; }

    /// <summary>The id whose row starts at zero (padding), if any.</summary>
    public int? PaddingId { get; }

    /// <summary>The table [count, dimension].</summary>
    public Parameter<T> Table { get; }

    /// <summary>Sets row <paramref name="id"/> to <paramref name="vector"/> (e.g. a pretrained word vector).</summary>
    public void SetRow(int id, ReadOnlySpan<T> vector)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)Count, nameof(id));
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"Row {id} of '{Table.Name}' takes {Dimension} values, got {vector.Length}.", nameof(vector));
        }
        vector.CopyTo(Table.Value.AsSpan(id * Dimension, Dimension));
    }

    /// <summary>The vectors of <paramref name="ids"/> (shaped <paramref name="idShape"/>), as a tensor idShape + [dimension].</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a row of the table (its position is named).</exception>
    public Node<T> Forward(Tape<T> tape, ReadOnlyMemory<int> ids, Shape idShape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.Gather(tape.Parameter(Table), ids, idShape);
    }
}
