using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Policies.Catalog;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Studies;

/// <summary>Groups a study's runs into <see cref="ExperimentResult"/>s, so the experiment report's tables and curves apply.</summary>
public static class StudyResults
{
    /// <summary>The result of one configuration: its runs, grouped by policy in the order of <paramref name="policies"/>.</summary>
    public static ExperimentResult Group(string name, EnvironmentInfo world, IValidatable worldOptions, IReadOnlyList<PolicySpec> policies, IReadOnlyList<TrialRun> runs, int trials, int iterations, ulong seed, int slateSize = 1)
    {
        ArgumentNullException.ThrowIfNull(world);
        var spec = new ExperimentSpec
        {
            Name = name,
            Seed = seed,
            Trials = trials,
            Iterations = iterations,
            SlateSize = slateSize,
            World = new WorldSpec(world.Name, worldOptions),
            Policies = policies,
        };
        return new ExperimentResult(spec, world, runs);
    }

    /// <summary>CSV of every run's final cumulative regret: one row per (configuration, policy, trial).</summary>
    public static string FinalRegretCsv(string parameter, IReadOnlyList<(string Value, ExperimentResult Result)> configurations)
    {
        ArgumentNullException.ThrowIfNull(configurations);
        var rows = from c in configurations
                   from p in c.Result.Policies
                   from run in p.Trials
                   select (IReadOnlyList<string>)[c.Value, p.Name, run.Trial.ToString(CultureInfo.InvariantCulture), CsvWriter.FormatDouble(run.Regrets.Sum()), CsvWriter.FormatDouble(run.Rewards.Sum())];
        return CsvWriter.ToCsv([parameter, "policy", "trial", "cumulative_regret", "cumulative_reward"], rows);
    }
}
