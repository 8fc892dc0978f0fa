namespace Cobalt.Service.Loops;

/// <summary>
/// A loop's recent activity in memory, for the dashboard: a ring of one-second buckets over the last
/// <see cref="Seconds"/> seconds (an hour by default) holding the rank calls and rewards received in that second, and the
/// rewards learned for the decisions made in that second (default rewards included). Thread-safe; nothing is stored on disk,
/// so a restarted service starts with an empty history (the learner refills the learned rewards of the log tail it replays).
/// </summary>
/// <remarks>
/// A second <c>s</c> (Unix seconds) lives in slot <c>s mod Seconds</c>, tagged with <c>s</c>; a slot whose tag is older than
/// the second being written is stale and is cleared first, and a write for a second older than the window is dropped. The
/// mean reward of a bucket is <c>sum of learned rewards / number of learned slots</c>, in the loop's own reward range.
/// </remarks>
internal sealed class LoopActivity
{
    /// <summary>Seconds kept by default: one hour.</summary>
    public const int DefaultSeconds = 3600;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Slot[] _slots;

    /// <summary>Creates an empty history of <paramref name="seconds"/> one-second buckets read from <paramref name="time"/>.</summary>
    public LoopActivity(TimeProvider time, int seconds = DefaultSeconds)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 2);
        _time = time;
        _slots = new Slot[seconds];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i].Second = long.MinValue;
        }
    }

    /// <summary>How many seconds of history are kept.</summary>
    public int Seconds => _slots.Length;

    /// <summary>Counts one rank call (a logged decision) now.</summary>
    public void RecordRank()
    {
        var second = CurrentSecond();
        lock (_gate)
        {
            if (Writable(second, second) is { } i)
            {
                _slots[i].Ranks++;
            }
        }
    }

    /// <summary>Counts one accepted reward now.</summary>
    public void RecordReward()
    {
        var second = CurrentSecond();
        lock (_gate)
        {
            if (Writable(second, second) is { } i)
            {
                _slots[i].Rewards++;
            }
        }
    }

    /// <summary>
    /// Records the rewards learned for one event, in the bucket of the second its decision was made; a missing reward
    /// (not finite) counts as <paramref name="defaultReward"/>, as the learner learns it. Events older than the window are ignored.
    /// </summary>
    public void RecordLearned(long createdMilliseconds, ReadOnlySpan<double> rewards, double defaultReward)
    {
        if (rewards.IsEmpty)
        {
            return;
        }
        var sum = 0.0;
        foreach (var reward in rewards)
        {
            sum += double.IsFinite(reward) ? reward : defaultReward;
        }
        var now = CurrentSecond();
        var second = Math.Min((createdMilliseconds - Mod(createdMilliseconds, 1000)) / 1000, now);
        lock (_gate)
        {
            if (Writable(second, now) is { } i)
            {
                _slots[i].Learned += rewards.Length;
                _slots[i].RewardSum += sum;
            }
        }
    }

    /// <summary>
    /// The last <paramref name="count"/> buckets of <paramref name="step"/> seconds each, oldest first; the last one holds
    /// the current second and starts at a multiple of <paramref name="step"/> (Unix time), so buckets stay put between reads.
    /// </summary>
    public ActivityBucket[] Buckets(int count, int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        var now = CurrentSecond();
        var lastStart = now - Mod(now, step);
        var firstStart = lastStart - ((long)count - 1) * step;
        var buckets = new ActivityBucket[count];
        lock (_gate)
        {
            for (var b = 0; b < count; b++)
            {
                var start = firstStart + (long)b * step;
                long ranks = 0, rewards = 0, learned = 0;
                var sum = 0.0;
                for (var second = start; second < start + step && second <= now; second++)
                {
                    if (Readable(second, now) is { } i)
                    {
                        ranks += _slots[i].Ranks;
                        rewards += _slots[i].Rewards;
                        learned += _slots[i].Learned;
                        sum += _slots[i].RewardSum;
                    }
                }
                buckets[b] = new ActivityBucket(start * 1000, ranks, rewards, learned, sum);
            }
        }
        return buckets;
    }

    /// <summary>Rank calls per second over the last <paramref name="seconds"/> seconds (the current one included).</summary>
    public double RanksPerSecond(int seconds = 60) => Rate(seconds, static s => s.Ranks);

    /// <summary>Accepted rewards per second over the last <paramref name="seconds"/> seconds (the current one included).</summary>
    public double RewardsPerSecond(int seconds = 60) => Rate(seconds, static s => s.Rewards);

    private double Rate(int seconds, Func<Slot, long> field)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, Seconds);
        var now = CurrentSecond();
        long total = 0;
        lock (_gate)
        {
            for (var second = now - seconds + 1; second <= now; second++)
            {
                if (Readable(second, now) is { } i)
                {
                    total += field(_slots[i]);
                }
            }
        }
        return (double)total / seconds;
    }

    private long CurrentSecond() => _time.GetUtcNow().ToUnixTimeSeconds();

    private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;

    /// <summary>The slot to add to for <paramref name="second"/>, cleared if it held an older second; null when too old to keep.</summary>
    private int? Writable(long second, long now)
    {
        if (second <= now - Seconds)
        {
            return null;
        }
        var i = (int)Mod(second, Seconds);
        if (_slots[i].Second == second)
        {
            return i;
        }
        if (_slots[i].Second > second)
        {
            return null;
        }
        _slots[i] = new Slot { Second = second };
        return i;
    }

    /// <summary>The slot holding <paramref name="second"/>, or null when it holds another second or is outside the window.</summary>
    private int? Readable(long second, long now)
    {
        if (second <= now - Seconds || second > now)
        {
            return null;
        }
        var i = (int)Mod(second, Seconds);
        return _slots[i].Second == second ? i : null;
    }

    private struct Slot
    {
        public long Second;
        public long Ranks;
        public long Rewards;
        public long Learned;
        public double RewardSum;
    }
}

/// <summary>One bucket of a loop's activity.</summary>
/// <param name="StartMilliseconds">Start of the bucket (Unix milliseconds).</param>
/// <param name="Ranks">Rank calls received in the bucket.</param>
/// <param name="Rewards">Rewards accepted in the bucket.</param>
/// <param name="Learned">Slots learned for decisions made in the bucket (default rewards included).</param>
/// <param name="RewardSum">Sum of those learned rewards, in the loop's reward range.</param>
internal readonly record struct ActivityBucket(long StartMilliseconds, long Ranks, long Rewards, long Learned, double RewardSum)
{
    /// <summary>Mean learned reward of the bucket's decisions, or null when none has been learned yet.</summary>
    public double? MeanReward => Learned > 0 ? RewardSum / Learned : null;
}
