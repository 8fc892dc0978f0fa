using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using System.Text.Json;
using Cobalt.Reporting;
using Spectre.Console;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Cobalt.Cli.Tests")]

namespace Cobalt.Cli;

/// <summary>How a command writes what it has to say.</summary>
internal enum OutputMode
{
    /// <summary>For a person: tables, progress and the report's path on standard output.</summary>
    Normal,

    /// <summary><c>--json</c>: one JSON document on standard output; progress and notes on standard error.</summary>
    Json,

    /// <summary><c>--quiet</c>: only errors (standard error) and the final paths (standard output).</summary>
    Quiet,
}

/// <summary>
/// The command line's output layer. At a terminal the console has colours, rounded tables and progress bars. When standard
/// output is redirected, or <c>NO_COLOR</c> is set (https://no-color.org), or <c>TERM=dumb</c>, it is plain text: no ANSI
/// escapes, no terminal hyperlinks, no cursor movement, and tables are Markdown that never wraps, whatever their width.
/// <c>--json</c> (every command that prints results) writes one JSON document on standard output and nothing else there;
/// <c>--quiet</c> prints only errors and the final paths. <see cref="Install"/> wraps every command's action so that the
/// mode is set before it runs and restored after.
/// </summary>
internal static class CliOutput
{
    /// <summary>Width the console is given in plain mode, wider than any table, so that nothing wraps.</summary>
    private const int PlainWidth = 100_000;

