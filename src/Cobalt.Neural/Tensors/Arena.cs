namespace Cobalt.Neural.Tensors;

/// <summary>A run of <see cref="Length"/> elements inside a pooled array: the storage of one tensor.</summary>
/// <typeparam name="T">Element type.</typeparam>
public readonly struct Segment<T>
{
    /// <summary>Wraps <paramref name="length"/> elements of <paramref name="array"/> from <paramref name="offset"/>.</summary>
    public Segment(T[] array, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(array);
        if ((uint)offset > (uint)array.Length || (uint)length > (uint)(array.Length - offset))
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"A segment of {length} elements at {offset} does not fit an array of {array.Length}.");
        }
        Array = array;
        Offset = offset;
        Length = length;
    }

    /// <summary>The backing array (null for the empty segment).</summary>
    public T[]? Array { get; }

    /// <summary>Index of the first element in <see cref="Array"/>.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Whether the segment has storage.</summary>
    public bool HasValue => Array is not null;

    /// <summary>The elements.</summary>
    public Span<T> Span => Array is null ? [] : Array.AsSpan(Offset, Length);
}

/// <summary>
/// A bump allocator of <typeparamref name="T"/> buffers that is reset, not freed, after every step:
/// the second and later steps of a training loop with the same shapes allocate nothing.
/// </summary>
/// <remarks>
/// Storage is a list of chunks. <see cref="Rent"/> takes the next free run of the current chunk, or moves
/// to the next chunk (creating one of at least <see cref="ChunkLength"/> elements) when it does not fit.
/// <see cref="Reset"/> rewinds to the first chunk; when the step needed more than one chunk, the chunks are
/// replaced by a single one that holds the whole step (with a quarter to spare), so steps of similar size
/// settle into one buffer instead of growing a list of odd-sized chunks. Rented buffers are not cleared
/// unless asked (the clear argument of <see cref="Rent"/>).
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Arena<T>
{
    /// <summary>The smallest chunk created (elements).</summary>
    public const int ChunkLength = 1 << 20;

    private readonly List<T[]> _chunks = [];
    private int _chunk;
    private int _used;
    private long _rented;

    /// <summary>Total elements held by all chunks (the high-water mark of the arena).</summary>
    public long Capacity { get; private set; }

    /// <summary>A buffer of <paramref name="length"/> elements, valid until the next <see cref="Reset"/>.</summary>
    public Segment<T> Rent(int length, bool clear)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        while (_chunk < _chunks.Count && _chunks[_chunk].Length - _used < length)
        {
            _chunk++;
            _used = 0;
        }
        if (_chunk == _chunks.Count)
        {
            var chunk = new T[Math.Max(ChunkLength, length)];
            _chunks.Add(chunk);
            Capacity += chunk.Length;
            _used = 0;
        }
        var segment = new Segment<T>(_chunks[_chunk], _used, length);
        _used += length;
        _rented += length;
        if (clear)
        {
            segment.Span.Clear();
        }
        return segment;
    }

    /// <summary>Makes every buffer free again (their contents are left as they are).</summary>
    public void Reset()
    {
        if (_chunk > 0)
        {
            var length = Math.Min(Array.MaxLength, Math.Max(ChunkLength, _rented + _rented / 4));
            _chunks.Clear();
            _chunks.Add(new T[length]);
            Capacity = length;
        }
        _chunk = 0;
        _used = 0;
        _rented = 0;
    }

    /// <summary>Makes every buffer free and gives the storage back to the garbage collector (the next step allocates anew).</summary>
    public void Release()
    {
        _chunks.Clear();
        Capacity = 0;
        _chunk = 0;
        _used = 0;
        _rented = 0;
    }
}
