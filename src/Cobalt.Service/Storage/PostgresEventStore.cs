using System.Collections.Concurrent;
using System.Net.Sockets;
using Cobalt.Service.Loops;
using Npgsql;

namespace Cobalt.Service.Storage;

/// <summary>
/// The shared event store: PostgreSQL, so that several service processes (replicas) can serve the same loops and learn
/// the same model. Every write returns only once it has committed; a loop's concurrent rank and reward calls share one
/// transaction and one commit (group commit), other writes are their own transactions.
/// </summary>
/// <remarks>
/// <para>Consistency model. Every replica accepts every call; each runs its own learner over the one shared log, so
/// replicas converge on the same model rather than sharing one in memory:</para>
/// <list type="bullet">
/// <item>A loop's log is totally ordered. A rank call takes the loop's sequence number (the loop's largest plus one)
/// under a per-loop transaction lock (<c>pg_advisory_xact_lock</c>) held until commit, so sequence numbers commit in
/// order: once a reader sees number n it sees everything before n, and reading <c>seq &gt; last</c> never skips an
/// event. Appends to one loop are therefore serialised (one commit at a time per loop); different loops do not wait
/// for each other.</item>
/// <item>Action names get their dense ids from the store (<see cref="AssignActionsAsync"/>, under a second per-loop
/// lock), so every replica uses the same id for a name; a replica learns ids it has not seen from the store.</item>
/// <item>Event ids are unique per loop across replicas (a unique key); a reward is accepted once per slot and only
/// within the event's reward wait, as with SQLite.</item>
/// <item>A checkpoint only replaces one of an older sequence number; it is one row written by one statement, with the
/// SHA-256 of its state checked when it is read.</item>
/// <item>Learners learn in completion order, not log order: any replica's learner appends the events that have become
/// complete (every slot rewarded, or the reward wait plus grace passed) to the loop's completion order
/// (<see cref="CompleteAsync(string, long, int, CancellationToken)"/>, under an exclusive per-loop lock), and every learner reads that one order. A reward
/// takes the same lock shared and is refused once its event is complete, so a complete event's rewards are final:
/// replicas that have learned up to the same completion hold the same model, and one event waiting for its reward holds
/// back no other.</item>
/// </list>
/// </remarks>
public sealed class PostgresEventStore : IEventStore
{
    /// <summary>The tables holding a loop's rows (deleted with the loop), children first.</summary>
    private static readonly string[] LoopTables = ["cobalt_rewards", "cobalt_completions", "cobalt_decisions", "cobalt_action_sets", "cobalt_actions", "cobalt_checkpoints"];

    /// <summary>Most decisions appended in one group commit.</summary>
    private const int GroupLimit = 256;

    private const int SchemaLock = 0x436f62; // advisory lock keys: (class, hashtext(loop)) for per-loop locks
    private const int DecisionLock = 1;
    private const int ActionLock = 2;
    private const int CompletionLock = 3;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _database;
    private readonly ConcurrentDictionary<string, (long Through, long RewardCursor)> _completedThrough = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DecisionGroup> _groups = new(StringComparer.Ordinal);