    /// <summary>The <c>--json</c> option, on the root and every subcommand.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print the results as one JSON document on standard output (progress and notes go to standard error).",
        Recursive = true,
    };

    /// <summary>The <c>--quiet</c> option, on the root and every subcommand.</summary>
    public static readonly Option<bool> QuietOption = new("--quiet")
    {
        Description = "Print only errors and the paths of what was written.",
        Recursive = true,
    };

    /// <summary>The mode of the command now running.</summary>
    public static OutputMode Mode { get; private set; }

    /// <summary>True in <c>--json</c> mode.</summary>
    public static bool Json => Mode == OutputMode.Json;

    /// <summary>True when the console must be plain text (see <see cref="IsPlain"/>), or in <c>--json</c> and <c>--quiet</c> modes.</summary>
    public static bool Plain { get; private set; }

    /// <summary>The console of the person (or script) reading the results: standard output, as it was before the mode was set.</summary>
    private static IAnsiConsole? _results;

    /// <summary>
    /// True when output must be plain text: standard output <paramref name="redirected"/>, <c>NO_COLOR</c> set to anything
    /// non-empty, or <c>TERM</c> equal to <c>dumb</c>.
    /// </summary>
    public static bool IsPlain(bool redirected, string? noColor, string? term) =>
        redirected || !string.IsNullOrEmpty(noColor) || string.Equals(term, "dumb", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds <c>--json</c> and <c>--quiet</c> to <paramref name="root"/> and wraps every command's action in the output mode they choose.</summary>
    public static void Install(RootCommand root)
    {
        root.Options.Add(JsonOption);
        root.Options.Add(QuietOption);
        Wrap(root);
    }

    private static void Wrap(Command command)
    {
        command.Action = command.Action switch
        {
            SynchronousCommandLineAction sync => new SyncAction(sync),
            AsynchronousCommandLineAction async => new AsyncAction(async),
            var other => other,
        };
        foreach (var sub in command.Subcommands)
        {
            Wrap(sub);
        }
    }

    /// <summary>
    /// Makes the default console plain text when <see cref="IsPlain"/> says so, before any command runs: usage errors are
    /// printed before a command's own mode is set, and a redirected error must carry no escape sequences either.
    /// </summary>
    public static void PlainWhenRedirected()
    {
        if (IsPlain(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM")))
        {
            MakePlain(AnsiConsole.Console.Profile);
        }
    }

    /// <summary>Sets the mode for one command; disposing restores the console as it was.</summary>
    private static Scope Begin(ParseResult parse)
    {
        var previous = AnsiConsole.Console;
        var mode = parse.GetValue(JsonOption) ? OutputMode.Json : parse.GetValue(QuietOption) ? OutputMode.Quiet : OutputMode.Normal;
        var plain = mode != OutputMode.Normal || IsPlain(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM"));
        var scope = new Scope(previous, Mode, Plain, _results);
        if (plain)
        {
            MakePlain(previous.Profile);
        }
        _results = previous;
        (Mode, Plain) = (mode, plain);
        AnsiConsole.Console = mode switch
        {
            // Progress and notes: to standard error with --json, nowhere with --quiet.
            OutputMode.Json => PlainConsole(Console.Error),
            OutputMode.Quiet => PlainConsole(TextWriter.Null),
            _ => previous,
        };
        return scope;
    }

    private static IAnsiConsole PlainConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        MakePlain(console.Profile);
        return console;
    }

    private static void MakePlain(Profile profile)
    {
        profile.Capabilities.Ansi = false;
        profile.Capabilities.Links = false;
        profile.Capabilities.ColorSystem = ColorSystem.NoColors;
        profile.Capabilities.Interactive = false;
        profile.Width = PlainWidth;
    }

    /// <summary>
    /// Says where the results went (<paramref name="markup"/>, Spectre markup): on standard output normally and with
    /// <c>--quiet</c> (as plain text), on standard error with <c>--json</c>.
    /// </summary>
    public static void Final(string markup)
    {
        switch (Mode)
        {
            case OutputMode.Json:
                Console.Error.WriteLine(Markup.Remove(markup));
                break;
            case OutputMode.Quiet:
                (_results ?? AnsiConsole.Console).WriteLine(Markup.Remove(markup));
                break;
            default:
                AnsiConsole.MarkupLine(markup);
                break;
        }
    }

    /// <summary>Reports an error: on the console normally, on standard error with <c>--json</c> or <c>--quiet</c>.</summary>
    public static void Error(string markup)
    {
        if (Mode == OutputMode.Normal)
        {
            AnsiConsole.MarkupLine(markup);
        }
        else
        {
            Console.Error.WriteLine(Markup.Remove(markup));
        }
    }

    /// <summary>
    /// With <c>--json</c>, writes the document <paramref name="write"/> produces (one JSON object, indented) on standard
    /// output; otherwise does nothing.
    /// </summary>
    public static void Document(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!Json)
        {
            return;
        }
        Console.Out.Write(DocumentText(write));
        Console.Out.Flush();
    }

    /// <summary>The text of a JSON document: indented, <c>\n</c> line endings, ending with a newline.</summary>
    public static string DocumentText(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>Writes <c>"report": folder</c> (full path) and <c>"files": [...]</c> into the open object.</summary>
    public static void WriteReport(Utf8JsonWriter writer, string folder, IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString("report", Path.GetFullPath(folder));
        writer.WriteStartArray("files");
        foreach (var file in files)
        {
            writer.WriteStringValue(file);
        }
        writer.WriteEndArray();
    }

    /// <summary>Writes <paramref name="table"/> as the property <paramref name="name"/> (see <see cref="MarkdownTable.WriteJson"/>).</summary>
    public static void WriteTable(Utf8JsonWriter writer, string name, MarkdownTable table)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(table);
        writer.WritePropertyName(name);
        table.WriteJson(writer);
    }

    private sealed class Scope(IAnsiConsole console, OutputMode mode, bool plain, IAnsiConsole? results) : IDisposable
    {
        public void Dispose()
        {
            AnsiConsole.Console = console;
            (Mode, Plain, _results) = (mode, plain, results);
        }
    }

    private sealed class SyncAction(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            using var scope = Begin(parseResult);
            return inner.Invoke(parseResult);
        }
    }

    private sealed class AsyncAction(AsynchronousCommandLineAction inner) : AsynchronousCommandLineAction
    {
        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            using var scope = Begin(parseResult);
            return await inner.InvokeAsync(parseResult, cancellationToken).ConfigureAwait(false);
        }
    }
}
