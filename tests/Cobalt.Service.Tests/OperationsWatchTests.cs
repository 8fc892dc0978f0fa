using Cobalt.Service.Api;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.Extensions.Logging;

namespace Cobalt.Service.Tests;

/// <summary>
/// The log lines no request produces: the event store going unavailable and answering again (faults injected between
/// the service and a real SQLite store), the learner's lag crossing the readiness limit and coming back.
/// </summary>
public sealed class OperationsWatchTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>Keeps every message written (the level and the formatted text).</summary>
    private sealed class Lines : ILogger<OperationsWatch>
    {
        public List<(LogLevel Level, string Text)> Written { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Written.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task Store_outages_and_learner_lag_are_logged_once_when_they_start_and_once_when_they_end()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-watch-").FullName;
        var sqlite = new SqliteEventStore(Path.Combine(folder, "events.db"));
        try
        {
            await sqlite.InitializeAsync(CancellationToken.None);
            var faulty = new ResilientEventStoreTests.FaultyStore(sqlite) { Down = true };
            var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
            var store = new ResilientEventStore(faulty, retries: 1, TimeSpan.FromMilliseconds(1), clock);
            var settings = new ServiceSettings(Path.Combine(folder, "events.db"));
            var learner = new Learner(new LoopRegistry(store), settings, clock);
            var lines = new Lines();
            var watch = new OperationsWatch(store, learner, settings, clock, lines);
            var payload = new StoredDecision([1.0], [0, 1], [1, 0, 0, 1], [1], [0.5]).ToBytes();

            watch.Look();
            lines.Written.Should().BeEmpty("the store answers and the learner has just started");

            var append = async () => await store.AppendDecisionAsync("loop", "e1", 1000, 1, payload, CancellationToken.None);
            await append.Should().ThrowAsync<StoreUnavailableException>();
            watch.Look();
            watch.Look();
            lines.Written.Should().ContainSingle().Which.Should().Match<(LogLevel Level, string Text)>(l => l.Level == LogLevel.Error && l.Text.StartsWith("The event store is unavailable", StringComparison.Ordinal));

            faulty.Down = false;
            clock.Advance(TimeSpan.FromSeconds(4));
            await append();
            watch.Look();
            lines.Written.Should().HaveCount(2);
            lines.Written[1].Should().Be((LogLevel.Information, "The event store answers again after 4.0 s"));

            clock.Advance(settings.ReadyLearnerLag); // 34 s since the learner's start: above the 30 s limit
            watch.Look();
            watch.Look();
            lines.Written.Should().HaveCount(3);
            lines.Written[2].Should().Be((LogLevel.Warning, "The learner is behind: no full pass for 34.0 s (threshold 30 s)"));

            await learner.LearnAsync(CancellationToken.None); // a pass over every loop (none)
            watch.Look();
            lines.Written.Should().HaveCount(4);
            lines.Written[3].Should().Be((LogLevel.Information, "The learner caught up (lag 0.0 s)"));
        }
        finally
        {
            await sqlite.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
