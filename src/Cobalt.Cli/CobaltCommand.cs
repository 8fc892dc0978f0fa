using System.CommandLine;

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
}
