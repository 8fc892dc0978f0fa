using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cobalt.Service.Tests;

/// <summary>
/// The PostgreSQL event store: the SQLite service's lifecycle against PostgreSQL, and two replicas sharing one database.
/// Needs COBALT_TEST_POSTGRES (an Npgsql connection string of a role that may create databases; .ci/run starts a server
/// and sets it); without it these tests are skipped, with it and no server they fail. Each test makes its own database.
/// </summary>
public class PostgresTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Softmax = """{ "policy": { "kind": "softmax", "options": { "temperature": 0.2, "features": "item" } }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 30 } }""";
    private const string Disjoint = """{ "policy": { "kind": "linucb-disjoint", "options": { "alpha": 0.2 } }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 30 } }""";

    private static string Rank(string? eventId = null, string context = "[1]", string extra = "") =>
        $$"""{ {{(eventId is null ? "" : $"\"eventId\": \"{eventId}\", ")}}"context": {{context}}, "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] }{{extra}} ] }""";

    private static Task<RunningService> StartAsync(PostgresDatabase database, Func<ServiceSettings, ServiceSettings>? configure = null) =>
        RunningService.StartAsync(configure: s => (configure?.Invoke(s) ?? s) with { PostgresConnectionString = database.ConnectionString });

    [SkippableFact]
    public async Task Loops_rank_reward_learn_and_resume_after_a_restart()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var service = await StartAsync(database);
        var key = await service.CreateLoopAsync("learn", Disjoint);

        var good = 0;
        for (var t = 0; t < 200; t++)
        {
            var (status, body) = await service.PostAsync("/loops/learn/rank", key, Rank($"e{t}"));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var chosen = body.GetProperty("chosen").GetString();
            good += t >= 150 && chosen == "good" ? 1 : 0;
            (await service.PostAsync($"/loops/learn/events/e{t}/reward", key, $$"""{ "value": {{(chosen == "good" ? 1 : 0)}} }""")).Status.Should().Be(HttpStatusCode.OK);
            if (t % 20 == 19)
            {
                await Task.Delay(120); // let the learner catch up
            }
        }
        good.Should().BeGreaterThan(40, "after learning, the rewarded action is chosen almost always");
        await WaitLearnedAsync(service, "learn", key, 200);
        var loop = await service.GetAsync("/loops/learn", key);
        loop.GetProperty("decisions").GetInt64().Should().Be(200);
        loop.GetProperty("rewards").GetInt64().Should().Be(200);
        var learned = loop.GetProperty("learnedSequence").GetInt64();

        await service.RestartAsync();

        var after = await service.GetAsync("/loops/learn", key);
        after.GetProperty("checkpointSequence").GetInt64().Should().Be(learned, "the graceful stop wrote a checkpoint");
        after.GetProperty("decisions").GetInt64().Should().Be(200);
        (await service.PostAsync("/loops/learn/rank", key, Rank("e3"))).Status.Should().Be(HttpStatusCode.Conflict, "event ids survive the restart");
        (await service.PostAsync("/loops/learn/rank", key, Rank("e200"))).Status.Should().Be(HttpStatusCode.OK);
        var logged = await service.GetAsync("/loops/learn/events/e200", key);
        logged.GetProperty("sequence").GetInt64().Should().Be(201, "sequence numbers go on from the log");
    }

    [SkippableFact]
    public async Task Loop_definitions_and_reward_outcomes_are_those_of_the_sqlite_store()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var service = await StartAsync(database);
        var key = await service.CreateLoopAsync("strict", Disjoint);

        async Task<HttpStatusCode> Put(string definition)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/loops/strict") { Content = new StringContent(definition) };
            request.Headers.Add("X-Admin-Key", "admin-secret");
            using var response = await service.Client.SendAsync(request);
            return response.StatusCode;
        }

        (await Put(Disjoint)).Should().Be(HttpStatusCode.OK, "an identical definition is idempotent");
        (await Put(Disjoint.Replace("0.2", "0.3", StringComparison.Ordinal))).Should().Be(HttpStatusCode.Conflict);
        (await service.PostAsync("/loops/strict/rank", key, Rank("first"))).Status.Should().Be(HttpStatusCode.OK);
        (await service.PostAsync("/loops/strict/rank", key, Rank("first"))).Status.Should().Be(HttpStatusCode.Conflict, "event ids are used once");

        var cases = new (string Path, string Body, HttpStatusCode Status, string Message)[]
        {
            ("/loops/strict/events/nope/reward", """{ "value": 1 }""", HttpStatusCode.NotFound, "event 'nope' is not in loop 'strict'"),
            ("/loops/strict/events/first/reward", """{ "value": 1, "slot": 3 }""", HttpStatusCode.BadRequest, "has no slot 3"),
            ("/loops/strict/events/first/reward", """{ "value": 1 }""", HttpStatusCode.OK, ""),
            ("/loops/strict/events/first/reward", """{ "value": 0 }""", HttpStatusCode.Conflict, "already has a reward"),
        };
        foreach (var (path, body, status, message) in cases)
        {
            var (actual, answer) = await service.PostAsync(path, key, body);
            actual.Should().Be(status, $"{path} {body}");
            if (message.Length > 0)
            {
                answer.GetProperty("error").GetString().Should().Contain(message);
            }
        }
        var first = await service.GetAsync("/loops/strict/events/first", key);
        first.GetProperty("slots")[0].GetProperty("reward").GetDouble().Should().Be(1, "the first reward stands");

        var quick = await service.CreateLoopAsync("quick", Disjoint.Replace("\"reward-wait-seconds\": 30", "\"reward-wait-seconds\": 0.3", StringComparison.Ordinal));
        (await service.PostAsync("/loops/quick/rank", quick, Rank("late"))).Status.Should().Be(HttpStatusCode.OK);
        await Task.Delay(600);
        (await service.PostAsync("/loops/quick/events/late/reward", quick, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.Gone);
        await WaitLearnedAsync(service, "quick", quick, 1); // the default reward is learned after the wait
    }

    [SkippableFact]
    public async Task Two_replicas_share_one_log_and_learn_the_same_model()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var a = await StartAsync(database);
        await using var b = await StartAsync(database);
        var replicas = new[] { a, b };

        // A loop created on one replica is served by the other (and re-creating it there is an identical PUT).
        var key = await a.CreateLoopAsync("shared", Softmax);
        (await b.GetAsync("/loops/shared", key)).GetProperty("decisions").GetInt64().Should().Be(0);
        var ucbKey = await b.CreateLoopAsync("ucb", Disjoint);
        using (var again = new HttpRequestMessage(HttpMethod.Put, "/loops/shared") { Content = new StringContent(Softmax) })
        {
            again.Headers.Add("X-Admin-Key", "admin-secret");
            (await b.Client.SendAsync(again)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        // Four clients rank on alternating replicas and reward on the other one; new action names appear on both.
        var acknowledged = new ConcurrentDictionary<string, double>();
        async Task ClientAsync(int client)
        {
            for (var t = 0; t < 50; t++)
            {
                var eventId = $"c{client}-{t}";
                var ranker = replicas[(client + t) % 2];
                var extra = $$""", { "id": "new-{{t % 7}}", "features": [0.5, 0.5] }""";
                var (status, body) = await ranker.PostAsync("/loops/shared/rank", key, Rank(eventId, $"[{(t % 3) - 1}]", extra));
                status.Should().Be(HttpStatusCode.OK, body.ToString());
                var reward = body.GetProperty("chosen").GetString() == "good" ? 1.0 : 0.0;
                var (rewarded, answer) = await replicas[(client + t + 1) % 2].PostAsync($"/loops/shared/events/{eventId}/reward", key, $$"""{ "value": {{reward}} }""");
                rewarded.Should().Be(HttpStatusCode.OK, answer.ToString());
                acknowledged[eventId] = reward;
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(c => Task.Run(() => ClientAsync(c))));
        for (var t = 0; t < 30; t++)
        {
            var (status, body) = await replicas[t % 2].PostAsync("/loops/ucb/rank", ucbKey, Rank($"u{t}", $"[{t % 2}]"));
            status.Should().Be(HttpStatusCode.OK);
            var reward = body.GetProperty("chosen").GetString() == "good" ? 1 : 0;
            (await replicas[(t + 1) % 2].PostAsync($"/loops/ucb/events/u{t}/reward", ucbKey, $$"""{ "value": {{reward}} }""")).Status.Should().Be(HttpStatusCode.OK);
        }

        // An event id is taken for the loop, whichever replica is asked.
        (await a.PostAsync("/loops/shared/rank", key, Rank("once"))).Status.Should().Be(HttpStatusCode.OK);
        (await b.PostAsync("/loops/shared/rank", key, Rank("once"))).Status.Should().Be(HttpStatusCode.Conflict);
        (await b.PostAsync("/loops/shared/events/once/reward", key, """{ "value": 1 }""")).Status.Should().Be(HttpStatusCode.OK);
        (await a.PostAsync("/loops/shared/events/once/reward", key, """{ "value": 0 }""")).Status.Should().Be(HttpStatusCode.Conflict);
        acknowledged["once"] = 1;

        // No event lost: both replicas see every acknowledged event with its reward, in one gap-free order.
        var count = acknowledged.Count;
        var sequences = new HashSet<long>();
        foreach (var (eventId, reward) in acknowledged)
        {
            var logged = await replicas[sequences.Count % 2].GetAsync($"/loops/shared/events/{eventId}", key);
            logged.GetProperty("slots")[0].GetProperty("reward").GetDouble().Should().Be(reward, eventId);
            sequences.Add(logged.GetProperty("sequence").GetInt64()).Should().BeTrue("sequence numbers are unique");
        }
        sequences.Should().BeEquivalentTo(Enumerable.Range(1, count).Select(i => (long)i), "a loop's log is numbered 1..n without gaps");

        // Both learners read the whole log and reach the same model.
        foreach (var replica in replicas)
        {
            var loop = await WaitLearnedAsync(replica, "shared", key, count);
            loop.GetProperty("decisions").GetInt64().Should().Be(count);
            loop.GetProperty("rewards").GetInt64().Should().Be(count);
            await WaitLearnedAsync(replica, "ucb", ucbKey, 30);
        }
        foreach (var context in new[] { "[-1]", "[0]", "[1]", "[2.5]" })
        {
            var request = Rank(context: context, extra: """, { "id": "new-3", "features": [0.5, 0.5] }""");
            var (_, first) = await a.PostAsync("/loops/shared/rank", key, request);
            var (_, second) = await b.PostAsync("/loops/shared/rank", key, request);
            Probabilities(first).Should().Equal(Probabilities(second), $"the replicas' models agree (context {context})");
            var (_, ucbFirst) = await a.PostAsync("/loops/ucb/rank", ucbKey, Rank(context: context));
            var (_, ucbSecond) = await b.PostAsync("/loops/ucb/rank", ucbKey, Rank(context: context));
            // The served choice is drawn (epsilon-greedy around UCB's pick, each replica its own draw); what the replicas must
            // agree on is the distribution it is drawn from, which puts 1 - epsilon/2 on UCB's pick.
            Probabilities(ucbFirst).Should().Equal(Probabilities(ucbSecond), $"the replicas' UCB choices agree (context {context})");
        }
        output.WriteLine($"{count} events over two replicas; both learned to sequence {count}; probabilities at [1]: {string.Join(", ", Probabilities((await a.PostAsync("/loops/shared/rank", key, Rank())).Body))}");

        // Action names map to the same dense ids on both replicas: 0..k-1, assigned once by the store.
        var names = new[] { "good", "bad" }.Concat(Enumerable.Range(0, 7).Select(i => $"new-{i}")).ToArray();
        var idsA = Ids(a, "shared", names);
        var idsB = Ids(b, "shared", names);
        idsA.Should().Equal(idsB);
        idsA.Order().Should().Equal(Enumerable.Range(0, names.Length));
    }

    [SkippableFact]
    public async Task Concurrent_appends_from_two_stores_are_read_in_order_without_skipping_any()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var first = new PostgresEventStore(database.ConnectionString);
        await using var second = new PostgresEventStore(database.ConnectionString);
        await first.InitializeAsync(CancellationToken.None);
        await second.InitializeAsync(CancellationToken.None);
        var payload = new StoredDecision([1.0], [0], [1.0, 0.0], [0], [1.0]).ToBytes();
        const int Writers = 8, PerWriter = 60;

        // A reader that always asks for what follows the last event it saw, as a learner does.
        using var done = new CancellationTokenSource();
        var seen = new List<LoggedEvent>();
        var reader = Task.Run(async () =>
        {
            long last = 0;
            while (seen.Count < Writers * PerWriter && !done.IsCancellationRequested)
            {
                var events = await first.ReadAfterAsync("loop", last, 7, CancellationToken.None);
                seen.AddRange(events);
                last = events.Count > 0 ? events[^1].Sequence : last;
            }
        });
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var store = w % 2 == 0 ? first : second;
            for (var i = 0; i < PerWriter; i++)
            {
                await store.AppendDecisionAsync("loop", $"w{w}-{i}", 0, 1, payload, CancellationToken.None);
            }
        })));
        done.CancelAfter(TimeSpan.FromSeconds(20));
        await reader;

        seen.Select(e => e.Sequence).Should().Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i), "the reader saw every event once, in order");
        seen.Select(e => e.EventId).Should().OnlyHaveUniqueItems();
        var duplicate = async () => await second.AppendDecisionAsync("loop", "w3-7", 0, 1, payload, CancellationToken.None);
        await duplicate.Should().ThrowAsync<DuplicateEventException>();
        (await first.CountAsync("loop", CancellationToken.None)).Decisions.Should().Be(Writers * PerWriter);
    }

    [SkippableFact]
    public async Task A_replica_joins_a_current_schema_without_waiting_on_the_writes_of_running_replicas()
    {
        // CI once saw "deadlock detected" when a replica started beside one under load: ALTER TABLE ... IF NOT EXISTS still
        // takes ACCESS EXCLUSIVE. A joining replica must take no table lock, so a writer's open transaction cannot block it.
        await using var database = await PostgresDatabase.CreateAsync();
        await using var running = new PostgresEventStore(database.ConnectionString);
        await running.InitializeAsync(CancellationToken.None);
        await using var writer = new NpgsqlConnection(database.ConnectionString);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var lockTables = new NpgsqlCommand("LOCK TABLE cobalt_decisions, cobalt_rewards IN ROW EXCLUSIVE MODE", writer, transaction))
        {
            await lockTables.ExecuteNonQueryAsync();
        }

        await using var joining = new PostgresEventStore(database.ConnectionString);
        var join = joining.InitializeAsync(CancellationToken.None);
        var finished = await Task.WhenAny(join, Task.Delay(TimeSpan.FromSeconds(20)));
        finished.Should().BeSameAs(join, "initialising against a current schema runs no DDL");
        await join;
        await transaction.RollbackAsync();
    }

    [SkippableFact]
    public async Task Stores_agree_on_action_ids_and_checkpoints_only_move_forward()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var first = new PostgresEventStore(database.ConnectionString);
        await using var second = new PostgresEventStore(database.ConnectionString);
        await first.InitializeAsync(CancellationToken.None);
        await second.InitializeAsync(CancellationToken.None);

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            (i % 2 == 0 ? first : second).AssignActionsAsync("loop", [$"x{i % 5}", $"y{i % 3}", "z"], CancellationToken.None))));
        var stored = await second.ActionsAsync("loop", CancellationToken.None);
        stored.Values.Order().Should().Equal(Enumerable.Range(0, 9), "ids are dense and unique");
        foreach (var answer in answers)
        {
            foreach (var (name, id) in answer)
            {
                stored[name].Should().Be(id, $"every caller got the stored id of '{name}'");
            }
        }

        await first.SaveCheckpointAsync("loop", 10, [1, 2, 3], CancellationToken.None);
        await second.SaveCheckpointAsync("loop", 5, [9, 9], CancellationToken.None);
        var checkpoint = await second.LoadCheckpointAsync("loop", CancellationToken.None);
        checkpoint!.Value.Sequence.Should().Be(10, "an older checkpoint does not replace a newer one");
        checkpoint.Value.State.Should().Equal(1, 2, 3);
        await second.SaveCheckpointAsync("loop", 11, [4, 5], CancellationToken.None);
        (await first.LoadCheckpointAsync("loop", CancellationToken.None))!.Value.State.Should().Equal(4, 5);

        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var damage = new NpgsqlCommand("UPDATE cobalt_checkpoints SET state = $1 WHERE loop = $2", connection) { Parameters = { new NpgsqlParameter { Value = new byte[] { 4, 6 } }, new NpgsqlParameter { Value = "loop" } } };
            await damage.ExecuteNonQueryAsync();
        }
        var load = async () => await first.LoadCheckpointAsync("loop", CancellationToken.None);
        (await load.Should().ThrowAsync<InvalidDataException>()).WithMessage("*does not match its SHA-256 checksum*");
    }

    [Fact]
    public async Task An_unreachable_server_or_a_bad_connection_string_is_reported_clearly()
    {
        var port = RunningService.FreePort();
        await using (var store = new PostgresEventStore($"Host=127.0.0.1;Port={port};Username=cobalt;Password=x;Timeout=5"))
        {
            var initialise = async () => await store.InitializeAsync(CancellationToken.None);
            (await initialise.Should().ThrowAsync<IOException>()).WithMessage($"could not connect to PostgreSQL at 127.0.0.1:{port}: *");
        }
        var parse = () => new PostgresEventStore("Host=127.0.0.1;Colour=blue");
        parse.Should().Throw<ArgumentException>().WithMessage("The PostgreSQL connection string is not valid: *");
        var settings = new ServiceSettings("unused.db") { PostgresConnectionString = $"Host=127.0.0.1;Port={port};Timeout=5" };
        var serve = async () => await CobaltService.BuildAsync(settings, $"http://127.0.0.1:{RunningService.FreePort()}");
        await serve.Should().ThrowAsync<IOException>().WithMessage("could not connect to PostgreSQL*", "the service does not start without its store");
    }

    private static double[] Probabilities(JsonElement answer) =>
        [.. answer.GetProperty("probabilities").EnumerateArray().Select(p => p.GetProperty("probability").GetDouble())];

    private static int[] Ids(RunningService replica, string loop, string[] names)
    {
        var l = replica.Services.GetRequiredService<LoopRegistry>().FindAsync(loop, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        l.Should().NotBeNull();
        return [.. names.Select(n => l!.TryActionId(n, out var id) ? id : throw new InvalidOperationException($"replica has no id for '{n}'"))];
    }

    /// <summary>Waits (up to 20 s) until the replica's learner has learned up to <paramref name="sequence"/>; returns the loop's answer.</summary>
    private static async Task<JsonElement> WaitLearnedAsync(RunningService service, string loop, string key, long sequence)
    {
        var started = DateTime.UtcNow;
        while (true)
        {
            var answer = await service.GetAsync($"/loops/{loop}", key);
            if (answer.GetProperty("learnedSequence").GetInt64() >= sequence)
            {
                return answer;
            }
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"loop '{loop}' learned only to {answer.GetProperty("learnedSequence").GetInt64()}, not {sequence}, in 20 s.");
            }
            await Task.Delay(50);
        }
    }
}

/// <summary>A fresh database on the COBALT_TEST_POSTGRES server, dropped on disposal; skips the test when the variable is not set.</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string Variable = "COBALT_TEST_POSTGRES";
    private readonly string _admin;
    private readonly string _name;

    private PostgresDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>Connection string of the new database.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable(Variable);
        Skip.If(string.IsNullOrWhiteSpace(admin), $"{Variable} is not set: give it an Npgsql connection string of a PostgreSQL role that may create databases to run the PostgreSQL tests (.ci/run starts a server and sets it).");
        var name = "cobalt_test_" + Guid.NewGuid().ToString("N");
        try
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            // A database name is an identifier, not a value: it cannot be a parameter. It is made here from a GUID.
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new InvalidOperationException($"{Variable} is set but no database could be created on that server: {e.Message}", e);
        }
        return new PostgresDatabase(admin!, name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
