using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>
/// Non-contextual per-action statistics: the empirical mean reward of each action and the
/// UCB1 width sqrt(2 ln t / n_a), +infinity for an action never tried (Auer, Cesa-Bianchi and Fischer 2002).
/// </summary>
public sealed class ArmMeanModel : IRewardModel
{
    private readonly Dictionary<int, (long Count, double Sum)> _arms = [];
    private long _total;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ids = context.Candidates.Ids;
        var logTotal = Math.Log(Math.Max(_total, 1));
        for (var i = 0; i < ids.Length; i++)
        {
            if (_arms.TryGetValue(ids[i], out var arm))
            {
                mean[i] = arm.Sum / arm.Count;
                uncertainty[i] = Math.Sqrt(2.0 * logTotal / arm.Count);
            }
            else
            {
                mean[i] = 0;
                uncertainty[i] = double.PositiveInfinity;
            }
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        foreach (var f in feedback)
        {
            var arm = _arms.GetValueOrDefault(f.ActionId);
            _arms[f.ActionId] = (arm.Count + 1, arm.Sum + f.Reward);
            _total++;
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("arm-means");
        writer.Write(_total);
        writer.Write(_arms.Count);
        foreach (var id in _arms.Keys.Order())
        {
            writer.Write(id);
            writer.Write(_arms[id].Count);
            writer.Write(_arms[id].Sum);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("arm-means");
        _total = reader.ReadInt64();
        var count = reader.ReadInt32();
        _arms.Clear();
        for (var i = 0; i < count; i++)
        {
            _arms[reader.ReadInt32()] = (reader.ReadInt64(), reader.ReadDouble());
        }
    }
}
