using Cobalt.Core.Data;
using Cobalt.Core.Persistence;

namespace Cobalt.Core.Contracts;

/// <summary>A bandit policy: chooses slates of distinct actions and learns from their rewards.</summary>
public interface IPolicy : IStateful
{
    /// <summary>Registry name of the policy kind (for example "linucb-shared").</summary>
    string Kind { get; }

    /// <summary>The policy's full specification as JSON (kind and options), enough to rebuild it.</summary>
    string Specification { get; }

    /// <summary>Chooses <paramref name="slateSize"/> distinct actions (fewer when there are fewer candidates).</summary>
    /// <exception cref="ArgumentException">The context has no candidates, or its features do not fit the policy.</exception>
    Decision Select(DecisionContext context, int slateSize = 1);

    /// <summary>Learns from a batch of feedback.</summary>
    void Update(ReadOnlySpan<Feedback> feedback);
}
