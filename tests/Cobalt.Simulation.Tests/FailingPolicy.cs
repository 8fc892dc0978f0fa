using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Exploration;

namespace Cobalt.Simulation.Tests;

/// <summary>
/// Options of the test policy <c>test-fails-at</c>: uniformly random, its model throws on update number <see cref="FailAt"/>,
/// and its first estimate sleeps <see cref="SetupMilliseconds"/>.
/// </summary>
public sealed record FailAtOptions : PolicyOptions
{
    /// <summary>The update (1-based) that throws; 0 never throws.</summary>
    public int FailAt { get; init; } = 3;

    /// <summary>How long the first estimate takes: the one-time preparation a neural policy's pre-training stands for.</summary>
    public int SetupMilliseconds { get; init; }
}

/// <summary>A policy that fails mid-run the way a numeric model can (an exception with a programmer's message), or starts slowly.</summary>
internal static class FailingPolicy
{
    public const string Kind = "test-fails-at";

    public static void Register() => PolicyCatalog.Register(PolicyDefinition.Composed<FailAtOptions>(
        Kind, "Test only: uniformly random; its model throws on update fail-at, and its first estimate sleeps setup-milliseconds.", "tests", (o, _) => (new Model(o.FailAt, o.SetupMilliseconds), new Uniform())));

    private sealed class Model(int failAt, int setupMilliseconds) : IRewardModel
    {
        private int _updates;
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
            if (++_updates == failAt)
            {
                throw new ArgumentOutOfRangeException(nameof(feedback), 1e308, "The model's weights overflowed.");
            }
        }

        public void WriteState(StateWriter writer) => writer.Tag("test-fails-at");

        public void ReadState(StateReader reader) => reader.Tag("test-fails-at");
    }
}
