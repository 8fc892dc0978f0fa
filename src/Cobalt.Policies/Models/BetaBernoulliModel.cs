using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// Independent Beta(alpha_a, beta_a) posteriors over each action's click probability. A reward r in
/// [0, 1] adds r to alpha and 1 - r to beta (the fractional form of the Bernoulli update).
/// The mean is alpha / (alpha + beta), the width the posterior standard deviation.
/// </summary>
/// <remarks>Thompson (1933); Chapelle and Li (2011), "An empirical evaluation of Thompson sampling".</remarks>
public sealed class BetaBernoulliModel(double priorAlpha = 1.0, double priorBeta = 1.0) : IRewardModel, IPosteriorSampler
{
    private readonly Dictionary<int, (double Alpha, double Beta)> _arms = [];

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ids = context.Candidates.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            var (a, b) = Posterior(ids[i]);
            var n = a + b;
            mean[i] = a / n;
            uncertainty[i] = Math.Sqrt(a * b / (n * n * (n + 1)));
        }
    }

    /// <inheritdoc />
    public void SamplePosterior(DecisionContext context, Span<double> draws, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rng);
        var ids = context.Candidates.Ids;
        for (var i = 0; i < ids.Length; i++)
        {
            var (a, b) = Posterior(ids[i]);
            draws[i] = rng.NextBeta(a, b);
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        RewardRange.RequireUnitInterval(feedback, "Beta-Bernoulli Thompson sampling");
        foreach (var f in feedback)
        {
            var (a, b) = Posterior(f.ActionId);
            _arms[f.ActionId] = (a + f.Reward, b + 1 - f.Reward);
        }
    }

    private (double Alpha, double Beta) Posterior(int id) =>
        _arms.TryGetValue(id, out var arm) ? arm : (priorAlpha, priorBeta);

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("beta-bernoulli");
        writer.Write(_arms.Count);
        foreach (var id in _arms.Keys.Order())
        {
            writer.Write(id);
            writer.Write(_arms[id].Alpha);
            writer.Write(_arms[id].Beta);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("beta-bernoulli");
        var count = reader.ReadInt32();
        _arms.Clear();
        for (var i = 0; i < count; i++)
        {
            _arms[reader.ReadInt32()] = (reader.ReadDouble(), reader.ReadDouble());
        }
    }
}
