using System.Globalization;
using System.Net;
using System.Text;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

/// <summary>
/// The compact decision payload (version 2: float32 features, the action block kept once per loop by its hash) and the
/// logs written before it: old payloads and old SQLite files still load, replay and take new events.
/// </summary>
public class CompactPayloadTests
{
    /// <summary>A decision of <paramref name="actions"/> candidates with <paramref name="features"/> features each (values with no exact float32).</summary>
    private static StoredDecision Decision(int actions, int features, bool firstSlot = true, double scale = 0.1)
    {
        var context = Enumerable.Range(0, features).Select(i => scale * (i + 1) / 3).ToArray();
        var actionFeatures = Enumerable.Range(0, actions * features).Select(i => Math.Sin(i) * scale).ToArray();
        var first = firstSlot ? Enumerable.Range(0, actions).Select(_ => 1.0 / actions).ToArray() : null;
        return new StoredDecision(context, [.. Enumerable.Range(0, actions).Select(a => 3 * a)], actionFeatures, [actions - 1, 0], [1.0 / 3, 0.7 / 2.9], first);
    }

    [Fact]
    public void Version_2_keeps_features_as_float32_and_propensities_exactly()
    {
        var decision = Decision(50, 32);
        var bytes = decision.ToBytes();
        Encoding.ASCII.GetString(bytes, 0, 4).Should().Be("CBD2");
        StoredDecision.TryFromBytes(bytes, out var read, out var problem).Should().BeTrue(problem);
        read.Context.Should().Equal(decision.Context.Select(v => (double)(float)v));
        read.ActionFeatures.Should().Equal(decision.ActionFeatures.Select(v => (double)(float)v));
        read.ActionIds.Should().Equal(decision.ActionIds);
        read.Chosen.Should().Equal(decision.Chosen);
        read.Propensities.Should().Equal(decision.Propensities, "propensities are logged exactly (float64)");
        read.FirstSlot.Should().Equal(decision.FirstSlot!);
        read.ToBytes().Should().Equal(bytes, "what was read writes the same bytes");

        // Half the size of version 1 (float64 features), which this version still reads.
        var old = decision.ToBytesVersion1();
        bytes.Length.Should().BeLessThan(old.Length * 6 / 10);
        StoredDecision.TryFromBytes(old, out var fromOld, out problem).Should().BeTrue(problem);
        fromOld.ActionFeatures.Should().Equal(decision.ActionFeatures, "version 1 kept float64");

        StoredDecision.TryFromBytes(Decision(3, 2, firstSlot: false).ToBytes(), out var none, out _).Should().BeTrue();
        none.FirstSlot.Should().BeNull();
    }

    [Fact]
    public void Values_beyond_float32_are_kept_as_float64()
    {
        var decision = Decision(4, 2, scale: 1e300);
        StoredDecision.TryFromBytes(decision.ToBytes(), out var read, out var problem).Should().BeTrue(problem);
        read.ActionFeatures.Should().Equal(decision.ActionFeatures);
        read.Context.Should().Equal(decision.Context);
    }

    [Fact]
    public void A_split_payload_needs_its_own_action_block_and_both_are_checksummed()
    {
        var decision = Decision(50, 32);
        var whole = decision.ToBytes();
        DecisionPayload.TrySplit(whole, out var compact, out var hash, out var block).Should().BeTrue();
        compact.Length.Should().BeLessThan(1024, "50 x 32 without the action block: the context, the slate and the first-slot distribution");
        hash.Should().HaveCount(16);
        StoredDecision.TryFromBytes(compact, block, out var read, out var problem).Should().BeTrue(problem);
        read.ToBytes().Should().Equal(whole);

        StoredDecision.TryFromBytes(compact, out _, out problem).Should().BeFalse();
        problem.Should().Contain("action block is missing");
        DecisionPayload.TrySplit(Decision(50, 31).ToBytes(), out _, out _, out var other).Should().BeTrue();
        StoredDecision.TryFromBytes(compact, other, out _, out problem).Should().BeFalse("another loop's block does not match the reference");
        var damaged = (byte[])block.Clone();
        damaged[^3] ^= 0x10;
        StoredDecision.TryFromBytes(compact, damaged, out _, out problem).Should().BeFalse();
        problem.Should().Contain("SHA-256");
        var flipped = (byte[])compact.Clone();
        flipped[^9] ^= 0x01;
        StoredDecision.TryFromBytes(flipped, block, out _, out problem).Should().BeFalse();
        problem.Should().Contain("checksum");

        DecisionPayload.TrySplit(Decision(2, 2).ToBytes(), out _, out _, out _).Should().BeFalse("a small block stays inline");
        DecisionPayload.TrySplit(decision.ToBytesVersion1(), out _, out _, out _).Should().BeFalse("version 1 payloads are stored as given");
        DecisionPayload.TrySplit(compact, out _, out _, out _).Should().BeFalse("already split");
    }

