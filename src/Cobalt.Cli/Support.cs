using Cobalt.Reporting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cobalt.Cli;

/// <summary>How the command line reports a problem: one red line naming it, exit code 2.</summary>
internal static class Errors
{
    public static int Report(string message)
    {
        CliOutput.Error($"[red]error:[/] {Markup.Escape(message)}");
        return 2;
    }
}

/// <summary>Renders report tables in the terminal.</summary>
internal static class Tables
{
    /// <summary>
    /// A rounded Spectre table at a terminal; the Markdown table itself (padded, never wrapped) when the console is plain
    /// (redirected, <c>NO_COLOR</c>, <c>TERM=dumb</c>); nothing with <c>--json</c>, whose document holds the numbers.
    /// </summary>
    public static IRenderable From(MarkdownTable source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (CliOutput.Json)
        {
            return Text.Empty;
        }
        if (CliOutput.Plain)
        {
            return new Text(source.ToMarkdown());
        }
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
