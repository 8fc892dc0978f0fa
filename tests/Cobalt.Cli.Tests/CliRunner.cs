using System.Globalization;
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
            return (CobaltCommand.Invoke(args), output.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }

    /// <summary>Runs the command with standard output and error captured too (csv and json go there, not through the console).</summary>
    public static (int Exit, string Console, string Out, string Error) RunCaptured(params string[] args)
    {
        var (previousOut, previousError) = (System.Console.Out, System.Console.Error);
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        System.Console.SetOut(output);
        System.Console.SetError(error);
        try
        {
            var (exit, console) = Run(args);
            return (exit, console, output.ToString(), error.ToString());
        }
        finally
        {
            System.Console.SetOut(previousOut);
            System.Console.SetError(previousError);
        }
    }
}
