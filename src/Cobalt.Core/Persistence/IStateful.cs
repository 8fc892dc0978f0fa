namespace Cobalt.Core.Persistence;

/// <summary>A component whose learned state can be written and read back exactly.</summary>
public interface IStateful
{
    /// <summary>Writes the learned state.</summary>
    void WriteState(StateWriter writer);

    /// <summary>Replaces the learned state with what <paramref name="reader"/> holds.</summary>
    /// <exception cref="InvalidDataException">The state does not fit this component (the message says what differs).</exception>
    void ReadState(StateReader reader);
}
