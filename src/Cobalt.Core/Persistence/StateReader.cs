using System.Runtime.InteropServices;
using System.Text;

namespace Cobalt.Core.Persistence;

/// <summary>Reads what <see cref="StateWriter"/> wrote; every mismatch is an <see cref="InvalidDataException"/> naming what was expected.</summary>
public sealed class StateReader : IDisposable
{
    private readonly BinaryReader _reader;

    /// <summary>Reads from <paramref name="stream"/> (left open).</summary>
    public StateReader(Stream stream) => _reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);

    /// <summary>Checks that the next section is <paramref name="name"/>.</summary>
    public void Tag(string name)
    {
        var found = Guard(_reader.ReadString);
        if (found != name)
        {
            throw new InvalidDataException($"Expected state section '{name}' but found '{found}': the state was written by a different component.");
        }
    }

    /// <summary>Reads an integer.</summary>
    public int ReadInt32() => Guard(_reader.ReadInt32);

    /// <summary>Reads a long.</summary>
    public long ReadInt64() => Guard(_reader.ReadInt64);

    /// <summary>Reads an unsigned long.</summary>
    public ulong ReadUInt64() => Guard(_reader.ReadUInt64);

    /// <summary>Reads a double.</summary>
    public double ReadDouble() => Guard(_reader.ReadDouble);

    /// <summary>Reads a boolean.</summary>
    public bool ReadBoolean() => Guard(_reader.ReadBoolean);

    /// <summary>Reads a string.</summary>
    public string ReadString() => Guard(_reader.ReadString);

    /// <summary>Reads a span of doubles into <paramref name="destination"/>, which must have the written length.</summary>
    public void ReadInto(Span<double> destination, string what)
    {
        var length = ReadInt32();
        if (length != destination.Length)
        {
            throw new InvalidDataException($"State '{what}' has {length} values; this component expects {destination.Length}.");
        }
        ReadExactly(MemoryMarshal.AsBytes(destination), what);
    }

    /// <summary>Reads a span of integers into <paramref name="destination"/>, which must have the written length.</summary>
    public void ReadInto(Span<int> destination, string what)
    {
        var length = ReadInt32();
        if (length != destination.Length)
        {
            throw new InvalidDataException($"State '{what}' has {length} values; this component expects {destination.Length}.");
        }
        ReadExactly(MemoryMarshal.AsBytes(destination), what);
    }

    /// <summary>Reads a length-prefixed array of doubles.</summary>
    public double[] ReadDoubles(string what, int maxLength = 1 << 28)
    {
        var length = ReadInt32();
        if (length < 0 || length > maxLength)
        {
            throw new InvalidDataException($"State '{what}' claims {length} values, which is not a valid length.");
        }
        var values = new double[length];
        ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()), what);
        return values;
    }

    /// <summary>Reads a length-prefixed array of integers (as written by <see cref="StateWriter.Write(ReadOnlySpan{int})"/>).</summary>
    public int[] ReadInts(string what, int maxLength = 1 << 28)
    {
        var length = ReadInt32();
        if (length < 0 || length > maxLength)
        {
            throw new InvalidDataException($"State '{what}' claims {length} values, which is not a valid length.");
        }
        var values = new int[length];
        ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()), what);
        return values;
    }

    /// <summary>Reads a length-prefixed array of bytes.</summary>
    public byte[] ReadBytes(string what, int maxLength = int.MaxValue)
    {
        var length = ReadInt32();
        if (length < 0 || length > maxLength)
        {
            throw new InvalidDataException($"State '{what}' claims {length} bytes, which is not a valid length.");
        }
        var bytes = new byte[length];
        ReadExactly(bytes, what);
        return bytes;
    }

    /// <summary>Restores a generator's state.</summary>
    public void ReadInto(Randomness.Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var state = (ReadUInt64(), ReadUInt64(), ReadUInt64(), ReadUInt64());
        try
        {
            rng.State = state;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("The saved random generator state is invalid.", e);
        }
    }

    /// <summary>Reads a map written by <see cref="StateWriter.Write{T}(IReadOnlyDictionary{int, T})"/>, creating values with <paramref name="create"/>.</summary>
    public Dictionary<int, T> ReadMap<T>(Func<int, T> create, string what)
        where T : IStateful
    {
        ArgumentNullException.ThrowIfNull(create);
        var count = ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"State '{what}' claims {count} entries.");
        }
        var map = new Dictionary<int, T>(Math.Min(count, 1 << 16));
        for (var i = 0; i < count; i++)
        {
            var key = ReadInt32();
            var value = create(key);
            value.ReadState(this);
            if (!map.TryAdd(key, value))
            {
                throw new InvalidDataException($"State '{what}' holds key {key} twice.");
            }
        }
        return map;
    }

    private void ReadExactly(Span<byte> destination, string what)
    {
        try
        {
            _reader.BaseStream.ReadExactly(destination);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"State '{what}' ends too early: the file is truncated or damaged.", e);
        }
    }

    private static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The state ends too early: the file is truncated or damaged.", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();
}
