using Cobalt.Service.Loops;
using Cobalt.Service.Storage;

namespace Cobalt.Service.Tests;

/// <summary>
/// The retry layer over a real SQLite store, with faults injected between the service and the store: a commit whose
/// answer is lost, a store that stays down, an error that is not the store's.
/// </summary>
public sealed class ResilientEventStoreTests
{
    /// <summary>A real SQLite store in a temporary folder.</summary>
    private sealed class Log : IAsyncDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-resilient-" + Guid.NewGuid().ToString("N"));

        private Log() => Directory.CreateDirectory(_folder);

        public SqliteEventStore Store { get; private set; } = null!;

        public static async Task<Log> OpenAsync()
        {
            var log = new Log();
            log.Store = new SqliteEventStore(Path.Combine(log._folder, "events.db"));
            await log.Store.InitializeAsync(CancellationToken.None);
            return log;
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static readonly byte[] Payload = new StoredDecision([1.0], [0, 1], [1, 0, 0, 1], [1], [0.5]).ToBytes();

    [Fact]
    public async Task A_write_that_committed_but_lost_its_answer_is_retried_into_the_success_it_was()
    {
        await using var log = await Log.OpenAsync();
        var sqlite = log.Store;
        var faulty = new FaultyStore(sqlite) { LoseAnswers = 1 };
        var store = new ResilientEventStore(faulty, retries: 3, TimeSpan.FromMilliseconds(1), TimeProvider.System);

        await store.AppendDecisionAsync("loop", "e1", 1000, 1, Payload, CancellationToken.None); // no DuplicateEventException
        faulty.Calls.Should().Be(2, "the lost answer was retried once");
        (await sqlite.CountAsync("loop", CancellationToken.None)).Decisions.Should().Be(1);

        faulty.LoseAnswers = 1;
        (await store.AppendRewardAsync("loop", "e1", 0, 0.75, 1001, 60_000, CancellationToken.None)).Should().Be(RewardOutcome.Accepted);
        (await store.AppendRewardAsync("loop", "e1", 0, 0.25, 1002, 60_000, CancellationToken.None)).Should().Be(RewardOutcome.Duplicate, "a second reward is still refused");
        (await sqlite.GetEventAsync("loop", "e1", CancellationToken.None))!.Rewards.Should().Equal(0.75);

        faulty.LoseAnswers = 1;
        var other = new StoredDecision([2.0], [0, 1], [1, 0, 0, 1], [0], [0.5]).ToBytes();
        var taken = async () => await store.AppendDecisionAsync("loop", "e1", 1000, 1, other, CancellationToken.None);
        await taken.Should().ThrowAsync<DuplicateEventException>("another decision under a taken id is a duplicate, lost answer or not");
    }

    [Fact]
    public async Task A_store_that_stays_down_fails_after_the_retries_as_unavailable_and_recovers()
    {
        await using var log = await Log.OpenAsync();
        var sqlite = log.Store;
        var faulty = new FaultyStore(sqlite) { Down = true };
        var store = new ResilientEventStore(faulty, retries: 3, TimeSpan.FromMilliseconds(1), TimeProvider.System);
        var append = async () => await store.AppendDecisionAsync("loop", "e1", 1000, 1, Payload, CancellationToken.None);
        (await append.Should().ThrowAsync<StoreUnavailableException>()).WithMessage("The event store is unavailable (appending a decision): *");
        faulty.Calls.Should().Be(4, "one call and three retries");
        store.Problem.Should().NotBeNull();
        store.Failures.Should().Be(1);

        faulty.Down = false;
        await store.AppendDecisionAsync("loop", "e1", 1000, 1, Payload, CancellationToken.None);
        store.Problem.Should().BeNull("a success clears the problem");
    }

    [Fact]
    public async Task An_error_that_is_not_the_stores_is_not_retried_or_wrapped()
    {
        await using var log = await Log.OpenAsync();
        var sqlite = log.Store;
        var faulty = new FaultyStore(sqlite) { Bug = true };
        var store = new ResilientEventStore(faulty, retries: 3, TimeSpan.FromMilliseconds(1), TimeProvider.System);
        var append = async () => await store.AppendDecisionAsync("loop", "e1", 1000, 1, Payload, CancellationToken.None);
        await append.Should().ThrowAsync<InvalidOperationException>();
        faulty.Calls.Should().Be(1);
        store.Problem.Should().BeNull();
    }

    /// <summary>The real store with injected faults on its two writes: the answer lost after the commit, the connection refused, or a bug.</summary>
    internal sealed class FaultyStore(IEventStore inner) : IEventStore
    {
        public int LoseAnswers { get; set; }

        public bool Down { get; set; }

        public bool Bug { get; set; }

        public int Calls { get; private set; }

        private async Task<T> FaultAsync<T>(Func<Task<T>> call)
        {
            Calls++;
            if (Down)
            {
                throw new IOException("connection refused");
            }
            if (Bug)
            {
                throw new InvalidOperationException("a bug");
            }
            var result = await call();
            if (LoseAnswers > 0)
            {
                LoseAnswers--;
                throw new IOException("the connection broke before the answer arrived"); // committed, answer lost
            }
            return result;
        }

        public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, CancellationToken cancellationToken) =>
            FaultAsync(async () =>
            {
                await inner.AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, cancellationToken);
                return true;
            });

