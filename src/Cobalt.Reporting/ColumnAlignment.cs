namespace Cobalt.Reporting;

/// <summary>Horizontal alignment of a table column.</summary>
public enum ColumnAlignment
{
    /// <summary>Align to the left (text).</summary>
    Left,

    /// <summary>Align to the right (numbers).</summary>
    Right,

    /// <summary>Centre the content.</summary>
    Center,
}
