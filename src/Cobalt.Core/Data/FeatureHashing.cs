using System.Text;

namespace Cobalt.Core.Data;

/// <summary>
/// Signed feature hashing of named features into a fixed dimension, with Vowpal Wabbit's hashes: MurmurHash3 x86 32-bit
/// (Appleby), namespaces seeding their features' hashes, string values chained onto their names, and quadratic
/// interactions combined with the FNV prime.
/// </summary>
/// <remarks>
/// Ported from VowpalWabbit/vowpal_wabbit @872fd8d (behaviour, not code):
/// <list type="bullet">
/// <item><c>vowpalwabbit/common/include/vw/common/hash.h</c>: <c>uniform_hash</c> = MurmurHash3_x86_32 over the UTF-8
/// bytes (<see cref="Murmur3(ReadOnlySpan{byte}, uint)"/>).</item>
/// <item><c>vowpalwabbit/core/include/vw/core/hashstring.h</c>: VW's default hasher <c>hashstring</c> trims ASCII
/// whitespace and control characters, and hashes a run of decimal digits as its number plus the seed (<see cref="HashString"/>).</item>
/// <item><c>vowpalwabbit/json_parser/src/json_utils.h</c> (<c>push_ns</c>): a namespace's hash is
/// <c>hashstring(name, seed 0)</c> (<see cref="Namespace"/>); <c>parse_example_json.cc</c> (<c>Float</c>, <c>Bool</c>): a
/// numeric or true feature <c>key</c> has hash <c>hashstring(key, namespace hash)</c> (<see cref="Numeric"/>), false and 0
/// add nothing; with <c>--chain_hash</c> (<c>vw.h</c>, <c>chain_hash_static</c>) a string feature <c>key: value</c> has hash
/// <c>hashstring(value, hashstring(key, namespace hash))</c> (<see cref="Categorical"/>), its value's spaces, tabs, '|' and
/// ':' written as '_' first (<c>parse_example_json.cc</c>, <c>String</c>).</item>
/// <item><c>vowpalwabbit/core/include/vw/core/interactions_predict.h</c>: a quadratic feature of (h1, v1) and (h2, v2) has
/// index <c>(FNV_PRIME * h1) ^ h2</c> with <c>FNV_PRIME = 16777619</c> and value v1 v2 (<see cref="Quadratic"/>).</item>
/// </list>
/// VW then masks a hash to its 2^b weights; here a 32-bit hash h goes to index <c>h mod D</c> of a D-dimensional vector
/// (the same as VW's mask when D = 2^b), with sign +1 when bit 31 of h is 0 and -1 otherwise (Weinberger et al. 2009,
/// "Feature hashing for large scale multitask learning", section 2: the sign hash makes inner products unbiased under
/// collisions; VW itself has no sign). Bit 31 never feeds the index when D is a power of two up to 2^31. As in VW, a
/// digit-only string hashes to its number plus the seed, so the values "1", "2", ... of one name land in consecutive
/// buckets (distinct, usually of one sign).
/// </remarks>
public static class FeatureHashing
{
    /// <summary>The 32-bit FNV prime VW combines interaction hashes with.</summary>
    public const uint FnvPrime = 16777619;

    /// <summary>MurmurHash3_x86_32 of <paramref name="data"/> with <paramref name="seed"/> (VW's <c>uniform_hash</c>).</summary>
    /// <remarks>Blocks of 4 bytes, little-endian; c1 = 0xcc9e2d51, c2 = 0x1b873593; body h = rotl(h ^ k, 13) * 5 + 0xe6546b64;
    /// tail; h ^= length; the fmix32 finaliser.</remarks>
    public static uint Murmur3(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = (uint)(data[4 * i] | data[(4 * i) + 1] << 8 | data[(4 * i) + 2] << 16 | data[(4 * i) + 3] << 24);
            k *= c1;
            k = uint.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = uint.RotateLeft(h, 13);
            h = (h * 5) + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3:
                t ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                t ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                t ^= tail[0];
                t *= c1;
                t = uint.RotateLeft(t, 15);
                t *= c2;
                h ^= t;
                break;
            default:
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>MurmurHash3_x86_32 of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static uint Murmur3(string text, uint seed)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Murmur3(Encoding.UTF8.GetBytes(text), seed);
    }

    /// <summary>
    /// VW's default string hasher (<c>hashstring</c>): leading and trailing bytes up to 0x20 are dropped; what is left is
    /// hashed as its decimal number plus the seed when it is only digits, else with <see cref="Murmur3(ReadOnlySpan{byte}, uint)"/>.
    /// </summary>
    public static uint HashString(string text, uint seed)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = text.Length <= 128 ? stackalloc byte[3 * 128] : new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        var bytes = buffer[..Encoding.UTF8.GetBytes(text, buffer)];
        while (bytes.Length > 0 && bytes[0] <= 0x20)
        {
            bytes = bytes[1..];
        }
        while (bytes.Length > 0 && bytes[^1] <= 0x20)
        {
            bytes = bytes[..^1];
        }
        ulong number = 0; // VW accumulates in size_t and truncates to 32 bits
        foreach (var b in bytes)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return Murmur3(bytes, seed);
            }
            number = unchecked((10 * number) + (ulong)(b - '0'));
        }
        return unchecked((uint)number + seed);
    }

    /// <summary>The hash of a namespace: <c>hashstring(name, 0)</c>; it seeds the hashes of the namespace's features.</summary>
    public static uint Namespace(string name) => HashString(name, 0);

    /// <summary>The hash of a numeric (or true boolean) feature <paramref name="name"/> in the namespace of hash <paramref name="namespaceHash"/>.</summary>
    public static uint Numeric(uint namespaceHash, string name) => HashString(name, namespaceHash);

    /// <summary>
    /// The hash of the one-hot feature <c>name = value</c> (VW's chain hash): <c>hashstring(value', hashstring(name, namespace))</c>,
    /// where value' has spaces, tabs, '|' and ':' replaced by '_' (as VW's JSON parser escapes string values).
    /// </summary>
    public static uint Categorical(uint namespaceHash, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var escaped = value.AsSpan().IndexOfAny(" \t|:") < 0
            ? value
            : string.Create(value.Length, value, (span, v) =>
            {
                for (var i = 0; i < v.Length; i++)
                {
                    span[i] = v[i] is ' ' or '\t' or '|' or ':' ? '_' : v[i];
                }
            });
        return HashString(escaped, HashString(name, namespaceHash));
    }

    /// <summary>The hash of the quadratic feature of two hashed features: <c>(FNV_PRIME * first) ^ second</c> (32-bit).</summary>
    public static uint Quadratic(uint first, uint second) => unchecked(FnvPrime * first) ^ second;

    /// <summary>The index of hash <paramref name="hash"/> in a vector of <paramref name="dimension"/> entries: <c>hash mod D</c>.</summary>
    public static int Index(uint hash, int dimension) =>
        dimension > 0 ? (int)(hash % (uint)dimension) : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be positive.");

    /// <summary>The sign of hash <paramref name="hash"/>: +1 when bit 31 is 0, else -1.</summary>
    public static double Sign(uint hash) => (hash & 0x8000_0000u) == 0 ? 1.0 : -1.0;

    /// <summary>Adds <c>sign(h) value</c> at <c>index(h)</c> of <paramref name="destination"/>.</summary>
    public static void Add(uint hash, double value, Span<double> destination) =>
        destination[Index(hash, destination.Length)] += Sign(hash) * value;
}