        public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
            FaultAsync(() => inner.AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, cancellationToken));

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<IReadOnlyList<LoopRecord>> LoopsAsync(CancellationToken cancellationToken) => inner.LoopsAsync(cancellationToken);

        public Task<bool> SetApiKeyHashAsync(string loop, string apiKeyHash, CancellationToken cancellationToken) => inner.SetApiKeyHashAsync(loop, apiKeyHash, cancellationToken);

        public Task<bool> CreateLoopAsync(LoopRecord loop, CancellationToken cancellationToken) => inner.CreateLoopAsync(loop, cancellationToken);

        public Task<IReadOnlyDictionary<string, int>> AssignActionsAsync(string loop, IReadOnlyList<string> names, CancellationToken cancellationToken) => inner.AssignActionsAsync(loop, names, cancellationToken);

        public Task<IReadOnlyList<LoggedEvent>> ReadAfterAsync(string loop, long afterSequence, int limit, CancellationToken cancellationToken) => inner.ReadAfterAsync(loop, afterSequence, limit, cancellationToken);

        public Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, CancellationToken cancellationToken) => inner.CompleteAsync(loop, expiredBeforeMilliseconds, limit, cancellationToken);

        public Task<IReadOnlyList<LoggedEvent>> ReadCompletedAsync(string loop, long afterCompletion, int limit, CancellationToken cancellationToken) => inner.ReadCompletedAsync(loop, afterCompletion, limit, cancellationToken);

        public Task<long> CompletedCountAsync(string loop, CancellationToken cancellationToken) => inner.CompletedCountAsync(loop, cancellationToken);

        public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

        public Task<LoggedEvent?> GetEventAsync(string loop, string eventId, CancellationToken cancellationToken) => inner.GetEventAsync(loop, eventId, cancellationToken);

        public Task<IReadOnlyDictionary<string, int>> ActionsAsync(string loop, CancellationToken cancellationToken) => inner.ActionsAsync(loop, cancellationToken);

        public Task SaveCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken) => inner.SaveCheckpointAsync(loop, sequence, state, cancellationToken);

        public Task<(long Sequence, byte[] State)?> LoadCheckpointAsync(string loop, CancellationToken cancellationToken) => inner.LoadCheckpointAsync(loop, cancellationToken);

        public Task<(long Decisions, long Rewards)> CountAsync(string loop, CancellationToken cancellationToken) => inner.CountAsync(loop, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
