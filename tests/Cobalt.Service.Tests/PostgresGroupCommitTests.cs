using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Npgsql;

namespace Cobalt.Service.Tests;

/// <summary>
/// The PostgreSQL store's group commit of rank appends and its compact payloads (needs COBALT_TEST_POSTGRES, as
/// <see cref="PostgresTests"/> does): concurrent appends share commits yet keep one gap-free order, each duplicate id is
/// refused alone, and action blocks are kept once; rewards join the same groups and keep each one's outcome.
/// </summary>
public class PostgresGroupCommitTests
{
    private static StoredDecision Decision(int chosen) =>
        new([0.5, -0.25], [.. Enumerable.Range(0, 40)], [.. Enumerable.Range(0, 40 * 8).Select(i => Math.Cos(i) / 7)], [chosen], [0.125],
            [.. Enumerable.Range(0, 40).Select(_ => 1.0 / 40)]);

    [SkippableFact]
    public async Task Concurrent_appends_share_commits_keep_a_gap_free_order_and_refuse_each_duplicate_alone()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var store = new PostgresEventStore(database.ConnectionString);
        await store.InitializeAsync(CancellationToken.None);
        (await store.CreateLoopAsync(new LoopRecord("loop", "{}", "h", 0), CancellationToken.None)).Should().BeTrue();
        const int Events = 300;

