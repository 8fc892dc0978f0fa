using Cobalt.Core.Configuration;
using Cobalt.Reporting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cobalt.Cli;

/// <summary>
/// How the command line reports a problem: one red line naming it, in plain words (no <c>(Parameter 'x')</c>, no .NET type
/// names, no stack trace). Exit codes: 0 done; 1 something failed while running (a policy failed, the report of the others was
/// written; or an unexpected failure); 2 a usage or input error (bad option, bad file, nothing was run).
/// </summary>
internal static class Errors
{
    /// <summary>Exit code of a usage or input error: nothing was run.</summary>
    public const int Usage = 2;

    /// <summary>Exit code of a failure while running (a policy failed, or an unexpected error).</summary>
    public const int Failed = 1;

    /// <summary>Prints <paramref name="message"/> as a usage or input error and returns <see cref="Usage"/>.</summary>
    public static int Report(string message)
    {
        Print(message);
        return Usage;
    }

    /// <summary>Prints <paramref name="message"/> as a failure while running and returns <see cref="Failed"/>.</summary>
    public static int Fail(string message)
    {
        Print(message);
        return Failed;
    }

    /// <summary>Prints <paramref name="message"/> as an error line, in plain words.</summary>
    public static void Print(string message) =>
        CliOutput.Error($"[red]error:[/] {Markup.Escape(PlainMessages.Plain(message))}");

    /// <summary>An error no command expected: its message in plain words, the trace only when COBALT_TRACE is set; returns <see cref="Failed"/>.</summary>
    public static int Unexpected(Exception error)
    {
        while (error is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            error = aggregate.InnerExceptions[0];
        }
        Print($"{PlainMessages.Of(error)} (an unexpected failure; set COBALT_TRACE=1 to see where it happened)");
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("COBALT_TRACE")))
        {
            AnsiConsole.WriteLine(error.ToString());
        }
        return Failed;
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
