using Cobalt.Reporting;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>How the command line reports a problem: one red line naming it, exit code 2.</summary>
internal static class Errors
{
    public static int Report(string message)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return 2;
    }
}

/// <summary>Renders report tables in the terminal.</summary>
internal static class Tables
{
    public static Table From(MarkdownTable source)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in source.Columns)
        {
            var c = new Spectre.Console.TableColumn(Markup.Escape(column.Header));
            table.AddColumn(column.Alignment == ColumnAlignment.Right ? c.RightAligned() : c);
        }
        foreach (var row in source.Rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        return table;
    }
}
