namespace Cobalt.Core.Data;

/// <summary>
/// A dense row-major matrix of finite feature values: one row per action (or item).
/// Construction rejects NaN and infinite entries, so nothing downstream has to.
/// </summary>
public sealed class FeatureMatrix
{
    private readonly double[] _values;

    /// <summary>Wraps <paramref name="values"/> (row-major, <paramref name="rows"/> x <paramref name="columns"/>) after checking every entry is finite.</summary>
    /// <exception cref="ArgumentException">The length does not match, or an entry is NaN or infinite (the message names row and column).</exception>
    public FeatureMatrix(int rows, int columns, double[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rows * columns)
        {
            throw new ArgumentException($"A {rows} x {columns} feature matrix needs {(long)rows * columns} values, got {values.Length}.", nameof(values));
        }
        var bad = FirstNonFinite(values);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Feature value at row {bad / Math.Max(columns, 1)}, column {bad % Math.Max(columns, 1)} is {values[bad]}; features must be finite.",
                nameof(values));
        }
        Rows = rows;
        Columns = columns;
        _values = values;
    }

    /// <summary>Number of rows (actions).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (feature dimension).</summary>
    public int Columns { get; }

    /// <summary>The values, row-major.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The values, row-major, as memory (for caches that keep a reference).</summary>
    public ReadOnlyMemory<double> Memory => _values;

    /// <summary>Row <paramref name="row"/> as a span.</summary>
    public ReadOnlySpan<double> Row(int row) => _values.AsSpan(row * Columns, Columns);

    /// <summary>Builds a matrix from row arrays (all of the same length).</summary>
    public static FeatureMatrix FromRows(IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = rows.Count == 0 ? 0 : rows[0].Length;
        var values = new double[rows.Count * columns];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != columns)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} features; row 0 has {columns}.", nameof(rows));
            }
            rows[i].CopyTo(values, i * columns);
        }
        return new FeatureMatrix(rows.Count, columns, values);
    }

    /// <summary>Index of the first NaN or infinite value, or -1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<double> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