        // Every id twice, at once: one of each pair is appended, the other refused as a duplicate.
        var attempts = Enumerable.Range(0, 2 * Events).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.AppendDecisionAsync("loop", $"e{i % Events}", i, 1, Decision(i % 40).ToBytes(), new DecisionMarks(i % 3 == 0 ? "user" : null, false), CancellationToken.None);
                return true;
            }
            catch (DuplicateEventException e)
            {
                e.EventId.Should().Be($"e{i % Events}");
                return false;
            }
        })).ToArray();
        var appended = await Task.WhenAll(attempts);
        appended.Count(a => a).Should().Be(Events);

        var events = await store.ReadAfterAsync("loop", 0, 2 * Events, CancellationToken.None);
        events.Select(e => e.Sequence).Should().Equal(Enumerable.Range(1, Events).Select(i => (long)i), "group commits number their rows consecutively");
        events.Select(e => e.EventId).Should().OnlyHaveUniqueItems().And.HaveCount(Events);
        events.Should().OnlyContain(e => e.Damage == null && e.Decision.ActionIds.Length == 40 && e.Decision.Propensities[0] == 0.125);
        events.Should().OnlyContain(e => e.Decision.ActionFeatures.SequenceEqual(events[0].Decision.ActionFeatures));

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM cobalt_action_sets), (SELECT max(length(payload)) FROM cobalt_decisions), (SELECT count(*) FROM cobalt_decisions WHERE user_key IS NOT NULL)", connection);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        reader.GetInt64(0).Should().Be(1, "one action set, kept once");
        reader.GetInt32(1).Should().BeLessThan(512);
        reader.GetInt64(2).Should().BeGreaterThan(0, "the marks travel with the group");
    }

    [SkippableFact]
    public async Task A_group_the_server_refuses_is_rolled_back_and_its_connection_serves_the_next_group()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        // One pooled connection: the next group must run on the connection whose transaction failed.
        await using var store = new PostgresEventStore(database.ConnectionString + ";Maximum Pool Size=1");
        await store.InitializeAsync(CancellationToken.None);
        await store.CreateLoopAsync(new LoopRecord("loop", "{}", "h", 0), CancellationToken.None);
        await store.AppendDecisionAsync("loop", "e1", 0, 1, Decision(1).ToBytes(), new DecisionMarks(null, false), CancellationToken.None);

        // PostgreSQL text cannot hold a NUL: the group's append statement fails after BEGIN and the append lock.
        var refused = async () => await store.AppendDecisionAsync("loop", "bad\0id", 1, 1, Decision(2).ToBytes(), new DecisionMarks(null, false), CancellationToken.None);
        await refused.Should().ThrowAsync<Exception>();
        (await store.AppendRewardAsync("loop", "e1", 0, 1.0, 2, 60_000, CancellationToken.None)).Should().Be(RewardOutcome.Accepted);
        await store.AppendDecisionAsync("loop", "e2", 3, 1, Decision(3).ToBytes(), new DecisionMarks(null, false), CancellationToken.None);

        var events = await store.ReadAfterAsync("loop", 0, 10, CancellationToken.None);
        events.Select(e => (e.Sequence, e.EventId)).Should().Equal((1L, "e1"), (2L, "e2"));
        events[0].Rewards.Should().Equal([1.0], "the reward after the refused group was written");
    }

    [SkippableFact]
    public async Task A_group_for_a_deleted_loop_fails_its_ranks_and_old_payloads_still_read()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var store = new PostgresEventStore(database.ConnectionString);
        await store.InitializeAsync(CancellationToken.None);
        var missing = async () => await store.AppendDecisionAsync("gone", "e1", 0, 1, Decision(1).ToBytes(), new DecisionMarks(null, false), CancellationToken.None);
        await missing.Should().ThrowAsync<UnknownLoopException>();

        await store.CreateLoopAsync(new LoopRecord("loop", "{}", "h", 0), CancellationToken.None);
        await store.AppendDecisionAsync("loop", "v1", 0, 1, Decision(3).ToBytesVersion1(), CancellationToken.None);
        await store.AppendDecisionAsync("loop", "v2", 0, 1, Decision(4).ToBytes(), CancellationToken.None);
        var events = await store.ReadAfterAsync("loop", 0, 10, CancellationToken.None);
        events.Select(e => e.Decision.Chosen[0]).Should().Equal(3, 4);
        events[0].Decision.ActionFeatures.Should().Equal(Decision(3).ActionFeatures, "version 1 kept float64");
        events[1].Decision.ActionFeatures.Should().Equal(Decision(4).ActionFeatures.Select(v => (double)(float)v));
        (await store.GetEventAsync("loop", "v2", CancellationToken.None))!.Damage.Should().BeNull();
    }
    [SkippableFact]
    public async Task Concurrent_rewards_join_the_rank_groups_and_keep_each_outcome()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var store = new PostgresEventStore(database.ConnectionString);
        await store.InitializeAsync(CancellationToken.None);
        await store.CreateLoopAsync(new LoopRecord("loop", "{}", "h", 0), CancellationToken.None);
        const int Events = 120;
        for (var i = 0; i < Events; i++)
        {
            await store.AppendDecisionAsync("loop", $"e{i}", 1000, 1, Decision(i % 40).ToBytes(), CancellationToken.None);
        }

        // At once: new ranks, two rewards of every event (reject: one accepted, one duplicate), a slot out of range, an
        // unknown event and an expired one; they share group commits with each other and with the ranks.
        var ranks = Enumerable.Range(0, Events).Select(i => Task.Run(() => store.AppendDecisionAsync("loop", $"n{i}", 2000, 1, Decision(i % 40).ToBytes(), new DecisionMarks(null, false), CancellationToken.None)));
        var rewards = Enumerable.Range(0, 2 * Events).Select(i => Task.Run(() => store.AppendRewardAsync("loop", $"e{i % Events}", 0, i < Events ? 1 : 0, 2000, 60_000, CancellationToken.None))).ToArray();
        var others = new[]
        {
            Task.Run(() => store.AppendRewardAsync("loop", "e0", 1, 1, 2000, 60_000, CancellationToken.None)),
            Task.Run(() => store.AppendRewardAsync("loop", "nowhere", 0, 1, 2000, 60_000, CancellationToken.None)),
            Task.Run(() => store.AppendRewardAsync("loop", "e1", 0, 1, 1000 + 60_001, 60_000, CancellationToken.None)),
        };
        await Task.WhenAll(ranks);
        var outcomes = await Task.WhenAll(rewards);
        var other = await Task.WhenAll(others);

        other[0].Should().Be(RewardOutcome.SlotOutOfRange);
        other[1].Should().Be(RewardOutcome.UnknownEvent);
        other[2].Should().BeOneOf(RewardOutcome.Expired, RewardOutcome.Duplicate); // expired unless its slot was rewarded first
        for (var e = 0; e < Events; e++)
        {
            new[] { outcomes[e], outcomes[e + Events] }.Should().BeEquivalentTo([RewardOutcome.Accepted, RewardOutcome.Duplicate], $"event e{e}: one reward per slot");
        }
        var events = await store.ReadAfterAsync("loop", 0, 4 * Events, CancellationToken.None);
        events.Select(e => e.Sequence).Should().Equal(Enumerable.Range(1, 2 * Events).Select(i => (long)i), "ranks still number their rows consecutively");
        foreach (var logged in events.Where(e => e.EventId.StartsWith('e')))
        {
            var index = int.Parse(logged.EventId[1..], System.Globalization.CultureInfo.InvariantCulture);
            logged.Rewards[0].Should().Be(outcomes[index] == RewardOutcome.Accepted ? 1 : 0, $"the accepted reward of {logged.EventId} is the one stored");
        }

        // Aggregation sum: concurrent rewards of one slot in shared groups all count.
        await store.AppendDecisionAsync("loop", "sum", 3000, 1, Decision(1).ToBytes(), CancellationToken.None);
        var sums = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => store.AppendRewardAsync("loop", "sum", 0, 1 << (i % 10), 3001, 60_000, RewardAggregation.Sum, CancellationToken.None))));
        sums.Should().OnlyContain(o => o == RewardOutcome.Accepted);
        (await store.GetEventAsync("loop", "sum", CancellationToken.None))!.Rewards[0].Should().Be(3 * 1023);
    }
}
