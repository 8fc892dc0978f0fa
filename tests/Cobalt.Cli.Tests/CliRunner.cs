using Cobalt.Cli;
using Spectre.Console;

namespace Cobalt.Cli.Tests;

/// <summary>Runs the <c>cobalt</c> command in process with plain, captured console output.</summary>
internal static class CliRunner
{
    /// <summary>The exit code and everything the command wrote.</summary>
    public static (int Exit, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        try
        {
            return (CobaltCommand.Create().Parse(args).Invoke(), output.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }
}
