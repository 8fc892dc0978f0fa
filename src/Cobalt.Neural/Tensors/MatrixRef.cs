namespace Cobalt.Neural.Tensors;

/// <summary>
/// A matrix view into an array: element (i, j) is <c>Array[Offset + i * RowStride + j * ColumnStride]</c>.
/// A transposed view of a row-major matrix swaps the strides, so no data is copied.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public readonly struct MatrixRef<T>
{
    /// <summary>Creates the view, checking that every element lies inside <paramref name="array"/>.</summary>
    public MatrixRef(T[] array, int offset, int rows, int columns, int rowStride, int columnStride)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(rowStride);
        ArgumentOutOfRangeException.ThrowIfNegative(columnStride);
        if (rows > 0 && columns > 0)
        {
            var last = offset + (long)(rows - 1) * rowStride + (long)(columns - 1) * columnStride;
            if (offset < 0 || last >= array.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(array), $"A {rows} x {columns} view at offset {offset} with strides ({rowStride}, {columnStride}) reaches element {last} of an array of {array.Length}.");
            }
        }
        Array = array;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    /// <summary>The backing array.</summary>
    public T[] Array { get; }

    /// <summary>Index of element (0, 0).</summary>
    public int Offset { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Distance between rows.</summary>
    public int RowStride { get; }

    /// <summary>Distance between columns (1 for a row-major matrix).</summary>
    public int ColumnStride { get; }

    /// <summary>The transposed view (no copy).</summary>
    public MatrixRef<T> Transposed() => new(Array, Offset, Columns, Rows, ColumnStride, RowStride);
}

/// <summary>Factories of <see cref="MatrixRef{T}"/>.</summary>
public static class MatrixRef
{
    /// <summary>A row-major <paramref name="rows"/> x <paramref name="columns"/> matrix stored contiguously from <paramref name="offset"/>.</summary>
    public static MatrixRef<T> RowMajor<T>(T[] array, int offset, int rows, int columns) => new(array, offset, rows, columns, columns, 1);

    /// <summary>A row-major matrix stored contiguously in <paramref name="segment"/>.</summary>
    public static MatrixRef<T> RowMajor<T>(Segment<T> segment, int rows, int columns) =>
        RowMajor(segment.Array ?? [], segment.Offset, rows, columns);

}
