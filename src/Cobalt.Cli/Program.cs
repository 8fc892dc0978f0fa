using Cobalt.Cli;
using Spectre.Console;

if (Console.IsOutputRedirected)
{
    // Redirected output is plain text: no colours, links or cursor movement in a log file.
    AnsiConsole.Profile.Capabilities.Ansi = false;
    AnsiConsole.Profile.Capabilities.Links = false;
    AnsiConsole.Profile.Capabilities.ColorSystem = ColorSystem.NoColors;
    AnsiConsole.Profile.Capabilities.Interactive = false;
}

return CobaltCommand.Invoke(args);
