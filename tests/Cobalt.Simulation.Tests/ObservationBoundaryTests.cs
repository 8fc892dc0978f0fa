using System.Reflection;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Policies.Catalog;
using Cobalt.Recommenders.Neural;
using Cobalt.Simulation.Experiments;
using Cobalt.Simulation.Paper;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Simulation.Tests;

/// <summary>
/// A policy sees only what a deployed recommender could observe. For every paper preset and every built-in experiment, this walks
/// every object a policy is handed (its build context, a round's decision context) and the policy itself, and fails if any of them
/// can reach a simulator, a world or an environment, or if an item's features are the simulator's own.
/// </summary>
public sealed class ObservationBoundaryTests
{
    public static TheoryData<string> Experiments()
    {
        var data = new TheoryData<string>();
        foreach (var world in new[] { "nrms-ips", "user-choice" })
        {
            foreach (var study in PaperStudies.Names)
            {
                data.Add($"paper {study} {world}");
            }
        }
        foreach (var preset in ExperimentPresets.Names)
        {
            data.Add($"preset {preset}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Experiments))]
    public void No_policy_can_reach_the_simulator(string experiment)
    {
        var parts = experiment.Split(' ');
        var specs = parts[0] == "paper"
            ? PaperStudies.Specs(parts[1], new PaperStudyOptions { World = parts[2], Neural = false, Trials = 1, Iterations = 1 })
            : [ExperimentPresets.Load(parts[1])];
        foreach (var spec in specs.DistinctBy(s => s.World))
        {
            var world = spec.World.Build();
            var environment = world.Create(ExperimentRunner.TrialSeed(spec.Seed, 0));
            var round = environment.Next();
            foreach (var policySpec in spec.Policies)
            {
                var context = PolicyBuildContext.For(environment, 7);
                var policy = PolicyCatalog.Build(policySpec, context);
                foreach (var handed in new object[] { context, round.Context, policy })
                {
                    var leak = Reachable(handed).FirstOrDefault(Forbidden);
                    leak.Should().BeNull($"{spec.Name}: {policySpec.DisplayName} must not reach a {leak?.GetType().FullName} through its {handed.GetType().Name}");
                }
            }
            if (world is UserChoiceWorld { Protocol: not null } userChoice)
            {
                var simulatorItems = userChoice.Simulator.Features.Items;
                var d = userChoice.Simulator.Features.ItemDimension;
                var catalog = round.Context.Candidates.Catalog!;
                for (var i = 0; i < catalog.Count; i += 97)
                {
                    catalog.Features.Row(i)[..d].ToArray().Should().NotEqual(simulatorItems.AsSpan(i * d, d).ToArray(), "item features must not be the simulator's");
                }
            }
        }
    }

    [Fact]
    public void No_neural_policy_can_reach_the_simulator()
    {
        var options = new PaperStudyOptions { Trials = 1, Iterations = 1, PretrainEpochs = 0 };
        var spec = PaperStudies.Specs("fig4", options)[0];
        var environment = spec.World.Build().Create(ExperimentRunner.TrialSeed(spec.Seed, 0));
        var round = environment.Next();
        // A small NRMS of the same shape: what the policy can reach does not depend on its width.
        var small = NeuralOptions.AsCodedNrms(100) with { Heads = 2, HeadDimension = 4, ProjectedDimension = 6, QueryDimension = 8, MaxTitleLength = 8, MaxHistory = 10 };
        foreach (var neural in spec.Policies.Where(p => p.DisplayName is "S-N-GALM-UCB" or "2-S-N-GALM-UCB"))
        {
            var policySpec = neural with { Options = (NeuralOptions)neural.Options with { Nrms = small } };
            var context = PolicyBuildContext.For(environment, 7);
            var policy = PolicyCatalog.Build(policySpec, context);
            policy.Select(round.Context, 5);
            var leak = Reachable(policy).FirstOrDefault(Forbidden);
            leak.Should().BeNull($"{policySpec.DisplayName} must not reach a {leak?.GetType().FullName}");
        }
    }

    [Fact]
    public void The_walk_finds_a_simulator_hidden_in_a_closure()
    {
        var world = new UserChoiceWorld(new UserChoiceWorldOptions { UsersPerTrial = 3 });
        Func<int> hidden = () => world.GetHashCode();
        var holder = new List<object> { new KnownInteraction(1, 2, true), hidden };

        Reachable(holder).Any(Forbidden).Should().BeTrue("a world captured by a lambda is reachable");
    }

    private static bool Forbidden(object o) =>
        o is IEnvironment or IWorld || (o.GetType().Namespace ?? "").StartsWith("Cobalt.Simulation", StringComparison.Ordinal);

    /// <summary>Every object reachable from <paramref name="root"/> through fields (public or not), array elements and delegate targets.</summary>
    private static IEnumerable<object> Reachable(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var queue = new Queue<object>();
        queue.Enqueue(root);
        while (queue.Count > 0 && seen.Count < 2_000_000)
        {
            var o = queue.Dequeue();
            if (!seen.Add(o))
            {
                continue;
            }
            yield return o;
            var type = o.GetType();
            if (type.IsArray)
            {
                if (!type.GetElementType()!.IsPrimitive)
                {
                    foreach (var element in (Array)o)
                    {
                        Enqueue(queue, element);
                    }
                }
                continue;
            }
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (!field.FieldType.IsPrimitive && !field.FieldType.IsPointer)
                    {
                        Enqueue(queue, field.GetValue(o));
                    }
                }
            }
        }
    }

    private static void Enqueue(Queue<object> queue, object? value)
    {
        if (value is null or string or MemberInfo or Module or Assembly or Pointer || value.GetType().IsPrimitive)
        {
            return;
        }
        if (value is Delegate d)
        {
            Enqueue(queue, d.Target);
            return;
        }
        queue.Enqueue(value);
    }
}
