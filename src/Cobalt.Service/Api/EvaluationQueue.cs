using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Cobalt.Service.Api;

/// <summary>The loop's evaluation queue is full: try again after <see cref="RetryAfterSeconds"/>.</summary>
public sealed class EvaluationQueueFullException(string loop, int retryAfterSeconds)
    : Exception($"Loop '{loop}' already has an evaluation running and {EvaluationQueue.QueueLength} waiting; try again in {retryAfterSeconds} s (or repeat an identical request, which shares the running one).")
{
    /// <summary>Seconds until a retry is likely to find room.</summary>
    public int RetryAfterSeconds { get; } = retryAfterSeconds;

    /// <summary>Creates the exception (prefer the primary constructor).</summary>
    public EvaluationQueueFullException()
        : this("(unknown)", 1)
    {
    }

    /// <summary>Creates the exception (prefer the primary constructor).</summary>
    public EvaluationQueueFullException(string message, Exception inner)
        : this(message, 1) => _ = inner;
}

/// <summary>
/// Runs evaluations so that they cannot starve ranks: each loop has one worker and at most <see cref="QueueLength"/>
/// evaluations waiting behind it (more are refused with <see cref="EvaluationQueueFullException"/>, answered 429 with
/// Retry-After); across loops at most <see cref="MaxConcurrent"/> run at once (a quarter of the cores, at least one); and each
/// runs on its own background thread at a low CPU priority (Linux nice <see cref="Niceness"/>, elsewhere
/// <see cref="ThreadPriority.Lowest"/>), never on the thread pool that serves requests, so the scheduler gives rank calls
/// the CPU first. With SQLite the whole evaluation runs on that thread; with PostgreSQL the replay that follows the log
/// read may continue on a pool thread, so there the bounds, not the priority, are what protect ranks.
/// </summary>
internal sealed class EvaluationQueue : IDisposable
{
    /// <summary>Evaluations that may wait behind the running one of a loop.</summary>
    public const int QueueLength = 2;

    /// <summary>
    /// The Linux nice value of evaluation threads: 10 gives a thread about a tenth of the CPU weight of a normal one
    /// (CFS weights 110 vs 1024), so ranks win the CPU while evaluations still progress on a busy machine.
    /// </summary>
    public const int Niceness = 10;

    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _running;

    public EvaluationQueue(int? maxConcurrent = null)
    {
        MaxConcurrent = maxConcurrent ?? Math.Max(1, Environment.ProcessorCount / 4);
        _running = new SemaphoreSlim(MaxConcurrent);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _running.Dispose();
        foreach (var lane in _lanes.Values)
        {
            lane.Dispose();
        }
    }

    /// <summary>Evaluations running or waiting, over all loops.</summary>
    public int Pending => _lanes.Values.Sum(l => Volatile.Read(ref l.Pending));

    /// <summary>Evaluations that may run at once across all loops.</summary>
    public int MaxConcurrent { get; }

    /// <summary>Queues <paramref name="work"/> on the loop's lane.</summary>
    /// <exception cref="EvaluationQueueFullException">The loop's lane already holds one running and <see cref="QueueLength"/> waiting.</exception>
    public Task<T> Enqueue<T>(string loop, Func<Task<T>> work)
    {
        var lane = _lanes.GetOrAdd(loop, _ => new Lane());
        var pending = Interlocked.Increment(ref lane.Pending);
        if (pending > 1 + QueueLength)
        {
            Interlocked.Decrement(ref lane.Pending);
            var seconds = Math.Clamp((int)Math.Ceiling(QueueLength * Volatile.Read(ref lane.LastSeconds)), 1, 600);
            throw new EvaluationQueueFullException(loop, seconds);
        }
        return RunAsync(lane, work);
    }

    private async Task<T> RunAsync<T>(Lane lane, Func<Task<T>> work)
    {
        try
        {
            await lane.Worker.WaitAsync().ConfigureAwait(false);
            try
            {
                await _running.WaitAsync().ConfigureAwait(false);
                try
                {
                    var started = TimeProvider.System.GetTimestamp();
                    var result = await OnBackgroundThread(work).ConfigureAwait(false);
                    Volatile.Write(ref lane.LastSeconds, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
                    return result;
                }
                finally
                {
                    _running.Release();
                }
            }
            finally
            {
                lane.Worker.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref lane.Pending);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> to completion on a new low-priority thread. Linux threads inherit their creator's nice
    /// value, so the low-priority thread must never create threads the service goes on using: it does not complete the
    /// task itself (completing it would queue continuations that may start thread-pool workers from it); a normal-priority
    /// thread waits for it and completes the task.
    /// </summary>
    private static Task<T> OnBackgroundThread<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(() =>
        {
            T result = default!;
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                LowerPriority();
                try
                {
                    result = work().GetAwaiter().GetResult();
                }
                catch (Exception e)
                {
                    failure = e;
                }
            })
            {
                IsBackground = true,
                Name = "cobalt evaluation",
            };
            thread.Start();
            thread.Join();
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
            return result;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Lowers the calling thread's priority: per-thread nice on Linux, the thread priority elsewhere.</summary>
    private static void LowerPriority()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = NativeMethods.SetPriority(0 /* PRIO_PROCESS: on Linux, one thread when given its id */, NativeMethods.GetThreadId(), Niceness);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // No libc entry points: run at normal priority; the queue still bounds the load.
            }
        }
        else
        {
            Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        }
    }

    private sealed class Lane : IDisposable
    {
        public readonly SemaphoreSlim Worker = new(1);
        public int Pending;
        public double LastSeconds = 1;

        public void Dispose() => Worker.Dispose();
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetPriority(int which, int who, int priority);

        [DllImport("libc", EntryPoint = "gettid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetThreadId();
    }
}
