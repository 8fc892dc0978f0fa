using Cobalt.Service.Loops;

namespace Cobalt.Service.Tests;

public class LoopActivityTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void Counts_land_in_the_bucket_of_their_second()
    {
        var clock = new ManualClock(Start);
        var activity = new LoopActivity(clock, seconds: 60);
        activity.RecordRank();
        activity.RecordRank();
        activity.RecordReward();
        clock.Advance(TimeSpan.FromSeconds(2));
        activity.RecordRank();

        var buckets = activity.Buckets(count: 3, step: 1);

        buckets.Select(b => b.StartMilliseconds).Should().Equal(Start.AddSeconds(0).ToUnixTimeMilliseconds(), Start.AddSeconds(1).ToUnixTimeMilliseconds(), Start.AddSeconds(2).ToUnixTimeMilliseconds());
        buckets.Select(b => b.Ranks).Should().Equal(2, 0, 1);
        buckets.Select(b => b.Rewards).Should().Equal(1, 0, 0);
        buckets.Should().OnlyContain(b => b.MeanReward == null, "nothing was learned");
    }

    [Fact]
    public void Mean_reward_counts_missing_rewards_as_the_default_in_the_decision_second()
    {
        var clock = new ManualClock(Start);
        var activity = new LoopActivity(clock, seconds: 60);
        var decidedAt = Start.ToUnixTimeMilliseconds() + 250;
        clock.Advance(TimeSpan.FromSeconds(5)); // learned later, filed under the second the decisions were made

        activity.RecordLearned(decidedAt, [1.0], defaultReward: 0.25);
        activity.RecordLearned(decidedAt, [0.0, double.NaN], defaultReward: 0.25);

        var buckets = activity.Buckets(count: 6, step: 1);
        buckets[0].Learned.Should().Be(3);
        buckets[0].RewardSum.Should().BeApproximately(1.25, 1e-12);
        buckets[0].MeanReward.Should().BeApproximately(1.25 / 3, 1e-12);
        buckets.Skip(1).Should().OnlyContain(b => b.Learned == 0 && b.MeanReward == null);
    }

    [Fact]
    public void Steps_sum_their_seconds_and_align_to_multiples_of_the_step()
    {
        var clock = new ManualClock(Start.AddSeconds(3)); // 1_700_000_003: inside the 10 s bucket starting at ...000
        var activity = new LoopActivity(clock, seconds: 120);
        for (var s = 0; s < 25; s++)
        {
            activity.RecordRank();
            activity.RecordLearned(clock.GetUtcNow().ToUnixTimeMilliseconds(), [s % 2], defaultReward: 0);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        // now = ...028: buckets [...000, ...010, ...020), the last one still filling
        var buckets = activity.Buckets(count: 3, step: 10);

        buckets.Select(b => b.StartMilliseconds / 1000 - Start.ToUnixTimeSeconds()).Should().Equal(0, 10, 20);
        buckets.Select(b => b.Ranks).Should().Equal(7, 10, 8);
        buckets[1].MeanReward.Should().BeApproximately(0.5, 1e-12);
    }

    [Fact]
    public void Buckets_roll_over_after_the_window_and_old_seconds_are_dropped()
    {
        var clock = new ManualClock(Start);
        var activity = new LoopActivity(clock, seconds: 10);
        activity.RecordRank();
        activity.RecordLearned(Start.ToUnixTimeMilliseconds(), [1.0], 0);

        clock.Advance(TimeSpan.FromSeconds(10)); // the same ring slot, ten seconds later
        activity.Buckets(10, 1).Should().OnlyContain(b => b.Ranks == 0 && b.Learned == 0, "the first second left the window");
        activity.RecordRank();
        activity.Buckets(1, 1)[0].Ranks.Should().Be(1, "the stale slot was cleared before counting");

        activity.RecordLearned(Start.ToUnixTimeMilliseconds(), [1.0], 0); // older than the window: ignored
        activity.RecordLearned(Start.AddSeconds(1).ToUnixTimeMilliseconds(), [1.0], 0); // the oldest second still kept
        var all = activity.Buckets(10, 1);
        all.Sum(b => b.Learned).Should().Be(1);
        all[0].StartMilliseconds.Should().Be(Start.AddSeconds(1).ToUnixTimeMilliseconds());
        all[0].Learned.Should().Be(1);

        clock.Advance(TimeSpan.FromHours(3)); // long idle: everything is gone, nothing wraps round
        activity.Buckets(10, 1).Should().OnlyContain(b => b.Ranks == 0 && b.Learned == 0);
        activity.RanksPerSecond(10).Should().Be(0);
    }

    [Fact]
    public void Learned_rewards_stamped_in_the_future_count_now()
    {
        var clock = new ManualClock(Start);
        var activity = new LoopActivity(clock, seconds: 10);
        activity.RecordLearned(Start.AddMinutes(5).ToUnixTimeMilliseconds(), [1.0], 0);
        activity.Buckets(1, 1)[0].Learned.Should().Be(1);
    }

    [Fact]
    public void Rates_average_over_the_last_minute()
    {
        var clock = new ManualClock(Start);
        var activity = new LoopActivity(clock);
        for (var s = 0; s < 90; s++)
        {
            for (var i = 0; i < 3; i++)
            {
                activity.RecordRank();
            }
            activity.RecordReward();
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        clock.Advance(TimeSpan.FromSeconds(-1)); // now is the last second that had traffic

        activity.RanksPerSecond(60).Should().BeApproximately(3, 1e-12);
        activity.RewardsPerSecond(60).Should().BeApproximately(1, 1e-12);
        clock.Advance(TimeSpan.FromSeconds(30));
        activity.RanksPerSecond(60).Should().BeApproximately(1.5, 1e-12, "half the minute was quiet");
    }

    [Fact]
    public async Task Concurrent_writers_lose_no_counts()
    {
        var clock = new ManualClock(Start);
        var activity = new LoopActivity(clock, seconds: 600);
        const int Writers = 8, PerWriter = 20_000;
        var ticker = Task.Run(() =>
        {
            for (var s = 0; s < 100; s++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                _ = activity.Buckets(60, 5); // readers run alongside
                Thread.Yield();
            }
        });
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                activity.RecordRank();
                activity.RecordReward();
                activity.RecordLearned(clock.GetUtcNow().ToUnixTimeMilliseconds(), [w % 2], 0);
            }
        })).ToArray();
        await Task.WhenAll([.. writers, ticker]);

        var buckets = activity.Buckets(120, 5);
        buckets.Sum(b => b.Ranks).Should().Be(Writers * PerWriter);
        buckets.Sum(b => b.Rewards).Should().Be(Writers * PerWriter);
        buckets.Sum(b => b.Learned).Should().Be(Writers * PerWriter);
        buckets.Sum(b => b.RewardSum).Should().BeApproximately(Writers / 2 * PerWriter, 1e-6);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var activity = new LoopActivity(TimeProvider.System, seconds: 10);
        FluentActions.Invoking(() => new LoopActivity(TimeProvider.System, seconds: 1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => activity.Buckets(0, 1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => activity.Buckets(1, 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => activity.RanksPerSecond(11)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
