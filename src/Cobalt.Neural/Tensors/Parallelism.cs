namespace Cobalt.Neural.Tensors;

/// <summary>
/// How many threads the kernels may use, and how much work a call needs before it is split at all.
/// </summary>
/// <remarks>
/// Every kernel that runs in parallel splits only its <em>output</em>: each output element is computed by
/// exactly one thread with the same sequence of floating-point operations as on one thread, and no value is
/// ever summed across threads. Results are therefore bit-identical whatever <see cref="MaxThreads"/> is.
/// </remarks>
public sealed class Parallelism
{
    /// <summary>The default minimum work for splitting a call (about 50 microseconds of work on one core).</summary>
    public const long DefaultMinWork = 1 << 17;

    private readonly ParallelOptions _options;

    /// <summary>Creates the setting.</summary>
    /// <param name="maxThreads">Most threads one kernel call uses; 1 runs everything on the calling thread.</param>
    /// <param name="minWork">Multiply-adds (or element operations) below which a call stays on one thread.</param>
    public Parallelism(int maxThreads, long minWork = DefaultMinWork)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxThreads);
        ArgumentOutOfRangeException.ThrowIfNegative(minWork);
        MaxThreads = maxThreads;
        MinWork = minWork;
        _options = new ParallelOptions { MaxDegreeOfParallelism = maxThreads };
    }

    /// <summary>Most threads one kernel call uses.</summary>
    public int MaxThreads { get; }

    /// <summary>Work below which a call stays on one thread.</summary>
    public long MinWork { get; }

    /// <summary>One thread.</summary>
    public static Parallelism Sequential { get; } = new(1);

    /// <summary>One thread per logical processor.</summary>
    public static Parallelism AllCores { get; } = new(Environment.ProcessorCount);

    /// <summary><paramref name="threads"/> threads, or one per logical processor when it is 0.</summary>
    public static Parallelism Of(int threads, long minWork = DefaultMinWork)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        ArgumentOutOfRangeException.ThrowIfNegative(minWork);
        return new Parallelism(threads == 0 ? Environment.ProcessorCount : threads, minWork);
    }

    /// <summary>
    /// Runs <paramref name="body"/> over the blocks [0, <paramref name="blocks"/>), in parallel when there is more than one
    /// block, more than one thread allowed, and at least <see cref="MinWork"/> work in all.
    /// </summary>
    public void For(int blocks, long work, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (blocks <= 1 || MaxThreads <= 1 || work < MinWork)
        {
            for (var i = 0; i < blocks; i++)
            {
                body(i);
            }
            return;
        }
        Parallel.For(0, blocks, _options, body);
    }

    /// <summary>
    /// Splits the range [0, <paramref name="count"/>) into contiguous chunks (a multiple of <paramref name="granularity"/> long)
    /// and runs <paramref name="body"/>(start, end) on each, in parallel when it pays (see <see cref="For"/>).
    /// </summary>
    public void ForRange(int count, int granularity, long work, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0)
        {
            return;
        }
        var threads = MaxThreads <= 1 || work < MinWork ? 1 : MaxThreads;
        if (threads == 1)
        {
            body(0, count);
            return;
        }
        // A few chunks per thread balance uneven progress; chunk boundaries do not affect the results.
        var chunks = Math.Min(threads * 4, (count + granularity - 1) / granularity);
        var chunkLength = (count + chunks - 1) / chunks;
        chunkLength = (chunkLength + granularity - 1) / granularity * granularity;
        chunks = (count + chunkLength - 1) / chunkLength;
        For(chunks, work, i => body(i * chunkLength, Math.Min(count, (i + 1) * chunkLength)));
    }
}
