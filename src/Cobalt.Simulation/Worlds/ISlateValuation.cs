using Cobalt.Core.Contracts;
using Cobalt.Core.Data;

namespace Cobalt.Simulation.Worlds;

/// <summary>
/// An environment whose slates are not worth the sum of their items' expected rewards (for example
/// probabilistic coverage, where an item's value depends on the items above it). Its regret must be
/// measured with these values, not with <see cref="Round.OptimalValue"/> and <see cref="Round.ExpectedValue"/>.
/// </summary>
public interface ISlateValuation
{
    /// <summary>Expected total reward of the slate <paramref name="decision"/> chose in <paramref name="round"/>.</summary>
    double SlateValue(Round round, Decision decision);

    /// <summary>Expected total reward of the benchmark slate of <paramref name="slateSize"/> items in <paramref name="round"/>.</summary>
    double BestSlateValue(Round round, int slateSize);
}
