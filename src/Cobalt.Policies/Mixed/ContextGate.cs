using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Mixed;

/// <summary>
/// Decides whether user context is informative (Chen 2024, section 2.4.1: LinUCB is favoured when context is
/// "present and deemed highly correlated with the decision"): over the last <see cref="Window"/> rounds with
/// context, LinUCB's squared prediction error must be lower than UCB1's.
/// </summary>
/// <remarks>
/// Each prediction is made before the model learns from that round (progressive validation), so it measures
/// how well each model generalises to the current user. Until min(50, window) rounds with context have been
/// seen, context is not yet deemed informative.
/// </remarks>
public sealed class ContextGate : IStateful
{
    private readonly double[] _linErrors;
    private readonly double[] _ucbErrors;
    private int _next;
    private int _filled;
    private double _linSum, _ucbSum;

    /// <summary>Creates the gate over the last <paramref name="window"/> rounds with context.</summary>
    public ContextGate(int window)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        Window = window;
        _linErrors = new double[window];
        _ucbErrors = new double[window];
    }

    /// <summary>Rounds with context compared.</summary>
    public int Window { get; }

    /// <summary>Rounds with context needed before context can be deemed informative.</summary>
    public int Minimum => Math.Min(50, Window);

    /// <summary>Rounds with context in the window now.</summary>
    public int Count => _filled;

    /// <summary>LinUCB's mean squared prediction error over the window.</summary>
    public double LinUcbError => _filled == 0 ? double.NaN : _linSum / _filled;

    /// <summary>UCB1's mean squared prediction error over the window.</summary>
    public double UcbError => _filled == 0 ? double.NaN : _ucbSum / _filled;

    /// <summary>Whether LinUCB currently predicts rewards of users with context better than UCB1.</summary>
    public bool Informative => _filled >= Minimum && _linSum < _ucbSum;

    /// <summary>Records one round with context: the reward and both models' predictions made before learning it.</summary>
    public void Record(double reward, double linUcbPrediction, double ucbPrediction)
    {
        var lin = (reward - linUcbPrediction) * (reward - linUcbPrediction);
        var ucb = (reward - ucbPrediction) * (reward - ucbPrediction);
        if (!double.IsFinite(lin) || !double.IsFinite(ucb))
        {
            throw new ArgumentOutOfRangeException(nameof(reward), "Rewards and predictions must be finite.");
        }
        if (_filled == Window)
        {
            _linSum -= _linErrors[_next];
            _ucbSum -= _ucbErrors[_next];
        }
        else
        {
            _filled++;
        }
        _linErrors[_next] = lin;
        _ucbErrors[_next] = ucb;
        _linSum += lin;
        _ucbSum += ucb;
        _next = (_next + 1) % Window;
        if (_next == 0)
        {
            // Re-sum once per pass so subtracting old errors cannot accumulate rounding.
            _linSum = System.Numerics.Tensors.TensorPrimitives.Sum<double>(_linErrors.AsSpan(0, _filled));
            _ucbSum = System.Numerics.Tensors.TensorPrimitives.Sum<double>(_ucbErrors.AsSpan(0, _filled));
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("context-gate");
        writer.Write(_next);
        writer.Write(_filled);
        writer.Write(_linSum);
        writer.Write(_ucbSum);
        writer.Write(_linErrors);
        writer.Write(_ucbErrors);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("context-gate");
        _next = reader.ReadInt32();
        _filled = reader.ReadInt32();
        if (_next < 0 || _next >= Window || _filled < 0 || _filled > Window)
        {
            throw new InvalidDataException($"The saved context gate (position {_next}, {_filled} rounds) does not fit a window of {Window}.");
        }
        _linSum = reader.ReadDouble();
        _ucbSum = reader.ReadDouble();
        reader.ReadInto(_linErrors, "LinUCB errors");
        reader.ReadInto(_ucbErrors, "UCB1 errors");
    }
}
