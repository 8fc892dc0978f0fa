using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Exploration;

namespace Cobalt.Simulation.Tests;

/// <summary>Options of the test policy <c>test-slow-start</c>: uniformly random, and its first estimate sleeps <see cref="SetupMilliseconds"/>.</summary>
public sealed record SlowStartOptions : PolicyOptions
{
    /// <summary>How long the first estimate takes (the one-time preparation a neural policy's pre-training stands for).</summary>
    public int SetupMilliseconds { get; init; } = 500;
}

/// <summary>A policy whose first choice carries a one-time preparation, as a neural policy that pre-trains on its first context.</summary>
internal static class SlowStartPolicy
{
    public const string Kind = "test-slow-start";

    public static void Register() => PolicyCatalog.Register(PolicyDefinition.Composed<SlowStartOptions>(
        Kind, "Test only: uniformly random; its first estimate sleeps setup-milliseconds.", "tests", (o, _) => (new Model(o.SetupMilliseconds), new Uniform())));

    private sealed class Model(int setupMilliseconds) : IRewardModel
    {
        private bool _prepared;

        public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
        {
            if (!_prepared)
            {
                Thread.Sleep(setupMilliseconds);
                _prepared = true;
            }
            mean.Clear();
            uncertainty.Clear();
        }

        public void Update(ReadOnlySpan<Feedback> feedback)
        {
        }

        public void WriteState(StateWriter writer) => writer.Tag("test-slow-start");

        public void ReadState(StateReader reader) => reader.Tag("test-slow-start");
    }
}