    [Fact]
    public async Task The_sqlite_store_keeps_each_action_block_once_and_reads_every_format()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-payload-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "events.db");
            await using (var store = new SqliteEventStore(path))
            {
                await store.InitializeAsync(CancellationToken.None);
                await store.CreateLoopAsync(new LoopRecord("l", "{}", "h", 0), CancellationToken.None);
                var decision = Decision(50, 32);
                await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
                    store.AppendDecisionAsync("l", $"e{i}", i, 2, (decision with { Chosen = [i % 50, (i + 1) % 50] }).ToBytes(), new DecisionMarks(null, false), CancellationToken.None)));
                await store.AppendDecisionAsync("l", "old", 40, 2, decision.ToBytesVersion1(), CancellationToken.None);
                var events = await store.ReadAfterAsync("l", 0, 100, CancellationToken.None);
                events.Should().HaveCount(41);
                events.Should().OnlyContain(e => e.Damage == null);
                events.Single(e => e.EventId == "e7").Decision.Chosen.Should().Equal(7, 8);
                events.Single(e => e.EventId == "old").Decision.ActionFeatures.Should().Equal(decision.ActionFeatures);
                (await store.GetEventAsync("l", "e3", CancellationToken.None))!.Decision.ActionFeatures.Should().Equal(events[0].Decision.ActionFeatures);
            }
            await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
            await connection.OpenAsync();
            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT (SELECT count(*) FROM action_sets), (SELECT max(length(payload)) FROM decisions WHERE action_set IS NOT NULL)";
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            reader.GetInt64(0).Should().Be(1, "40 decisions over one action set keep its block once");
            reader.GetInt64(1).Should().BeLessThan(1024);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_log_written_before_compact_payloads_loads_and_replays_to_the_same_model()
    {
        const string Definition = """{ "policy": { "kind": "linucb-disjoint" }, "options": { "context-dimension": 8, "action-dimension": 8, "reward-wait-seconds": 3600, "apprentice": true } }""";
        var actions = string.Join(", ", Enumerable.Range(0, 20).Select(a =>
            $$"""{ "id": "a{{a}}", "features": [{{string.Join(", ", Enumerable.Range(0, 8).Select(f => (0.1 * Math.Sin((a * 8) + f)).ToString("R", CultureInfo.InvariantCulture)))}}] }"""));
        string Rank(int t) =>
            $$"""{ "eventId": "e{{t}}", "context": [{{string.Join(", ", Enumerable.Range(0, 8).Select(f => (0.3 * Math.Cos(t + f)).ToString("R", CultureInfo.InvariantCulture)))}}], "actions": [{{actions}}], "defaultAction": "a{{t % 20}}" }""";

        var folder = Path.Combine(Path.GetTempPath(), "cobalt-old-log-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "events.db");
        const int Events = 30;
        try
        {
            string key;
            byte[] model;
            string event7;
            await using (var first = await RunningService.StartAsync(configure: s => s with { DatabasePath = path, CheckpointEvery = 1 }))
            {
                key = await first.CreateLoopAsync("old", Definition);
                for (var t = 0; t < Events; t++)
                {
                    var (status, body) = await first.PostAsync("/loops/old/rank", key, Rank(t));
                    status.Should().Be(HttpStatusCode.OK, body.ToString());
                    (await first.PostAsync($"/loops/old/events/e{t}/reward", key, $$"""{ "value": {{(t % 3 == 0 ? 1 : 0)}} }""")).Status.Should().Be(HttpStatusCode.OK);
                }
                await FaultTests.WaitLearnedAsync(first, "old", key, Events);
                model = (await first.Services.GetRequiredService<LoopRegistry>().FindAsync("old", CancellationToken.None))!.Snapshot().State;
                event7 = (await first.GetAsync("/loops/old/events/e7", key)).ToString();
            }
            SqliteConnection.ClearAllPools();

            // Turn the file into one written before compact payloads: version 1 payloads, no action blocks, the old schema; and
            // no completion order or checkpoint, so the restarted service must replay the whole log.
            await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                await connection.OpenAsync();
                var rows = new List<(long Seq, byte[] Payload)>();
                await using (var read = connection.CreateCommand())
                {
                    read.CommandText = "SELECT d.seq, d.payload, a.block FROM decisions d LEFT JOIN action_sets a ON a.loop = d.loop AND a.hash = d.action_set";
                    await using var reader = await read.ExecuteReaderAsync();
                    while (await reader.ReadAsync())
                    {
                        var block = reader.IsDBNull(2) ? null : (byte[])reader[2];
                        block.Should().NotBeNull("20 actions x 8 features is a shared block");
                        StoredDecision.TryFromBytes((byte[])reader[1], block, out var decision, out var problem).Should().BeTrue(problem);
                        rows.Add((reader.GetInt64(0), decision.ToBytesVersion1()));
                    }
                }
                rows.Should().HaveCount(Events);
                foreach (var (seq, payload) in rows)
                {
                    await using var write = connection.CreateCommand();
                    write.CommandText = "UPDATE decisions SET payload = $p WHERE seq = $s";
                    write.Parameters.AddWithValue("$p", payload);
                    write.Parameters.AddWithValue("$s", seq);
                    (await write.ExecuteNonQueryAsync()).Should().Be(1);
                }
                await using var schema = connection.CreateCommand();
                schema.CommandText = "ALTER TABLE decisions DROP COLUMN action_set; DROP TABLE action_sets; DELETE FROM completions; DELETE FROM checkpoints;";
                await schema.ExecuteNonQueryAsync();
            }

            await using var service = await RunningService.StartAsync(configure: s => s with { DatabasePath = path, CheckpointEvery = 1 });
            var replayed = await FaultTests.WaitLearnedAsync(service, "old", key, Events);
            replayed.GetProperty("damagedEvents").GetInt64().Should().Be(0);
            (await service.Services.GetRequiredService<LoopRegistry>().FindAsync("old", CancellationToken.None))!.Snapshot().State
                .Should().Equal(model, "the old payloads hold the same values the compact ones did, learned in the same order");
            (await service.GetAsync("/loops/old/events/e7", key)).ToString().Should().Be(event7);

            // New events join the old log in the compact format; both are learned.
            for (var t = Events; t < Events + 5; t++)
            {
                (await service.PostAsync("/loops/old/rank", key, Rank(t))).Status.Should().Be(HttpStatusCode.OK);
                (await service.PostAsync($"/loops/old/events/e{t}/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
            }
            (await FaultTests.WaitLearnedAsync(service, "old", key, Events + 5)).GetProperty("damagedEvents").GetInt64().Should().Be(0);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
