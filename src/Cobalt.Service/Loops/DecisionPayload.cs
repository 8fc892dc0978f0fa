using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Cobalt.Service.Loops;

/// <summary>
/// The compact binary decision payload, version 2 (<c>"CBD2"</c>): features as float32, no field names, no JSON, the
/// candidates' ids and features in one <em>action block</em> that a store may keep once per loop and reference by its hash.
/// </summary>
/// <remarks>
/// <para>Layout (little-endian): <c>"CBD2"</c>, the first 16 bytes of the SHA-256 of the body, then the body:
/// flags (1 byte: 1 = values are float32, else float64; 2 = the action block is referenced; 4 = first-slot probabilities
/// follow), the context length, the number of candidates n, the number of action features and the slate size k (int32
/// each), the context values, the action block (or, when referenced, the first 16 bytes of its SHA-256), k chosen
/// positions (int32), k propensities and, with flag 4, n first-slot probabilities (float64 both: the propensities are
/// logged exactly).</para>
/// <para>The action block is flags (1 byte), n and the number of features (int32 each), n action ids (int32) and the
/// features. It is content-addressed: a referenced block is found by its hash and checked against it, so a damaged or
/// swapped block is reported as damage, as a payload failing its own checksum is.</para>
/// <para>Values are written as float32 when every one of them is finite as a float32 (features are rounded to float32,
/// about 7 significant digits: what the learners learn from, identically on every replica); otherwise the whole payload
/// uses float64.</para>
/// </remarks>
internal static class DecisionPayload
{
    /// <summary>Bytes of a checksum and of a block reference.</summary>
    public const int HashLength = 16;

    /// <summary>Action blocks shorter than this stay inline (a reference and a table row would cost more than they save).</summary>
    public const int MinSharedBlock = 256;

    private const byte Float32 = 1;
    private const byte Referenced = 2;
    private const byte HasFirstSlot = 4;
    private const int Header = 4 + HashLength;
    private const int Counts = 1 + (4 * 4);

    /// <summary>The magic of this version.</summary>
    public static ReadOnlySpan<byte> Magic => "CBD2"u8;

