using System.CommandLine;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Worlds;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt policies</c> and <c>cobalt worlds</c>: what can be named in an experiment, with every option.</summary>
internal static class CatalogCommands
{
    public static Command Policies()
    {
        var command = new Command("policies", "List the policies with their options and defaults.");
        command.SetAction(_ =>
        {
            foreach (var definition in PolicyCatalog.All)
            {
                Describe(definition.Kind, $"{definition.Summary} [{definition.Source}]", definition.OptionsType);
            }
            Document("policies", PolicyCatalog.All.Select(d => (d.Kind, d.Summary, (string?)d.Source, d.OptionsType)));
            return 0;
        });
        return command;
    }

    public static Command Worlds()
    {
        var command = new Command("worlds", "List the simulated worlds with their options and defaults.");
        command.SetAction(_ =>
        {
            foreach (var definition in WorldCatalog.All)
            {
                Describe(definition.Kind, definition.Summary, definition.OptionsType);
            }
            Document("worlds", WorldCatalog.All.Select(d => (d.Kind, d.Summary, (string?)null, d.OptionsType)));
            return 0;
        });
        return command;
    }

    private static void Describe(string kind, string summary, Type optionsType)
    {
        AnsiConsole.MarkupLine($"[bold blue]{Markup.Escape(kind)}[/]  {Markup.Escape(summary)}");
        var options = OptionsBinder.Describe(optionsType);
        if (options.Count == 0)
        {
            return;
        }
        var table = new Reporting.MarkdownTable("option", "type", "default", "meaning");
        foreach (var option in options)
        {
            table.AddRow(option.Name, option.Type, option.Default, option.Description);
        }
        AnsiConsole.Write(Tables.From(table));
    }

    /// <summary>With --json: <c>{"command", KEY: [{"kind", "summary", "source"?, "options": [{"name", "type", "default", "meaning"}]}]}</c>.</summary>
    private static void Document(string key, IEnumerable<(string Kind, string Summary, string? Source, Type OptionsType)> definitions) =>
        CliOutput.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("command", key);
            w.WriteStartArray(key);
            foreach (var (kind, summary, source, optionsType) in definitions)
            {
                w.WriteStartObject();
                w.WriteString("kind", kind);
                w.WriteString("summary", summary);
                if (source is not null)
                {
                    w.WriteString("source", source);
                }
                w.WriteStartArray("options");
                foreach (var option in OptionsBinder.Describe(optionsType))
                {
                    w.WriteStartObject();
                    w.WriteString("name", option.Name);
                    w.WriteString("type", option.Type);
                    w.WriteString("default", option.Default);
                    w.WriteString("meaning", option.Description);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
}
