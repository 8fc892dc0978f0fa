using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Mixed;

/// <summary>The two algorithms of the mixed recommender.</summary>
public enum MixedAlgorithm
{
    /// <summary>Non-contextual UCB1 on per-action mean rewards.</summary>
    Ucb,

    /// <summary>LinUCB with one model per action over the user's context.</summary>
    LinUcb,
}

/// <summary>
/// The dynamic adjustment of the mixed recommender (Chen 2024, section 2.4.2): the active algorithm plays
/// for n rounds; then the mean reward it earned in those rounds is compared with the mean reward the
/// other earned in its own latest period, and the better one plays the next n rounds.
/// </summary>
/// <remarks>
/// Only the active algorithm's reward can be observed, so "recent reward" is each algorithm's mean over its
/// latest period of play. UCB1 starts (it needs no context); LinUCB, not yet tried, takes the second period;
/// from then on the better latest mean wins, a tie keeping the active one. Both models keep learning from
/// every round, whichever chose it.
/// </remarks>
public sealed class DynamicSwitch : IStateful
{
    private readonly double[] _lastMean = [double.NaN, double.NaN];
    private double _periodReward;
    private int _periodRounds;

    /// <summary>Creates the switch with period n = <paramref name="period"/> rounds.</summary>
    public DynamicSwitch(int period)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(period);
        Period = period;
    }

    /// <summary>n: rounds per period.</summary>
    public int Period { get; }

    /// <summary>The algorithm that chooses now.</summary>
    public MixedAlgorithm Active { get; private set; } = MixedAlgorithm.Ucb;

    /// <summary>Mean reward per round of <paramref name="algorithm"/>'s latest completed period (NaN before its first).</summary>
    public double LatestMean(MixedAlgorithm algorithm) => _lastMean[(int)algorithm];

    /// <summary>Rounds played in the current period.</summary>
    public int RoundsInPeriod => _periodRounds;

    /// <summary>Adds one round (its total reward) to the active algorithm's current period.</summary>
    public void Record(double roundReward)
    {
        if (!double.IsFinite(roundReward))
        {
            throw new ArgumentOutOfRangeException(nameof(roundReward), roundReward, "Rewards must be finite.");
        }
        _periodReward += roundReward;
        _periodRounds++;
    }

    /// <summary>Closes the period when n rounds have been played and chooses the next algorithm; true when it changed.</summary>
    public bool EndPeriodIfDue()
    {
        if (_periodRounds < Period)
        {
            return false;
        }
        var active = (int)Active;
        _lastMean[active] = _periodReward / _periodRounds;
        _periodReward = 0;
        _periodRounds = 0;
        var other = 1 - active;
        var next = double.IsNaN(_lastMean[other]) || _lastMean[other] > _lastMean[active] ? other : active;
        var changed = next != active;
        Active = (MixedAlgorithm)next;
        return changed;
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("dynamic-switch");
        writer.Write((int)Active);
        writer.Write(_lastMean);
        writer.Write(_periodReward);
        writer.Write(_periodRounds);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("dynamic-switch");
        var active = reader.ReadInt32();
        if (active is not (0 or 1))
        {
            throw new InvalidDataException($"The saved dynamic switch names algorithm {active}, which does not exist.");
        }
        Active = (MixedAlgorithm)active;
        reader.ReadInto(_lastMean, "latest period means");
        _periodReward = reader.ReadDouble();
        _periodRounds = reader.ReadInt32();
    }
}