    /// <summary>Serialises a decision, self-contained (its action block inline).</summary>
    public static byte[] Write(StoredDecision decision)
    {
        RequireLittleEndian();
        var f32 = FitsFloat32(decision.Context) && FitsFloat32(decision.ActionFeatures);
        var width = f32 ? 4 : 8;
        var n = decision.ActionIds.Length;
        var k = decision.Chosen.Length;
        var block = BlockLength(n, decision.ActionFeatures.Length, width);
        var length = Header + Counts + (decision.Context.Length * width) + block + (k * 12) + (decision.FirstSlot is null ? 0 : n * 8);
        var bytes = new byte[length];
        var span = bytes.AsSpan(Header);
        span[0] = (byte)((f32 ? Float32 : 0) | (decision.FirstSlot is null ? 0 : HasFirstSlot));
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], decision.Context.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[5..], n);
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], decision.ActionFeatures.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[13..], k);
        var at = Counts;
        at += WriteValues(span[at..], decision.Context, f32);
        span[at++] = f32 ? Float32 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], n);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], decision.ActionFeatures.Length);
        at += 8;
        at += WriteInts(span[at..], decision.ActionIds);
        at += WriteValues(span[at..], decision.ActionFeatures, f32);
        at += WriteInts(span[at..], decision.Chosen);
        at += WriteDoubles(span[at..], decision.Propensities);
        if (decision.FirstSlot is not null)
        {
            at += WriteDoubles(span[at..], decision.FirstSlot);
        }
        System.Diagnostics.Debug.Assert(at == span.Length);
        Seal(bytes);
        return bytes;
    }

    /// <summary>
    /// For a store: a self-contained version-2 payload whose action block is at least <see cref="MinSharedBlock"/> bytes
    /// becomes a compact payload that references the block by <paramref name="hash"/>, and the block to keep once. False
    /// (nothing to share) for other payloads, which are stored as given, and for a payload failing its checksum.
    /// </summary>
    public static bool TrySplit(byte[] payload, out byte[] compact, out byte[] hash, out byte[] block)
    {
        compact = hash = block = [];
        if (payload is null || payload.Length < Header + Counts || !payload.AsSpan().StartsWith(Magic))
        {
            return false;
        }
        var body = payload.AsSpan(Header);
        var flags = body[0];
        if ((flags & Referenced) != 0)
        {
            return false;
        }
        var width = (flags & Float32) != 0 ? 4 : 8;
        long contextLength = BinaryPrimitives.ReadInt32LittleEndian(body[1..]);
        long n = BinaryPrimitives.ReadInt32LittleEndian(body[5..]);
        long features = BinaryPrimitives.ReadInt32LittleEndian(body[9..]);
        if (contextLength < 0 || n < 0 || features < 0)
        {
            return false;
        }
        var start = Counts + (contextLength * width);
        var length = BlockLength(n, features, width);
        if (length < MinSharedBlock || start + length > body.Length || !Verify(payload))
        {
            return false; // small blocks stay inline (checked first: the checksum is then not computed twice)
        }
        block = body.Slice((int)start, (int)length).ToArray();
        hash = SHA256.HashData(block)[..HashLength];
        compact = new byte[payload.Length - block.Length + HashLength];
        var target = compact.AsSpan(Header);
        body[..(int)start].CopyTo(target);
        target[0] |= Referenced;
        hash.CopyTo(target[(int)start..]);
        body[(int)(start + length)..].CopyTo(target[((int)start + HashLength)..]);
        Seal(compact);
        return true;
    }

    /// <summary>Reads a version-2 payload (<paramref name="payload"/> starts with <see cref="Magic"/>); <paramref name="block"/> is the referenced action block, if any.</summary>
    public static bool TryRead(byte[] payload, byte[]? block, out StoredDecision decision, out string problem)
    {
        RequireLittleEndian();
        decision = StoredDecision.Damaged;
        if (payload.Length < Header + Counts)
        {
            problem = $"the decision payload is truncated ({payload.Length} bytes)";
            return false;
        }
        if (!Verify(payload))
        {
            problem = "the decision payload does not match its SHA-256 checksum";
            return false;
        }
        ReadOnlySpan<byte> body = payload.AsSpan(Header);
        var flags = body[0];
        var f32 = (flags & Float32) != 0;
        var width = f32 ? 4 : 8;
        var contextLength = BinaryPrimitives.ReadInt32LittleEndian(body[1..]);
        var n = BinaryPrimitives.ReadInt32LittleEndian(body[5..]);
        var features = BinaryPrimitives.ReadInt32LittleEndian(body[9..]);
        var k = BinaryPrimitives.ReadInt32LittleEndian(body[13..]);
        if (contextLength < 0 || n < 0 || features < 0 || k < 0)
        {
            problem = "the decision payload cannot be read: a negative length";
            return false;
        }
        var blockLength = BlockLength(n, features, width);
        var expected = Counts + ((long)contextLength * width) + ((flags & Referenced) != 0 ? HashLength : blockLength) + (12L * k) + ((flags & HasFirstSlot) != 0 ? 8L * n : 0);
        if (expected != body.Length)
        {
            problem = $"the decision payload cannot be read: its lengths need {expected} bytes, it has {body.Length}";
            return false;
        }
        var at = Counts;
        var context = ReadValues(body.Slice(at, contextLength * width), f32);
        at += contextLength * width;
        ReadOnlySpan<byte> actions;
        if ((flags & Referenced) != 0)
        {
            var reference = body.Slice(at, HashLength);
            at += HashLength;
            if (block is null)
            {
                problem = "the decision payload's action block is missing from the store";
                return false;
            }
            if (block.Length != blockLength || !SHA256.HashData(block).AsSpan(0, HashLength).SequenceEqual(reference))
            {
                problem = "the decision payload's action block does not match its SHA-256 reference";
                return false;
            }
            actions = block;
        }
        else
        {
            actions = body.Slice(at, (int)blockLength);
            at += (int)blockLength;
        }
        if (actions[0] != (f32 ? Float32 : 0) || BinaryPrimitives.ReadInt32LittleEndian(actions[1..]) != n || BinaryPrimitives.ReadInt32LittleEndian(actions[5..]) != features)
        {
            problem = "the decision payload's action block does not match its counts";
            return false;
        }
        var ids = MemoryMarshal.Cast<byte, int>(actions.Slice(9, n * 4)).ToArray();
        var actionFeatures = ReadValues(actions[(9 + (n * 4))..], f32);
        var chosen = MemoryMarshal.Cast<byte, int>(body.Slice(at, k * 4)).ToArray();
        at += k * 4;
        var propensities = MemoryMarshal.Cast<byte, double>(body.Slice(at, k * 8)).ToArray();
        at += k * 8;
        var firstSlot = (flags & HasFirstSlot) != 0 ? MemoryMarshal.Cast<byte, double>(body.Slice(at, n * 8)).ToArray() : null;
        decision = new StoredDecision(context, ids, actionFeatures, chosen, propensities, firstSlot);
        problem = "";
        return true;
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Decision payloads are written and read on little-endian machines only.");
        }
    }

    private static long BlockLength(long n, long features, int width) => 1 + 8 + (n * 4) + (features * width);

    private static bool FitsFloat32(double[] values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite((float)value))
            {
                return false;
            }
        }
        return true;
    }

    private static int WriteValues(Span<byte> target, double[] values, bool f32)
    {
        if (!f32)
        {
            return WriteDoubles(target, values);
        }
        var floats = MemoryMarshal.Cast<byte, float>(target[..(values.Length * 4)]);
        for (var i = 0; i < values.Length; i++)
        {
            floats[i] = (float)values[i];
        }
        return values.Length * 4;
    }

    private static int WriteDoubles(Span<byte> target, double[] values)
    {
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(target);
        return values.Length * 8;
    }

    private static int WriteInts(Span<byte> target, int[] values)
    {
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(target);
        return values.Length * 4;
    }

    private static double[] ReadValues(ReadOnlySpan<byte> source, bool f32)
    {
        if (!f32)
        {
            return MemoryMarshal.Cast<byte, double>(source).ToArray();
        }
        var floats = MemoryMarshal.Cast<byte, float>(source);
        var values = new double[floats.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = floats[i];
        }
        return values;
    }

    private static void Seal(byte[] bytes)
    {
        Magic.CopyTo(bytes);
        SHA256.HashData(bytes.AsSpan(Header))[..HashLength].CopyTo(bytes.AsSpan(4));
    }

    private static bool Verify(byte[] bytes) => SHA256.HashData(bytes.AsSpan(Header)).AsSpan(0, HashLength).SequenceEqual(bytes.AsSpan(4, HashLength));
}
