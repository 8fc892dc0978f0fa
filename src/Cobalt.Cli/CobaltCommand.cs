using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Cobalt.Cli;

/// <summary>The <c>cobalt</c> command line: every subcommand hangs off this root.</summary>
public static class CobaltCommand
{
    /// <summary>Builds the root command.</summary>
    public static RootCommand Create()
    {
        Recommenders.TwoStage.RecommenderPolicies.Register();
        var root = new RootCommand("Cobalt: contextual-bandit recommendation engine and research toolkit.")
        {
            RunCommand.Create(),
            MergeCommand.Create(),
            RecoGymCommand.Create(),
            CatalogCommands.Policies(),
            CatalogCommands.Worlds(),
            DataCommand.Create(),
            SimulatorCommand.Create(),
            EvaluateCommand.Create(),
            PaperCommand.Create(),
            TrainNrmsCommand.Create(),
            ServeCommand.Create(),
            LoadCommand.Create(),
            StudyCommand.Create(),
        };
        CliOutput.Install(root);
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A usage error (unknown option or command, a value of the wrong type, a missing
    /// argument) is one plain line per problem and exit code 2, before anything runs; an unexpected failure is one line and exit code 1.
    /// </summary>
    public static int Invoke(string[] args)
    {
        CliOutput.PlainWhenRedirected();
        var parse = Create().Parse(args);
        if (parse.Action is not HelpAction && !parse.Tokens.Any(t => t.Value is "--version"))
        {
            var problems = UsageProblems(parse);
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    Errors.Print(problem);
                }
                CliOutput.Error($"See [bold]{Spectre.Console.Markup.Escape(CommandPath(parse.CommandResult))} --help[/].");
                return Errors.Usage;
            }
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            return Errors.Failed;
        }
        catch (Exception e)
        {
            return Errors.Unexpected(e);
        }
    }

    /// <summary>What is wrong with the command line, in plain words, or nothing.</summary>
    internal static IReadOnlyList<string> UsageProblems(ParseResult parse)
    {
        var problems = new List<string>();
        var command = CommandPath(parse.CommandResult);
        var unmatched = parse.UnmatchedTokens;
        foreach (var token in unmatched)
        {
            problems.Add(LooksLikeOption(token)
                ? $"unknown option '{token}' for {command}."
                : parse.CommandResult.Command.Subcommands.Count > 0
                    ? $"unknown command '{token}' for {command}; the commands are {string.Join(", ", parse.CommandResult.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}."
                    : $"unexpected argument '{token}' for {command}.");
        }
        // An argument that looks like an option (`run --foo`) was taken as the argument's value: it is an unknown option.
        for (SymbolResult? result = parse.CommandResult; result is CommandResult c; result = c.Parent)
        {
            foreach (var argument in c.Children.OfType<ArgumentResult>())
            {
                foreach (var token in argument.Tokens.Where(t => LooksLikeOption(t.Value)))
                {
                    problems.Add($"unknown option '{token.Value}' for {CommandPath(c)}.");
                }
            }
        }
        foreach (var error in parse.Errors)
        {
            if (unmatched.Any(token => error.Message.Contains($"'{token}'", StringComparison.Ordinal))
                || (unmatched.Count > 0 && error.SymbolResult is CommandResult { Command.Action: null }))
            {
                continue; // said above: an unknown command stands where a command was needed
            }
            problems.Add(Describe(error, parse));
        }
        return problems.Distinct().ToArray();
    }

    private static string Describe(ParseError error, ParseResult parse)
    {
        var (symbol, type, tokens) = error.SymbolResult switch
        {
            ArgumentResult { Parent: OptionResult option } a => ((Symbol)option.Option, a.Argument.ValueType, a.Tokens),
            ArgumentResult a => (a.Argument, a.Argument.ValueType, a.Tokens),
            OptionResult o => (o.Option, o.Option.ValueType, o.Tokens),
            _ => (null, null, (IReadOnlyList<Token>)[]),
        };
        if (symbol is not null && type is not null && Kind(type) is { } kind && tokens.FirstOrDefault(t => !Parses(t.Value, type)) is { } bad)
        {
            return $"{Name(symbol)}: '{bad.Value}' is not {kind}.";
        }
        if (error.SymbolResult is CommandResult { Command: { Action: null, Subcommands.Count: > 0 } parent } && parse.CommandResult.Command == parent)
        {
            return $"{CommandPath(parse.CommandResult)} needs a command: {string.Join(", ", parent.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}.";
        }
        return symbol is null ? error.Message : $"{Name(symbol)}: {error.Message}";
    }

    private static string Name(Symbol symbol) => symbol is Argument ? $"<{symbol.Name}>" : symbol.Name;

    /// <summary>What a value of <paramref name="type"/> is, in words, for the types a number is parsed into; null for other types.</summary>
    private static string? Kind(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(uint) || t == typeof(ulong) => "a whole number of at least 0",
        var t when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number",
        var t when t == typeof(bool) => "true or false",
        _ => null,
    };

    private static bool Parses(string text, Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(long) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(uint) => uint.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(ulong) => ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(bool) => bool.TryParse(text, out _),
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
    };

    /// <summary>An option-like token: a dash and a letter (<c>-x</c>, <c>--foo</c>), not a negative number or a lone dash.</summary>
    private static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult c; result = c.Parent)
        {
            names.Add(c.Parent is null ? "cobalt" : c.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
