using System.Runtime.InteropServices;
using System.Text;

namespace Cobalt.Core.Persistence;

/// <summary>Little-endian binary writer for learned state, with section tags that the reader checks.</summary>
public sealed class StateWriter : IDisposable
{
    private readonly BinaryWriter _writer;

    /// <summary>Writes to <paramref name="stream"/> (left open).</summary>
    public StateWriter(Stream stream) => _writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);

    /// <summary>A tag naming the section that follows; the reader insists on the same tag.</summary>
    public void Tag(string name) => _writer.Write(name);

    /// <summary>Writes an integer.</summary>
    public void Write(int value) => _writer.Write(value);

    /// <summary>Writes a long.</summary>
    public void Write(long value) => _writer.Write(value);

    /// <summary>Writes an unsigned long.</summary>
    public void Write(ulong value) => _writer.Write(value);

    /// <summary>How many NaN or infinite doubles were written so far (a finite model writes none: see the service's update guard).</summary>
    public long NonFiniteValues { get; private set; }

    /// <summary>Writes a double.</summary>
    public void Write(double value)
    {
        NonFiniteValues += double.IsFinite(value) ? 0 : 1;
        _writer.Write(value);
    }

    /// <summary>Writes a boolean.</summary>
    public void Write(bool value) => _writer.Write(value);

    /// <summary>Writes a string.</summary>
    public void Write(string value) => _writer.Write(value);

    /// <summary>Writes a length-prefixed span of doubles.</summary>
    public void Write(ReadOnlySpan<double> values)
    {
        foreach (var value in values)
        {
            NonFiniteValues += double.IsFinite(value) ? 0 : 1;
        }
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes a length-prefixed span of integers.</summary>
    public void Write(ReadOnlySpan<int> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes a length-prefixed span of bytes (for example a nested state file).</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        _writer.Write(bytes.Length);
        _writer.Write(bytes);
    }

    /// <summary>Writes a generator's state.</summary>
    public void Write(Randomness.Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var (s0, s1, s2, s3) = rng.State;
        _writer.Write(s0);
        _writer.Write(s1);
        _writer.Write(s2);
        _writer.Write(s3);
    }

    /// <summary>Writes a map of integer keys to stateful values, in key order (so the bytes are deterministic).</summary>
    public void Write<T>(IReadOnlyDictionary<int, T> map)
        where T : IStateful
    {
        ArgumentNullException.ThrowIfNull(map);
        _writer.Write(map.Count);
        foreach (var key in map.Keys.Order())
        {
            _writer.Write(key);
            map[key].WriteState(this);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
