using System.Globalization;
using System.Text;

namespace Cobalt.Neural.Tensors;

/// <summary>
/// The dimensions of a dense row-major tensor of rank 0 to 4 (a scalar has rank 0 and one element).
/// A value type with no heap storage, so building shapes in a training step allocates nothing.
/// </summary>
/// <remarks>
/// Row-major: the last dimension is contiguous; element (i0, i1, i2, i3) of a [d0, d1, d2, d3] tensor
/// is at ((i0 d1 + i1) d2 + i2) d3 + i3. Rank 4 covers every tensor of the attention layers
/// ([batch, heads, positions, head dimension]).
/// </remarks>
public readonly struct Shape : IEquatable<Shape>
{
    /// <summary>The largest rank supported.</summary>
    public const int MaxRank = 4;

    private readonly int _d0, _d1, _d2, _d3;

    private Shape(int rank, int d0, int d1, int d2, int d3)
    {
        Rank = rank;
        _d0 = d0;
        _d1 = d1;
        _d2 = d2;
        _d3 = d3;
        long length = 1;
        for (var i = 0; i < rank; i++)
        {
            var d = this[i];
            if (d < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(d0), $"Dimension {i} of a shape is {d}; dimensions must be at least 0.");
            }
            length *= d;
        }
        if (length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(d0), $"A tensor of shape {this} would hold {length} elements, more than an array can.");
        }
        Length = (int)length;
    }

    /// <summary>The scalar shape (rank 0, one element).</summary>
    public static Shape Scalar => new(0, 0, 0, 0, 0);

    /// <summary>A vector [d0].</summary>
    public static Shape Of(int d0) => new(1, d0, 0, 0, 0);

    /// <summary>A matrix [d0, d1].</summary>
    public static Shape Of(int d0, int d1) => new(2, d0, d1, 0, 0);

    /// <summary>A rank-3 tensor [d0, d1, d2].</summary>
    public static Shape Of(int d0, int d1, int d2) => new(3, d0, d1, d2, 0);

    /// <summary>A rank-4 tensor [d0, d1, d2, d3].</summary>
    public static Shape Of(int d0, int d1, int d2, int d3) => new(4, d0, d1, d2, d3);

    /// <summary>A shape from a list of dimensions (at most <see cref="MaxRank"/>).</summary>
    public static Shape Of(ReadOnlySpan<int> dimensions) => dimensions.Length switch
    {
        0 => Scalar,
        1 => Of(dimensions[0]),
        2 => Of(dimensions[0], dimensions[1]),
        3 => Of(dimensions[0], dimensions[1], dimensions[2]),
        4 => Of(dimensions[0], dimensions[1], dimensions[2], dimensions[3]),
        _ => throw new ArgumentException($"Tensors have rank at most {MaxRank}; got {dimensions.Length} dimensions.", nameof(dimensions)),
    };

    /// <summary>Number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>Number of elements (the product of the dimensions; 1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>Dimension <paramref name="axis"/>; a negative axis counts from the end (-1 is the last).</summary>
    public int this[int axis]
    {
        get
        {
            var a = axis < 0 ? axis + Rank : axis;
            return a switch
            {
                0 when Rank > 0 => _d0,
                1 when Rank > 1 => _d1,
                2 when Rank > 2 => _d2,
                3 when Rank > 3 => _d3,
                _ => throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} does not exist in a tensor of shape {this}."),
            };
        }
    }

    /// <summary>The last dimension (1 for a scalar).</summary>
    public int Last => Rank == 0 ? 1 : this[Rank - 1];

    /// <summary>The product of all dimensions but the last (the number of rows when the last axis is a row).</summary>
    public int Rows => Rank == 0 ? 1 : Last == 0 ? 0 : Length / Last;

    /// <summary>The dimensions, padded in front with ones to rank 4 (for broadcasting loops).</summary>
    internal (int D0, int D1, int D2, int D3) Padded4()
    {
        Span<int> d = [1, 1, 1, 1];
        for (var i = 0; i < Rank; i++)
        {
            d[MaxRank - Rank + i] = this[i];
        }
        return (d[0], d[1], d[2], d[3]);
    }

    /// <summary>The same dimensions with <paramref name="axis"/> set to <paramref name="value"/>.</summary>
    public Shape With(int axis, int value)
    {
        Span<int> d = stackalloc int[Rank];
        for (var i = 0; i < Rank; i++)
        {
            d[i] = this[i];
        }
        d[axis < 0 ? axis + Rank : axis] = value;
        return Of(d);
    }

    /// <inheritdoc />
    public bool Equals(Shape other)
    {
        if (Rank != other.Rank)
        {
            return false;
        }
        for (var i = 0; i < Rank; i++)
        {
            if (this[i] != other[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);

    /// <summary>Equality of rank and dimensions.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Inequality of rank or dimensions.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>The shape as written in messages, e.g. <c>[32, 20, 64]</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder("[");
        for (var i = 0; i < Rank; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }
            builder.Append(this[i].ToString(CultureInfo.InvariantCulture));
        }
        return builder.Append(']').ToString();
    }
}