    /// <summary>Uses the PostgreSQL database of an Npgsql connection string (the tables are created by <see cref="InitializeAsync"/>).</summary>
    /// <exception cref="ArgumentException">The connection string cannot be read.</exception>
    public PostgresEventStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", e);
        }
        Server = $"{builder.Host ?? "localhost"}:{builder.Port}";
        _database = builder.Database ?? builder.Username ?? "";
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Given(params string[] keys) => keys.Any(key => given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), key, StringComparison.OrdinalIgnoreCase)));
        // Npgsql's automatic preparation ("Max Auto Prepare") stays off: with it, a group whose batch the server refused
        // left the next group's reads out of step ("unexpected backend message DataRow", Npgsql 10.0.3; the test
        // A_group_the_server_refuses_... found it), and its cached generic plans, made while the tables were small, scanned
        // the whole log for every append until the next ANALYZE (3.9 ms a statement instead of 0.1 ms).
        if (!Given("NoResetOnClose"))
        {
            // The store changes no session state (its advisory locks end with their transactions, it sets nothing, creates
            // no temporary table): a pooled connection need not be reset each time it is returned.
            // A connection whose group failed is closed, not pooled again.
            builder.NoResetOnClose = true;
        }
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>The server as host:port, for messages.</summary>
    public string Server { get; }

    /// <inheritdoc />
    /// <exception cref="IOException">The server cannot be reached, or the tables cannot be created there.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CreateTablesAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < SchemaAttempts)
            {
                // An upgrade's ALTER TABLE can deadlock with a running replica's writes; PostgreSQL rolled this one back, so try again.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e)
            {
                throw new IOException($"could not create the event store's tables in PostgreSQL at {Server} (database '{_database}'): {e.MessageText}", e);
            }
        }
    }

    private const int SchemaAttempts = 5;

    /// <summary>The object the schema's last statement creates; it exists only when every earlier statement ran (they share one transaction).</summary>
    private const string SchemaCurrentSql = "SELECT to_regclass('cobalt_action_sets') IS NOT NULL";

    private async Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // DDL takes ACCESS EXCLUSIVE locks even when IF NOT EXISTS makes it a no-op, and those deadlock with the writes of
        // replicas already serving; a replica joining a current schema therefore runs no DDL at all.
        if (await SchemaIsCurrentAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Replicas starting together would race on CREATE TABLE IF NOT EXISTS; one lock makes them take turns.
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1)", cancellationToken, SchemaLock).ConfigureAwait(false);
        if (await SchemaIsCurrentAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS cobalt_loops (name text PRIMARY KEY, definition text NOT NULL, api_key_hash text NOT NULL, created_ms bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS cobalt_decisions (loop text NOT NULL, seq bigint NOT NULL, event_id text NOT NULL, created_ms bigint NOT NULL,
                slate_size integer NOT NULL, payload bytea NOT NULL, PRIMARY KEY (loop, seq), UNIQUE (loop, event_id));
            CREATE TABLE IF NOT EXISTS cobalt_rewards (loop text NOT NULL, event_id text NOT NULL, slot integer NOT NULL, value double precision NOT NULL,
                created_ms bigint NOT NULL, PRIMARY KEY (loop, event_id, slot));
            CREATE TABLE IF NOT EXISTS cobalt_actions (loop text NOT NULL, name text NOT NULL, id integer NOT NULL, PRIMARY KEY (loop, name), UNIQUE (loop, id));
            CREATE TABLE IF NOT EXISTS cobalt_checkpoints (loop text PRIMARY KEY, seq bigint NOT NULL, state bytea NOT NULL, sha256 bytea NOT NULL, created_ms bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS cobalt_completions (loop text NOT NULL, cseq bigint NOT NULL, seq bigint NOT NULL, PRIMARY KEY (loop, cseq), UNIQUE (loop, seq));
            ALTER TABLE cobalt_rewards ADD COLUMN IF NOT EXISTS id bigserial;
            CREATE INDEX IF NOT EXISTS cobalt_rewards_by_id ON cobalt_rewards (loop, id);
            ALTER TABLE cobalt_decisions ADD COLUMN IF NOT EXISTS user_key text;
            ALTER TABLE cobalt_decisions ADD COLUMN IF NOT EXISTS inactive boolean NOT NULL DEFAULT false;
            CREATE INDEX IF NOT EXISTS cobalt_decisions_by_user ON cobalt_decisions (loop, user_key) WHERE user_key IS NOT NULL;
            ALTER TABLE cobalt_decisions ADD COLUMN IF NOT EXISTS action_set bytea;
            CREATE TABLE IF NOT EXISTS cobalt_action_sets (loop text NOT NULL, hash bytea NOT NULL, block bytea NOT NULL, PRIMARY KEY (loop, hash));
            """, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> SchemaIsCurrentAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, SchemaCurrentSql);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoopRecord>> LoopsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT name, definition, api_key_hash, created_ms FROM cobalt_loops ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var loops = new List<LoopRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            loops.Add(new LoopRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }
        return loops;
    }

    /// <inheritdoc />
    public async Task<bool> CreateLoopAsync(LoopRecord loop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (await ExecuteAsync(connection, transaction, "INSERT INTO cobalt_loops (name, definition, api_key_hash, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            cancellationToken, loop.Name, loop.Definition, loop.ApiKeyHash, loop.CreatedMilliseconds).ConfigureAwait(false) != 1)
        {
            return false;
        }
        foreach (var table in LoopTables)
        {
            // Rows an earlier loop of this name left behind (a replica that had not yet heard of its deletion) are not the new loop's.
            await ExecuteAsync(connection, transaction, $"DELETE FROM {table} WHERE loop = $1", cancellationToken, loop.Name).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _completedThrough.TryRemove(loop.Name, out _);
        return true;
    }

    /// <inheritdoc />
    public async Task<bool> SetApiKeyHashAsync(string loop, string apiKeyHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(connection, null, "UPDATE cobalt_loops SET api_key_hash = $2 WHERE name = $1", cancellationToken, loop, apiKeyHash).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, int>> AssignActionsAsync(string loop, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1, hashtext($2))", cancellationToken, ActionLock, loop).ConfigureAwait(false);
        await using (var find = Command(connection, transaction, "SELECT name, id FROM cobalt_actions WHERE loop = $1 AND name = ANY($2)", loop, names.ToArray()))
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids[reader.GetString(0)] = reader.GetInt32(1);
            }
        }
        var fresh = names.Where(n => !ids.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToArray();
        if (fresh.Length > 0)
        {
            await using var next = Command(connection, transaction, "SELECT coalesce(max(id) + 1, 0) FROM cobalt_actions WHERE loop = $1", loop);
            var first = (int)(await next.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            await ExecuteAsync(connection, transaction, "INSERT INTO cobalt_actions (loop, name, id) SELECT $1, n, $3 + o::integer - 1 FROM unnest($2::text[]) WITH ORDINALITY AS t(n, o)",
                cancellationToken, loop, fresh, first).ConfigureAwait(false);
            for (var i = 0; i < fresh.Length; i++)
            {
                ids[fresh[i]] = first + i;
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ids;
    }

    /// <inheritdoc />
    public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, CancellationToken cancellationToken) =>
        AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, default, requireLoop: false, cancellationToken);

    /// <inheritdoc />
    public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, DecisionMarks marks, CancellationToken cancellationToken) =>
        AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, marks, requireLoop: true, cancellationToken);

    /// <summary>
    /// Appends a decision. The new sequence number is one more than the largest of the loop's decisions and of its completion
    /// order, so a number whose event was deleted (retention, erasure) while its completion row stays is never given to a new
    /// event. With <paramref name="requireLoop"/> the loop must be stored: the append lock, which deletion also takes, makes a
    /// rank on a replica that has not yet heard of a deletion fail instead of leaving rows behind.
    /// </summary>
    /// <remarks>
    /// Group commit: the decisions waiting for one loop are appended together, in one transaction under one hold of the
    /// loop's append lock (so one commit, one WAL flush, for the group), and each caller is answered only after that commit.
    /// A compact payload's action block is kept once per loop by its hash (<see cref="DecisionPayload"/>).
    /// </remarks>
    private Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, DecisionMarks marks, bool requireLoop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var shared = DecisionPayload.TrySplit(payload, out var compact, out var hash, out var block);
        var pending = new PendingDecision(eventId, createdMilliseconds, slateSize, shared ? compact : payload, shared ? hash : null, shared ? block : null, marks, requireLoop);
        var group = _groups.GetOrAdd(loop, name => new DecisionGroup(this, name));
        return group.AppendAsync(pending, cancellationToken);
    }

    /// <summary>A decision waiting for its loop's next group commit.</summary>
    private sealed record PendingDecision(string EventId, long CreatedMilliseconds, int SlateSize, byte[] Payload, byte[]? Hash, byte[]? Block, DecisionMarks Marks, bool RequireLoop)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A reward waiting for its loop's next group commit.</summary>
    private sealed record PendingReward(string EventId, int Slot, double Value, long NowMilliseconds, long WaitMilliseconds, RewardAggregation Aggregation)
    {
        public TaskCompletionSource<RewardOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// One loop's queue of decisions and rewards: whoever finds it idle commits what is waiting, group after group, until it
    /// is empty; the decisions and rewards of a group share one transaction and one commit.
    /// </summary>
    private sealed class DecisionGroup(PostgresEventStore store, string loop)
    {
        private readonly Lock _gate = new();
        private readonly List<PendingDecision> _waiting = [];
        private readonly List<PendingReward> _rewards = [];
        private bool _running;

        public Task AppendAsync(PendingDecision pending, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate)
            {
                _waiting.Add(pending);
                StartIfIdle();
            }
            return pending.Done.Task; // answered after the commit (or its failure), never abandoned half way
        }

        public Task<RewardOutcome> AppendAsync(PendingReward pending, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate)
            {
                _rewards.Add(pending);
                StartIfIdle();
            }
            return pending.Done.Task;
        }

        private void StartIfIdle()
        {
            if (!_running)
            {
                _running = true;
                _ = Task.Run(DrainAsync, CancellationToken.None);
            }
        }

        private async Task DrainAsync()
        {
            while (true)
            {
                PendingDecision[] group;
                PendingReward[] rewards;
                lock (_gate)
                {
                    if (_waiting.Count == 0 && _rewards.Count == 0)
                    {
                        _running = false;
                        return;
                    }
                    group = [.. _waiting.Take(GroupLimit)];
                    _waiting.RemoveRange(0, group.Length);
                    rewards = [.. _rewards.Take(GroupLimit)];
                    _rewards.RemoveRange(0, rewards.Length);
                }
                try
                {
                    var (errors, outcomes) = await store.CommitGroupAsync(loop, group, rewards).ConfigureAwait(false);
                    for (var i = 0; i < group.Length; i++)
                    {
                        if (errors[i] is { } error)
                        {
                            group[i].Done.TrySetException(error);
                        }
                        else
                        {
                            group[i].Done.TrySetResult();
                        }
                    }
                    for (var i = 0; i < rewards.Length; i++)
                    {
                        rewards[i].Done.TrySetResult(outcomes[i]);
                    }
                }
                catch (Exception e)
                {
                    foreach (var pending in group)
                    {
                        pending.Done.TrySetException(e);
                    }
                    foreach (var pending in rewards)
                    {
                        pending.Done.TrySetException(e);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Commits a group of one loop's decisions and rewards in one transaction and at most two round trips to the server.
    /// The first sends, as one batch: BEGIN; the loop's append lock (when the group has decisions); whether the loop is
    /// stored; the group's action blocks; one statement that appends every decision whose event id is new (the first of
    /// two equal ids in the group), numbered consecutively after the largest of the loop's decisions and completion order,
    /// and returns the ids it appended; then (when the group has rewards) the loop's completion lock, shared, and each
    /// reward's event. The second sends the accepted rewards' upserts and COMMIT; a group without an accepted reward sends
    /// COMMIT in the first batch already. Each caller is answered only after the commit. Returns each decision's error
    /// (null when appended: <see cref="UnknownLoopException"/> when it needs the loop and the loop is not stored,
    /// <see cref="DuplicateEventException"/> when its id is taken) and each reward's outcome.
    /// </summary>
    /// <remarks>
    /// Each statement of a batch runs with its own snapshot (read committed), so the append statement reads the largest
    /// sequence number only after the append lock is held: the previous holder's group is visible by then, and numbers stay
    /// gap-free and unique. The append lock is held until commit; deletion takes it too, so the loop's existence read under
    /// it holds for the whole group. Any failure rolls the whole group back (the connection is closed) and fails every caller in it.
    /// </remarks>
    private async Task<(Exception?[] Errors, RewardOutcome[] Outcomes)> CommitGroupAsync(string loop, PendingDecision[] group, PendingReward[] rewards)
    {
        await using var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await CommitGroupAsync(connection, loop, group, rewards).ConfigureAwait(false);
        }
        catch
        {
            // The server rolls the transaction back when the connection closes; the connection is not pooled again (clearing
            // the pool closes it, and the idle ones, instead of reusing a connection in an unknown state after a failure).
            NpgsqlConnection.ClearPool(connection);
            throw;
        }
    }

    /// <summary>Sorts rewards by (event, slot), keeping the arrival order of one slot's rewards (a stable sort).</summary>
    private static int[] RewardOrder(PendingReward[] rewards) =>
        [.. Enumerable.Range(0, rewards.Length).OrderBy(i => rewards[i].EventId, StringComparer.Ordinal).ThenBy(i => rewards[i].Slot)];

    private const string AppendSql = """
        WITH input AS (
            SELECT t.e, t.c, t.s, t.p, t.u, t.i, t.a, t.r, t.o
            FROM unnest($2::text[], $3::bigint[], $4::integer[], $5::bytea[], $6::text[], $7::boolean[], $8::bytea[], $9::boolean[]) WITH ORDINALITY AS t(e, c, s, p, u, i, a, r, o)
        ), fresh AS (
            SELECT DISTINCT ON (n.e) n.* FROM input n
            WHERE NOT EXISTS (SELECT 1 FROM cobalt_decisions d WHERE d.loop = $1 AND d.event_id = n.e)
                AND (NOT n.r OR EXISTS (SELECT 1 FROM cobalt_loops l WHERE l.name = $1))
            ORDER BY n.e, n.o
        ), base AS (
            SELECT greatest(coalesce((SELECT max(seq) FROM cobalt_decisions WHERE loop = $1), 0), coalesce((SELECT max(seq) FROM cobalt_completions WHERE loop = $1), 0)) AS b
        )
        INSERT INTO cobalt_decisions (loop, seq, event_id, created_ms, slate_size, payload, user_key, inactive, action_set)
        SELECT $1, base.b + row_number() OVER (ORDER BY f.o), f.e, f.c, f.s, f.p, f.u, f.i, f.a FROM fresh f CROSS JOIN base
        RETURNING event_id
        """;

    private static async Task<(Exception?[] Errors, RewardOutcome[] Outcomes)> CommitGroupAsync(NpgsqlConnection connection, string loop, PendingDecision[] group, PendingReward[] rewards)
    {
        var errors = new Exception?[group.Length];
        var outcomes = new RewardOutcome[rewards.Length];
        var order = RewardOrder(rewards);
        await using var first = new NpgsqlBatch(connection);
        first.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        if (group.Length > 0)
        {
            // Held until commit: the next append to this loop reads the largest sequence number only after this group is visible.
            first.BatchCommands.Add(BatchCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))", DecisionLock, loop));
            first.BatchCommands.Add(BatchCommand("SELECT EXISTS (SELECT 1 FROM cobalt_loops WHERE name = $1)", loop));
            var blocks = group.Where(p => p.Hash is not null).DistinctBy(p => Convert.ToHexString(p.Hash!)).ToArray();
            if (blocks.Length > 0)
            {
                // Only where the group's decisions may be appended: a deleted loop keeps no blocks.
                first.BatchCommands.Add(BatchCommand("""
                    INSERT INTO cobalt_action_sets (loop, hash, block) SELECT $1, h, b FROM unnest($2::bytea[], $3::bytea[]) AS t(h, b)
                    WHERE NOT $4 OR EXISTS (SELECT 1 FROM cobalt_loops WHERE name = $1) ON CONFLICT DO NOTHING
                    """, loop, blocks.Select(p => p.Hash!).ToArray(), blocks.Select(p => p.Block!).ToArray(), group.All(p => p.RequireLoop)));
            }
            first.BatchCommands.Add(BatchCommand(AppendSql, loop, group.Select(p => p.EventId).ToArray(), group.Select(p => p.CreatedMilliseconds).ToArray(),
                group.Select(p => p.SlateSize).ToArray(), group.Select(p => p.Payload).ToArray(), group.Select(p => p.Marks.UserKeyHash).ToArray(),
                group.Select(p => p.Marks.Deferred).ToArray(), group.Select(p => p.Hash).ToArray(), group.Select(p => p.RequireLoop).ToArray()));
        }
        if (rewards.Length > 0)
        {
            // The append lock (when decisions are in the group) comes first, then the completion lock, as DeleteLoopAsync takes
            // them, so the two never wait for each other in opposite orders. Shared with other rewards, exclusive with
            // CompleteAsync: an event is never completed while one of its rewards is in flight.
            first.BatchCommands.Add(BatchCommand("SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", CompletionLock, loop));
            foreach (var i in order)
            {
                first.BatchCommands.Add(BatchCommand(RewardTargetSql, loop, rewards[i].EventId, rewards[i].Slot));
            }
        }
        else
        {
            first.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }
        var targets = new (long Created, int SlateSize, bool Complete, bool Rewarded, bool Inactive)?[rewards.Length];
        await using (var reader = await first.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // BEGIN has no result set; the reader starts at the first command that returns rows.
            if (group.Length > 0)
            {
                await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false); // the append lock's row
                await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                var loopStored = reader.GetBoolean(0);
                await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false); // the append's returned ids (the block insert returns no rows)
                var appended = new HashSet<string>(StringComparer.Ordinal);
                while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    appended.Add(reader.GetString(0));
                }
                for (var i = 0; i < group.Length; i++)
                {
                    // appended.Remove: of two equal ids in the group the first was appended, the second is a duplicate.
                    errors[i] = appended.Remove(group[i].EventId) ? null
                        : group[i].RequireLoop && !loopStored ? new UnknownLoopException(loop)
                        : new DuplicateEventException(group[i].EventId);
                }
                if (rewards.Length > 0)
                {
                    await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            if (rewards.Length > 0)
            {
                await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false); // the completion lock's row
                foreach (var i in order)
                {
                    await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                    targets[i] = await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false)
                        ? (reader.GetInt64(0), reader.GetInt32(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4))
                        : null;
                }
            }
            while (await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false))
            {
                // COMMIT (when sent here): the reader consumes every command's completion, so a failed commit throws here.
            }
        }
        if (rewards.Length > 0)
        {
            await RewardGroupAsync(connection, loop, rewards, order, targets, outcomes).ConfigureAwait(false);
        }
        return (errors, outcomes);
    }

    /// <summary>What a reward needs to know of its event: when it was ranked, its slate size, whether it is complete, whether the slot has a reward, whether it awaits activation.</summary>
    private const string RewardTargetSql = """
        SELECT d.created_ms, d.slate_size, EXISTS (SELECT 1 FROM cobalt_completions c WHERE c.loop = d.loop AND c.seq = d.seq),
            EXISTS (SELECT 1 FROM cobalt_rewards r WHERE r.loop = d.loop AND r.event_id = d.event_id AND r.slot = $3), d.inactive
        FROM cobalt_decisions d WHERE d.loop = $1 AND d.event_id = $2
        """;

    private static string RewardUpsertSql(RewardAggregation aggregation) =>
        "INSERT INTO cobalt_rewards (loop, event_id, slot, value, created_ms) VALUES ($1, $2, $3, $4, $5) " + aggregation switch
        {
            RewardAggregation.Sum => "ON CONFLICT (loop, event_id, slot) DO UPDATE SET value = cobalt_rewards.value + excluded.value, created_ms = excluded.created_ms",
            RewardAggregation.Last => "ON CONFLICT (loop, event_id, slot) DO UPDATE SET value = excluded.value, created_ms = excluded.created_ms",
            _ => "ON CONFLICT DO NOTHING",
        };

    /// <summary>
    /// The rewards of a group, decided from their events (read in the group's first batch, see <see cref="CommitGroupAsync(string, PendingDecision[], PendingReward[])"/>)
    /// and written with the group's COMMIT in one more batch. They are decided in (event, slot) order, each as one reward
    /// alone would be (unknown event, slot out of range, a rewarded slot under reject or earliest, past its wait or
    /// complete, not activated), a slot rewarded earlier in the group counting as rewarded; the upserts run in that order
    /// too, so two replicas' groups never lock the same reward rows in opposite orders, and rewards of one slot keep the
    /// order they came in (which aggregation last and earliest need).
    /// </summary>
    private static async Task RewardGroupAsync(NpgsqlConnection connection, string loop, PendingReward[] rewards, int[] order,
        (long Created, int SlateSize, bool Complete, bool Rewarded, bool Inactive)?[] targets, RewardOutcome[] outcomes)
    {
        var written = new HashSet<(string, int)>();
        var upserted = new List<int>(rewards.Length);
        await using var upsert = new NpgsqlBatch(connection);
        foreach (var i in order)
        {
            var r = rewards[i];
            if (targets[i] is not { } target)
            {
                outcomes[i] = RewardOutcome.UnknownEvent;
                continue;
            }
            if (r.Slot >= target.SlateSize)
            {
                outcomes[i] = RewardOutcome.SlotOutOfRange;
                continue;
            }
            var rewarded = target.Rewarded || written.Contains((r.EventId, r.Slot));
            if (rewarded && r.Aggregation is RewardAggregation.Reject or RewardAggregation.Earliest)
            {
                outcomes[i] = r.Aggregation == RewardAggregation.Earliest ? RewardOutcome.Ignored : RewardOutcome.Duplicate;
                continue;
            }
            if (r.NowMilliseconds - target.Created > r.WaitMilliseconds || target.Complete)
            {
                outcomes[i] = RewardOutcome.Expired;
                continue;
            }
            if (target.Inactive)
            {
                outcomes[i] = RewardOutcome.NotActivated;
                continue;
            }
            written.Add((r.EventId, r.Slot));
            upserted.Add(i);
            upsert.BatchCommands.Add(BatchCommand(RewardUpsertSql(r.Aggregation), loop, r.EventId, r.Slot, r.Value, r.NowMilliseconds));
        }
        upsert.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await upsert.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        for (var k = 0; k < upserted.Count; k++)
        {
            var i = upserted[k];
            // An upsert's update runs on the locked conflicting row, so concurrent rewards of one slot all count in a sum; a
            // reject or earliest insert finds the row another replica committed meanwhile.
            outcomes[i] = upsert.BatchCommands[k].RecordsAffected == 1 ? RewardOutcome.Accepted
                : rewards[i].Aggregation == RewardAggregation.Earliest ? RewardOutcome.Ignored : RewardOutcome.Duplicate;
        }
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params object?[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }

    /// <inheritdoc />
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
        AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, RewardAggregation.Reject, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Group commit: the reward joins its loop's queue and is written in the next group's transaction, beside the loop's
    /// waiting decisions and rewards (one commit, one WAL flush, for them all), and answered only after that commit.
    /// </remarks>
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, RewardAggregation aggregation, CancellationToken cancellationToken)
    {
        var group = _groups.GetOrAdd(loop, name => new DecisionGroup(this, name));
        return group.AppendAsync(new PendingReward(eventId, slot, value, nowMilliseconds, waitMilliseconds, aggregation), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoggedEvent>> ReadAfterAsync(string loop, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // One statement, one snapshot: the events and their rewards as of the same moment.
        await using var command = Command(connection, null, EventsSql + " WHERE d.loop = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3", loop, afterSequence, limit);
        return await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<LoggedEvent?> GetEventAsync(string loop, string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, EventsSql + " WHERE d.loop = $1 AND d.event_id = $2", loop, eventId);
        var events = await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false);
        return events.Count == 0 ? null : events[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, int>> ActionsAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT name, id FROM cobalt_actions WHERE loop = $1", loop);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var actions = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            actions[reader.GetString(0)] = reader.GetInt32(1);
        }
        return actions;
    }

    /// <inheritdoc />
    /// <remarks>Replaces the stored checkpoint only when <paramref name="sequence"/> is newer (several replicas checkpoint the same loop).</remarks>
    public async Task SaveCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, """
            INSERT INTO cobalt_checkpoints (loop, seq, state, sha256, created_ms) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (loop) DO UPDATE SET seq = excluded.seq, state = excluded.state, sha256 = excluded.sha256, created_ms = excluded.created_ms
            WHERE excluded.seq > cobalt_checkpoints.seq
            """, cancellationToken, loop, sequence, state, Checksums.Checkpoint(sequence, state), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The stored state does not match its checksum.</exception>
    public async Task<(long Sequence, byte[] State)?> LoadCheckpointAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT seq, state, sha256 FROM cobalt_checkpoints WHERE loop = $1", loop);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var (sequence, state) = (reader.GetInt64(0), (byte[])reader[1]);
        return Checksums.Checkpoint(sequence, state).AsSpan().SequenceEqual((byte[])reader[2])
            ? (sequence, state)
            : throw new InvalidDataException(Checksums.CheckpointMismatch(loop, sequence));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs under the loop's exclusive completion lock, so no reward of the loop is in flight: every reward with an id up to
    /// the largest visible one has committed, and reward ids seen by one call are a prefix for the next. It looks only
    /// where a completion can be: events after the first incomplete one whose wait has run out, and events that received
    /// a reward after the id cursor; the window of events still waiting is never scanned. The cursors are found once per
    /// loop and process, then kept.
    /// </remarks>
    public Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, CancellationToken cancellationToken) =>
        CompleteAsync(loop, expiredBeforeMilliseconds, limit, true, cancellationToken);

    /// <inheritdoc />
    public async Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, bool completeWhenRewarded, CancellationToken cancellationToken)
    {
        var known = _completedThrough.TryGetValue(loop, out var cursors);
        var (through, rewardCursor) = cursors;
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1, hashtext($2))", cancellationToken, CompletionLock, loop).ConfigureAwait(false);

        async Task<long> ScalarAsync(string sql, params object[] parameters)
        {
            await using var command = Command(connection, transaction, sql, parameters);
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        // One snapshot each: every event up to the first incomplete one (or the last one) is complete; sequence numbers commit in order.
        // The completion is looked up per event (a subplan probing the (loop, seq) key), walking up from the cursor and
        // stopping at the first incomplete event: written as NOT EXISTS, the planner (with the statistics of tables that
        // were small at the last ANALYZE) joined every later event with every completion, 14 s for 20,000 events.
        Task<long> FirstIncompleteBeforeAsync(long after) => ScalarAsync("""
            SELECT coalesce((SELECT d.seq - 1 FROM cobalt_decisions d WHERE d.loop = $1 AND d.seq > $2 AND (SELECT c.cseq FROM cobalt_completions c WHERE c.loop = $1 AND c.seq = d.seq) IS NULL ORDER BY d.seq LIMIT 1),
                (SELECT max(seq) FROM cobalt_decisions WHERE loop = $1 AND seq > $2), $2)
            """, loop, after);

        if (!known)
        {
            through = await FirstIncompleteBeforeAsync(0).ConfigureAwait(false);
            rewardCursor = await ScalarAsync("""
                SELECT coalesce((SELECT min(r.id) - 1 FROM cobalt_decisions d JOIN cobalt_rewards r ON r.loop = d.loop AND r.event_id = d.event_id WHERE d.loop = $1 AND d.seq > $2),
                    (SELECT max(id) FROM cobalt_rewards WHERE loop = $1), 0)
                """, loop, through).ConfigureAwait(false);
        }
        var completed = await ExecuteAsync(connection, transaction, """
            INSERT INTO cobalt_completions (loop, cseq, seq)
            SELECT $1, (SELECT coalesce(max(cseq), 0) FROM cobalt_completions WHERE loop = $1) + row_number() OVER (ORDER BY c.seq), c.seq
            FROM (
                SELECT d.seq FROM cobalt_decisions d
                WHERE d.loop = $1 AND d.seq > $2
                    AND d.seq < coalesce((SELECT f.seq FROM cobalt_decisions f WHERE f.loop = $1 AND f.seq > $2 AND f.created_ms >= $3 ORDER BY f.seq LIMIT 1), 9223372036854775807)
                UNION
                SELECT d.seq FROM cobalt_rewards r JOIN cobalt_decisions d ON d.loop = r.loop AND d.event_id = r.event_id
                WHERE $6 AND r.loop = $1 AND r.id > $4 AND (SELECT count(*) FROM cobalt_rewards q WHERE q.loop = d.loop AND q.event_id = d.event_id) >= d.slate_size
            ) c
            WHERE NOT EXISTS (SELECT 1 FROM cobalt_completions x WHERE x.loop = $1 AND x.seq = c.seq)
            ORDER BY c.seq LIMIT $5
            """, cancellationToken, loop, through, expiredBeforeMilliseconds, rewardCursor, limit, completeWhenRewarded).ConfigureAwait(false);
        if (completed < limit)
        {
            // Everything found was recorded: later calls need only look after these.
            rewardCursor = await ScalarAsync("SELECT coalesce(max(id), $2) FROM cobalt_rewards WHERE loop = $1", loop, rewardCursor).ConfigureAwait(false);
            through = await FirstIncompleteBeforeAsync(through).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _completedThrough[loop] = (through, rewardCursor);
        return completed;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoggedEvent>> ReadCompletedAsync(string loop, long afterCompletion, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, """
            SELECT d.seq, d.event_id, d.created_ms, d.slate_size, d.payload,
                ARRAY(SELECT r.slot FROM cobalt_rewards r WHERE r.loop = d.loop AND r.event_id = d.event_id ORDER BY r.slot),
                ARRAY(SELECT r.value FROM cobalt_rewards r WHERE r.loop = d.loop AND r.event_id = d.event_id ORDER BY r.slot),
                d.inactive, (SELECT a.block FROM cobalt_action_sets a WHERE a.loop = d.loop AND a.hash = d.action_set), c.cseq
            FROM cobalt_completions c JOIN cobalt_decisions d ON d.loop = c.loop AND d.seq = c.seq
            WHERE c.loop = $1 AND c.cseq > $2 ORDER BY c.cseq LIMIT $3
            """, loop, afterCompletion, limit);
        return await ReadEventsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> CompletedCountAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT coalesce(max(cseq), 0) FROM cobalt_completions WHERE loop = $1", loop);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, "SELECT 1 FROM cobalt_decisions LIMIT 1", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the pool's idle connections (after the server restarted they are all broken).</summary>
    public void ClearPool() => _dataSource.Clear();

    /// <inheritdoc />
    public async Task<(long Decisions, long Rewards)> CountAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT (SELECT count(*) FROM cobalt_decisions WHERE loop = $1), (SELECT count(*) FROM cobalt_rewards WHERE loop = $1)", loop);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <inheritdoc />
    public async Task<ActivationOutcome> ActivateAsync(string loop, string eventId, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // As a reward: shared with rewards, exclusive with CompleteAsync, so an event is never completed while it is being activated.
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", cancellationToken, CompletionLock, loop).ConfigureAwait(false);
        await using (var find = Command(connection, transaction, """
            SELECT d.created_ms, d.inactive, EXISTS (SELECT 1 FROM cobalt_completions c WHERE c.loop = d.loop AND c.seq = d.seq)
            FROM cobalt_decisions d WHERE d.loop = $1 AND d.event_id = $2
            """, loop, eventId))
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return ActivationOutcome.UnknownEvent;
            }
            if (!reader.GetBoolean(1))
            {
                return ActivationOutcome.AlreadyActive;
            }
            if (nowMilliseconds - reader.GetInt64(0) > waitMilliseconds || reader.GetBoolean(2))
            {
                return ActivationOutcome.Expired;
            }
        }
        await ExecuteAsync(connection, transaction, "UPDATE cobalt_decisions SET inactive = false WHERE loop = $1 AND event_id = $2", cancellationToken, loop, eventId).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ActivationOutcome.Activated;
    }

    /// <inheritdoc />
    public async Task<bool> SetDefinitionAsync(string loop, string definition, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(connection, null, "UPDATE cobalt_loops SET definition = $2 WHERE name = $1", cancellationToken, loop, definition).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task ReplaceCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, """
            INSERT INTO cobalt_checkpoints (loop, seq, state, sha256, created_ms) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (loop) DO UPDATE SET seq = excluded.seq, state = excluded.state, sha256 = excluded.sha256, created_ms = excluded.created_ms
            """, cancellationToken, loop, sequence, state, Checksums.Checkpoint(sequence, state), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Takes the loop's append and completion locks, so no rank, reward or completion of the loop is half done.</remarks>
    public async Task<bool> DeleteLoopAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1, hashtext($3)), pg_advisory_xact_lock($2, hashtext($3))", cancellationToken, DecisionLock, CompletionLock, loop).ConfigureAwait(false);
        foreach (var table in LoopTables)
        {
            await ExecuteAsync(connection, transaction, $"DELETE FROM {table} WHERE loop = $1", cancellationToken, loop).ConfigureAwait(false);
        }
        var deleted = await ExecuteAsync(connection, transaction, "DELETE FROM cobalt_loops WHERE name = $1", cancellationToken, loop).ConfigureAwait(false) == 1;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _completedThrough.TryRemove(loop, out _);
        return deleted;
    }

    /// <inheritdoc />
    /// <remarks>The completion order keeps its rows (they hold no user data), so its numbering never goes back.</remarks>
    public async Task<long> EraseUserAsync(string loop, string userKeyHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM cobalt_rewards WHERE loop = $1 AND event_id IN (SELECT event_id FROM cobalt_decisions WHERE loop = $1 AND user_key = $2)",
            cancellationToken, loop, userKeyHash).ConfigureAwait(false);
        var deleted = await ExecuteAsync(connection, transaction, "DELETE FROM cobalt_decisions WHERE loop = $1 AND user_key = $2", cancellationToken, loop, userKeyHash).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    /// <remarks>The completion rows of deleted events go too, except the loop's last one, so the completion order's numbering never goes back.</remarks>
    public async Task<long> DeleteFinishedAsync(string loop, long createdBeforeMilliseconds, long throughCompletion, CancellationToken cancellationToken)
    {
        const string Old = "SELECT d.seq FROM cobalt_decisions d JOIN cobalt_completions c ON c.loop = d.loop AND c.seq = d.seq WHERE d.loop = $1 AND d.created_ms < $2 AND c.cseq <= $3";
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"DELETE FROM cobalt_rewards WHERE loop = $1 AND event_id IN (SELECT event_id FROM cobalt_decisions WHERE loop = $1 AND seq IN ({Old}))",
            cancellationToken, loop, createdBeforeMilliseconds, throughCompletion).ConfigureAwait(false);
        var deleted = await ExecuteAsync(connection, transaction, $"DELETE FROM cobalt_decisions WHERE loop = $1 AND seq IN ({Old})",
            cancellationToken, loop, createdBeforeMilliseconds, throughCompletion).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, """
            DELETE FROM cobalt_completions x WHERE x.loop = $1 AND x.cseq <= $2 AND x.cseq < (SELECT max(cseq) FROM cobalt_completions WHERE loop = $1)
                AND NOT EXISTS (SELECT 1 FROM cobalt_decisions d WHERE d.loop = $1 AND d.seq = x.seq)
            """, cancellationToken, loop, throughCompletion).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private const string EventsSql = """
        SELECT d.seq, d.event_id, d.created_ms, d.slate_size, d.payload,
            ARRAY(SELECT r.slot FROM cobalt_rewards r WHERE r.loop = d.loop AND r.event_id = d.event_id ORDER BY r.slot),
            ARRAY(SELECT r.value FROM cobalt_rewards r WHERE r.loop = d.loop AND r.event_id = d.event_id ORDER BY r.slot),
            d.inactive, (SELECT a.block FROM cobalt_action_sets a WHERE a.loop = d.loop AND a.hash = d.action_set)
        FROM cobalt_decisions d
        """;

    private static async Task<List<LoggedEvent>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var events = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var rewards = Enumerable.Repeat(double.NaN, reader.GetInt32(3)).ToArray();
            var slots = reader.GetFieldValue<int[]>(5);
            var values = reader.GetFieldValue<double[]>(6);
            for (var i = 0; i < slots.Length; i++)
            {
                if (slots[i] < rewards.Length)
                {
                    rewards[slots[i]] = values[i];
                }
            }
            var sequence = reader.GetInt64(0);
            var (decision, damage) = StoredDecision.Decode(reader.GetFieldValue<byte[]>(4), reader.IsDBNull(8) ? null : reader.GetFieldValue<byte[]>(8), sequence);
            events.Add(new LoggedEvent(sequence, reader.GetString(1), reader.GetInt64(2), decision, rewards, reader.FieldCount > 9 ? reader.GetInt64(9) : 0, damage)
            {
                Inactive = reader.GetBoolean(7),
            });
        }
        return events;
    }

    /// <summary>Opens a pooled connection; failing to reach the server is an <see cref="IOException"/> that names it.</summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw new IOException($"could not connect to PostgreSQL at {Server}: {e.Message}", e);
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
