using Cobalt.Core.Configuration;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>
/// A simulated A/B test: for each of <see cref="EnvironmentSeeds"/> environments, every agent is trained on the
/// same log of <see cref="TrainUsers"/> users under the logging policy and then faces the same
/// <see cref="TestUsers"/> fresh users (common random numbers). Defaults: the challenge setting.
/// </summary>
public sealed record AbTestSpec : IValidatable
{
    /// <summary>The environment's parameters.</summary>
    public RecoGymOptions World { get; init; } = new();

    /// <summary>Users in the training log.</summary>
    public int TrainUsers { get; init; } = 1_000;

    /// <summary>Users of the test.</summary>
    public int TestUsers { get; init; } = 10_000;

    /// <summary>Number of environments (worlds drawn from seeds derived from <see cref="Seed"/>).</summary>
    public int EnvironmentSeeds { get; init; } = 3;

    /// <summary>Root seed: every environment, user and agent stream derives from it.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The agents, in table order.</summary>
    public IReadOnlyList<AgentSpec> Agents { get; init; } = AgentCatalog.All.Select(d => AgentSpec.Default(d.Kind)).ToArray();

    /// <summary>The seed of environment <paramref name="index"/>.</summary>
    public ulong EnvironmentSeed(int index) => Core.Randomness.Seeds.Derive(Seed, "recogym/environment", index);

    /// <inheritdoc />
    public void Validate()
    {
        try
        {
            World.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under("world");
        }
        Require.AtLeast(TrainUsers, 0, nameof(TrainUsers));
        Require.AtLeast(TestUsers, 1, nameof(TestUsers));
        Require.AtLeast(EnvironmentSeeds, 1, nameof(EnvironmentSeeds));
        if (Agents is null || Agents.Count == 0)
        {
            throw new OptionsException("agents", "at least one agent is needed.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var agent in Agents)
        {
            var definition = AgentCatalog.Find(agent.Kind);
            if (!names.Add(agent.DisplayName))
            {
                throw new OptionsException("agents", $"two agents are named '{agent.DisplayName}'; give them different names.");
            }
            try
            {
                agent.Options.Validate();
            }
            catch (OptionsException e)
            {
                throw e.Under($"agents.{definition.Kind}");
            }
        }
    }
}
