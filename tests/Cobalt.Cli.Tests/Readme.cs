using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Cobalt.Cli.Tests;

/// <summary>The repository's README.md and its fenced code blocks, and a way to run a process with a time limit.</summary>
internal static partial class Readme
{
    /// <summary>The repository root (the folder holding Cobalt.slnx), found above the test's folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>README.md's text.</summary>
    public static string Text => File.ReadAllText(Path.Combine(Root, "README.md"));

    /// <summary>Every fenced block: its language tag ("" for none), the heading it is under, and its body.</summary>
    public static IReadOnlyList<(string Language, string Heading, string Body)> Blocks()
    {
        var blocks = new List<(string, string, string)>();
        var heading = "";
        string? language = null;
        var body = new List<string>();
        foreach (var line in Text.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (language is null)
            {
                if (line.StartsWith('#'))
                {
                    heading = line.TrimStart('#').Trim();
                }
                else if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    language = line[3..].Trim();
                    body.Clear();
                }
            }
            else if (line.StartsWith("```", StringComparison.Ordinal))
            {
                blocks.Add((language, heading, string.Join('\n', body)));
                language = null;
            }
            else
            {
                body.Add(line);
            }
        }
        return blocks;
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> in <paramref name="folder"/>; fails the test after <paramref name="timeout"/>.</summary>
    public static (int Exit, string Output, TimeSpan Elapsed) Run(string file, IEnumerable<string> arguments, string folder, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} ran longer than {timeout}: {output.Result}{error.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result, clock.Elapsed);
    }

    /// <summary>Splits a shell command line into words: single and double quotes group, backslash escapes in double quotes.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var any = false;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < line.Length)
                {
                    word.Append(line[++i]);
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (any || word.Length > 0)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    any = false;
                }
            }
            else
            {
                word.Append(c);
            }
        }
        if (any || word.Length > 0)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>The command lines of the README's shell blocks that run cobalt: the words after <c>cobalt</c> (or <c>dotnet run --project src/Cobalt.Cli --</c>).</summary>
    public static IReadOnlyList<(string Line, List<string> Arguments)> CobaltCommands()
    {
        var commands = new List<(string, List<string>)>();
        foreach (var (language, _, body) in Blocks().Where(b => b.Language is "bash" or "sh" or ""))
        {
            foreach (var raw in body.Split('\n'))
            {
                var line = StripComment(raw);
                foreach (Match match in CommandStart().Matches(line))
                {
                    var rest = line[(match.Index + match.Length)..];
                    var end = CommandEnd().Match(rest);
                    var command = (end.Success && !line.Contains('[', StringComparison.Ordinal) ? rest[..end.Index] : rest).Trim();
                    commands.Add((raw.Trim(), Words(command)));
                }
            }
        }
        return commands;
    }

    /// <summary>A line without its trailing shell comment (a # after whitespace, outside quotes).</summary>
    public static string StripComment(string line)
    {
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }
        return line;
    }

    [GeneratedRegex(@"(?:^|;|&&|\bdo\b|\$\()\s*(?:cobalt|dotnet run --project src/Cobalt\.Cli --)(?=\s|$)")]
    private static partial Regex CommandStart();

    [GeneratedRegex(@"\s(?:;|&&|&|\||>)|;|\)$")]
    private static partial Regex CommandEnd();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cobalt.slnx")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No Cobalt.slnx above {AppContext.BaseDirectory}.");
    }
}
