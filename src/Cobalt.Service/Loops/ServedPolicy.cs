using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Policies;

namespace Cobalt.Service.Loops;

/// <summary>
/// A loop's policy as served: <see cref="ExploredPolicy"/> (the policy as the scorer, every decision random with its exact
/// probability per slot) with the exploration the loop's options ask for.
/// </summary>
internal sealed class ServedPolicy : ExploredPolicy
{
    /// <summary>Wraps <paramref name="policy"/> as <paramref name="options"/> asks.</summary>
    /// <exception cref="OptionsException">The exploration asked for does not fit the policy (the message says why).</exception>
    public ServedPolicy(IPolicy policy, LoopOptions options)
        : base(policy, (options ?? throw new ArgumentNullException(nameof(options))).Exploration, options.Epsilon, options.SoftmaxTemperature, options.PolicySamples, Names.Kebab(nameof(LoopOptions.Exploration)))
    {
    }
}
