using System.Security.Cryptography;
using System.Text;

namespace Cobalt.Core.Persistence;

/// <summary>
/// The versioned, checksummed container for saved state: which component wrote it (its kind and
/// its specification), then the state bytes, then their SHA-256.
/// </summary>
/// <remarks>
/// Layout: magic "COBALTST" | format version (int32) | kind (string) | specification (string, JSON) |
/// payload length (int64) | payload | SHA-256 of the payload (32 bytes).
/// Reading checks the magic, the version, the length and the checksum before any state is used.
/// </remarks>
public static class StateFile
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "COBALTST"u8;

    /// <summary>Header of a state file: what wrote it.</summary>
    /// <param name="Kind">The component kind (e.g. a policy's registry name).</param>
    /// <param name="Specification">The component's specification (JSON), enough to rebuild it.</param>
    public sealed record Header(string Kind, string Specification);

    /// <summary>Writes a state file to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, Header header, Action<StateWriter> writeState)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(writeState);
        using var payload = new MemoryStream();
        using (var writer = new StateWriter(payload))
        {
            writeState(writer);
        }
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        using var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        output.Write(Magic);
        output.Write(FormatVersion);
        output.Write(header.Kind);
        output.Write(header.Specification);
        output.Write((long)bytes.Length);
        output.Write(bytes);
        output.Write(SHA256.HashData(bytes));
    }

    /// <summary>
    /// Reads the state file at <paramref name="path"/>, which must be of kind <paramref name="kind"/> (called
    /// <paramref name="what"/> in an error, e.g. "a study shard"), and builds its content with <paramref name="load"/>
    /// (given the header's specification and the state).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a state file, another kind, truncated or damaged, or refused by <paramref name="load"/>; the message starts with the path.</exception>
    public static T ReadFile<T>(string path, string kind, string what, Func<string, StateReader, T> load)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(load);
        try
        {
            using var stream = File.OpenRead(path);
            var (header, state) = Read(stream);
            using (state)
            {
                if (header.Kind != kind)
                {
                    throw new InvalidDataException($"it holds '{header.Kind}', not {what}.");
                }
                return load(header.Specification, state);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads and verifies a state file; returns its header and a reader positioned at the state.</summary>
    /// <exception cref="InvalidDataException">Not a Cobalt state file, another format version, truncated, or damaged.</exception>
    public static (Header Header, StateReader State) Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var input = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            Span<byte> magic = stackalloc byte[8];
            if (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) != magic.Length || !magic.SequenceEqual(Magic))
            {
                throw new InvalidDataException("This is not a Cobalt state file (its first bytes are not 'COBALTST').");
            }
            var version = input.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"The state file has format version {version}; this build reads version {FormatVersion}.");
            }
            var header = new Header(input.ReadString(), input.ReadString());
            var length = input.ReadInt64();
            if (length < 0 || length > int.MaxValue)
            {
                throw new InvalidDataException($"The state file claims a payload of {length} bytes: it is damaged.");
            }
            var payload = ReadPayload(stream, length);
            var checksum = input.ReadBytes(32);
            if (checksum.Length != 32)
            {
                throw new InvalidDataException("The state file is truncated.");
            }
            if (!SHA256.HashData(payload).AsSpan().SequenceEqual(checksum))
            {
                throw new InvalidDataException("The state file's checksum does not match its content: it is damaged.");
            }
            return (header, new StateReader(new MemoryStream(payload, writable: false)));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The state file is truncated.", e);
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes in chunks, so a damaged length cannot make us allocate it up front.</summary>
    private static byte[] ReadPayload(Stream stream, long length)
    {
        if (stream.CanSeek && length > stream.Length - stream.Position)
        {
            throw new InvalidDataException($"The state file is truncated: it claims {length} bytes of state but holds {stream.Length - stream.Position}.");
        }
        using var payload = new MemoryStream();
        var buffer = new byte[81920];
        while (payload.Length < length)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length - payload.Length));
            if (read == 0)
            {
                throw new InvalidDataException("The state file is truncated.");
            }
            payload.Write(buffer, 0, read);
        }
        return payload.ToArray();
    }
}
