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
        var table = new Table().Border(TableBorder.Simple).AddColumns("option", "type", "default", "meaning");
        foreach (var option in options)
        {
            table.AddRow(Markup.Escape(option.Name), Markup.Escape(option.Type), Markup.Escape(option.Default), Markup.Escape(option.Description));
        }
        AnsiConsole.Write(table);
    }
}
