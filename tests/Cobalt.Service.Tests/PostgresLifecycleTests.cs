using System.Net;
using Cobalt.Service.Loops;
using Npgsql;

namespace Cobalt.Service.Tests;

/// <summary>The loop life cycle against PostgreSQL (skipped without COBALT_TEST_POSTGRES), with two replicas sharing the store.</summary>
public class PostgresLifecycleTests
{
    private static Task<RunningService> StartAsync(PostgresDatabase database, Func<ServiceSettings, ServiceSettings>? configure = null) =>
        RunningService.StartAsync(configure: s => (configure?.Invoke(s) ?? s) with { PostgresConnectionString = database.ConnectionString });

    private static async Task<Dictionary<string, long>> RowsAsync(PostgresDatabase database, string loop)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var rows = new Dictionary<string, long>();
        foreach (var (table, column) in new[] { ("cobalt_loops", "name"), ("cobalt_decisions", "loop"), ("cobalt_rewards", "loop"), ("cobalt_actions", "loop"), ("cobalt_checkpoints", "loop"), ("cobalt_completions", "loop") })
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE {column} = $1", connection) { Parameters = { new() { Value = loop } } };
            rows[table] = (long)(await command.ExecuteScalarAsync())!;
        }
        return rows;
    }

    [SkippableFact]
    public async Task The_life_cycle_works_on_PostgreSQL_and_reaches_the_other_replica()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var one = await StartAsync(database, s => s with { RetentionSweepInterval = TimeSpan.FromMilliseconds(100) });
        await using var two = await StartAsync(database);
        var key = await one.CreateLoopAsync("pg", Lifecycle.Definition().Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 1", StringComparison.Ordinal));

        // Deferred events never activated are not learned; erasure counts only the user's events.
        var (fresh, _) = await Lifecycle.ExportAsync(one, "pg");
        for (var i = 0; i < 4; i++)
        {
            (await one.PostAsync("/loops/pg/rank", key, Lifecycle.Rank($$""", "eventId": "d{{i}}", "deferActivation": true, "userKey": "{{(i < 3 ? "ann" : "ben")}}" """))).Status.Should().Be(HttpStatusCode.OK);
        }
        (await one.PostAsync("/loops/pg/events/d0/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.Conflict);
        (await two.PostAsync("/loops/pg/events/d3/activate", key, "")).Status.Should().Be(HttpStatusCode.OK);
        (await one.PostAsync("/loops/pg/events/d3/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        await Lifecycle.WaitLearnedAsync(one, "pg", key, 4);
        (await one.GetAsync("/loops/pg", key)).GetProperty("inactiveEvents").GetInt64().Should().Be(3);
        Lifecycle.Means((await Lifecycle.ExportAsync(one, "pg")).Bytes).Should().NotEqual(Lifecycle.Means(fresh), "the activated, rewarded event is learned");
        var (_, erased) = await Lifecycle.SendAsync(one, HttpMethod.Delete, "/loops/pg/users/ann/events");
        erased.GetProperty("erased").GetInt64().Should().Be(3);
        (await RowsAsync(database, "pg"))["cobalt_decisions"].Should().Be(1);

        // Sum aggregation on PostgreSQL: the store adds the rewards.
        (await one.SendRawAsync(HttpMethod.Patch, "/loops/pg", """{ "reward-aggregation": "sum", "reward-max": 10 }""", adminKey: one.Settings.AdminKey)).Status.Should().Be(HttpStatusCode.OK);
        // The other replica takes the changed options within its sweep (2 s); until then its learner completes events
        // under the old options (a rewarded event would complete at its first reward).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await two.GetAsync("/loops/pg", key)).GetProperty("options").GetProperty("reward-aggregation").GetString() != "sum")
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "replica two should pick up the PATCH");
            await Task.Delay(200);
        }
        (await one.PostAsync("/loops/pg/rank", key, Lifecycle.Rank(""", "eventId": "s" """))).Status.Should().Be(HttpStatusCode.OK);
        (await one.PostAsync("/loops/pg/events/s/reward", key, """{ "value": 2 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await one.PostAsync("/loops/pg/events/s/reward", key, """{ "value": 3 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await one.GetAsync("/loops/pg/events/s", key)).GetProperty("slots")[0].GetProperty("reward").GetDouble().Should().Be(5);


        // Export, reset, import.
        await Lifecycle.WaitLearnedAsync(one, "pg", key, 5);
        var (model, _) = await Lifecycle.ExportAsync(one, "pg");
        (await Lifecycle.SendAsync(one, HttpMethod.Post, "/loops/pg/model/reset")).Status.Should().Be(HttpStatusCode.OK);
        Lifecycle.Means((await Lifecycle.ExportAsync(one, "pg")).Bytes).Should().Equal(0, 0);
        (await Lifecycle.ImportAsync(one, "pg", model)).Status.Should().Be(HttpStatusCode.OK);
        (await Lifecycle.ExportAsync(one, "pg")).Bytes.Should().Equal(model);

        // Retention: a tiny window deletes the learned events, not the row of the one still waiting.
        (await one.SendRawAsync(HttpMethod.Patch, "/loops/pg", $$"""{ "log-retention-days": {{1.0 / 86400:R}}, "reward-wait-seconds": 60 }""", adminKey: one.Settings.AdminKey)).Status.Should().Be(HttpStatusCode.OK);
        (await one.PostAsync("/loops/pg/rank", key, Lifecycle.Rank(""", "eventId": "waiting" """))).Status.Should().Be(HttpStatusCode.OK);
        deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await RowsAsync(database, "pg"))["cobalt_decisions"] > 1)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the learned events are older than a second");
            await Task.Delay(200);
        }
        (await one.SendRawAsync(HttpMethod.Get, "/loops/pg/events/waiting", apiKey: key)).Status.Should().Be(HttpStatusCode.OK);

        // Delete: every row goes, and the other replica forgets the loop; a rank it takes meanwhile is refused, never logged.
        (await Lifecycle.SendAsync(two, HttpMethod.Delete, "/loops/pg")).Status.Should().Be(HttpStatusCode.OK);
        (await RowsAsync(database, "pg")).Values.Should().AllSatisfy(n => n.Should().Be(0));
        (await one.PostAsync("/loops/pg/rank", key, Lifecycle.Rank())).Status.Should().BeOneOf(HttpStatusCode.NotFound, HttpStatusCode.Forbidden);
        deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await one.SendRawAsync(HttpMethod.Get, "/loops/pg", apiKey: key)).Status != HttpStatusCode.Forbidden)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "replica one should forget the deleted loop");
            await Task.Delay(200);
        }
        await Task.Delay(500);
        var rows = await RowsAsync(database, "pg");
        rows.Where(r => r.Key != "cobalt_actions").Should().AllSatisfy(r => r.Value.Should().Be(0, $"no replica writes {r.Key} rows for a deleted loop"));
        // A new loop of the same name starts clean (action ids a late rank may have assigned are cleared with it).
        var again = await one.CreateLoopAsync("pg", Lifecycle.Definition());
        (await RowsAsync(database, "pg")).Where(r => r.Key != "cobalt_loops").Should().AllSatisfy(r => r.Value.Should().Be(0));
        (await two.GetAsync("/loops/pg", again)).GetProperty("decisions").GetInt64().Should().Be(0);
    }
}
