namespace Cobalt.Reporting;

/// <summary>A table column: its header and how its cells are aligned.</summary>
/// <param name="Header">The header text.</param>
/// <param name="Alignment">How the column's cells are aligned.</param>
public sealed record TableColumn(string Header, ColumnAlignment Alignment = ColumnAlignment.Left);
