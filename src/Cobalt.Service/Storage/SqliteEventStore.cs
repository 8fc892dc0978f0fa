using System.Threading.Channels;
using Cobalt.Service.Loops;
using Microsoft.Data.Sqlite;

namespace Cobalt.Service.Storage;

/// <summary>
/// The embedded event store: one SQLite file in WAL mode. Writes go through one writer that commits them in groups
/// (group commit): a write's task completes only after its transaction has committed, so nothing is acknowledged that
/// a crash could lose; reads use their own connections and never block the writer.
/// </summary>
/// <remarks>
/// With <c>synchronous = NORMAL</c> (the default) a commit survives the process being killed; <c>FULL</c> also survives
/// losing power, at the cost of an fsync per group.
/// </remarks>
public sealed class SqliteEventStore : IEventStore
{
    private readonly string _connectionString;
    private readonly bool _fullSync;
    private readonly Channel<Write> _writes = Channel.CreateBounded<Write>(new BoundedChannelOptions(10_000) { SingleReader = true });
    private Task? _writer;

    /// <summary>Opens (or creates) the store at <paramref name="path"/>.</summary>
    public SqliteEventStore(string path, bool fullSync = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        _fullSync = fullSync;
    }

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS loops (name TEXT PRIMARY KEY, definition TEXT NOT NULL, api_key_hash TEXT NOT NULL, created_ms INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, loop TEXT NOT NULL, event_id TEXT NOT NULL,
                    created_ms INTEGER NOT NULL, slate_size INTEGER NOT NULL, payload BLOB NOT NULL, UNIQUE (loop, event_id));
                CREATE INDEX IF NOT EXISTS decisions_by_loop ON decisions (loop, seq);
                CREATE TABLE IF NOT EXISTS rewards (loop TEXT NOT NULL, event_id TEXT NOT NULL, slot INTEGER NOT NULL, value REAL NOT NULL,
                    created_ms INTEGER NOT NULL, PRIMARY KEY (loop, event_id, slot));
                CREATE TABLE IF NOT EXISTS actions (loop TEXT NOT NULL, name TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (loop, name));
                CREATE TABLE IF NOT EXISTS checkpoints (loop TEXT PRIMARY KEY, seq INTEGER NOT NULL, state BLOB NOT NULL, created_ms INTEGER NOT NULL);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoopRecord>> LoopsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, definition, api_key_hash, created_ms FROM loops ORDER BY name";
        var loops = new List<LoopRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            loops.Add(new LoopRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }
        return loops;
    }

    /// <inheritdoc />
    public Task<bool> CreateLoopAsync(LoopRecord loop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        return EnqueueAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction, "INSERT OR IGNORE INTO loops (name, definition, api_key_hash, created_ms) VALUES ($n, $d, $k, $c)",
                ("$n", loop.Name), ("$d", loop.Definition), ("$k", loop.ApiKeyHash), ("$c", loop.CreatedMilliseconds));
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> SetApiKeyHashAsync(string loop, string apiKeyHash, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction, "UPDATE loops SET api_key_hash = $k WHERE name = $n", ("$n", loop), ("$k", apiKeyHash));
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, int>> AssignActionsAsync(string loop, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        return EnqueueAsync<IReadOnlyDictionary<string, int>>((connection, transaction) =>
        {
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var next = -1;
            foreach (var name in names)
            {
                if (ids.ContainsKey(name))
                {
                    continue;
                }
                using (var find = Command(connection, transaction, "SELECT id FROM actions WHERE loop = $l AND name = $n", ("$l", loop), ("$n", name)))
                {
                    if (find.ExecuteScalar() is long stored)
                    {
                        ids[name] = (int)stored;
                        continue;
                    }
                }
                if (next < 0)
                {
                    using var max = Command(connection, transaction, "SELECT coalesce(max(id) + 1, 0) FROM actions WHERE loop = $l", ("$l", loop));
                    next = Convert.ToInt32(max.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                }
                using var insert = Command(connection, transaction, "INSERT INTO actions (loop, name, id) VALUES ($l, $n, $i)", ("$l", loop), ("$n", name), ("$i", next));
                insert.ExecuteNonQuery();
                ids[name] = next++;
            }
            return ids;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction, "INSERT OR IGNORE INTO decisions (loop, event_id, created_ms, slate_size, payload) VALUES ($l, $e, $c, $s, $p)",
                ("$l", loop), ("$e", eventId), ("$c", createdMilliseconds), ("$s", slateSize), ("$p", payload));
            return command.ExecuteNonQuery() == 0 ? throw new DuplicateEventException(eventId) : true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using (var find = Command(connection, transaction, "SELECT created_ms, slate_size FROM decisions WHERE loop = $l AND event_id = $e", ("$l", loop), ("$e", eventId)))
            using (var reader = find.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return RewardOutcome.UnknownEvent;
                }
                if (nowMilliseconds - reader.GetInt64(0) > waitMilliseconds)
                {
                    return RewardOutcome.Expired;
                }
                if (slot >= reader.GetInt32(1))
                {
                    return RewardOutcome.SlotOutOfRange;
                }
            }
            using var insert = Command(connection, transaction, "INSERT OR IGNORE INTO rewards (loop, event_id, slot, value, created_ms) VALUES ($l, $e, $s, $v, $c)",
                ("$l", loop), ("$e", eventId), ("$s", slot), ("$v", value), ("$c", nowMilliseconds));
            return insert.ExecuteNonQuery() == 1 ? RewardOutcome.Accepted : RewardOutcome.Duplicate;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoggedEvent>> ReadAfterAsync(string loop, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<LoggedEvent>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, event_id, created_ms, slate_size, payload FROM decisions WHERE loop = $l AND seq > $s ORDER BY seq LIMIT $n";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$s", afterSequence);
            command.Parameters.AddWithValue("$n", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var rewards = Enumerable.Repeat(double.NaN, reader.GetInt32(3)).ToArray();
                events.Add(new LoggedEvent(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), StoredDecision.FromBytes((byte[])reader[4]), rewards));
            }
        }
        if (events.Count > 0)
        {
            var byId = events.ToDictionary(e => e.EventId);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT r.event_id, r.slot, r.value FROM rewards r JOIN decisions d ON d.loop = r.loop AND d.event_id = r.event_id WHERE r.loop = $l AND d.seq > $a AND d.seq <= $b";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$a", afterSequence);
            command.Parameters.AddWithValue("$b", events[^1].Sequence);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (byId.TryGetValue(reader.GetString(0), out var e))
                {
                    e.Rewards[reader.GetInt32(1)] = reader.GetDouble(2);
                }
            }
        }
        return events;
    }

    /// <inheritdoc />
    public async Task<LoggedEvent?> GetEventAsync(string loop, string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        LoggedEvent found;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, event_id, created_ms, slate_size, payload FROM decisions WHERE loop = $l AND event_id = $e";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$e", eventId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            found = new LoggedEvent(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), StoredDecision.FromBytes((byte[])reader[4]), Enumerable.Repeat(double.NaN, reader.GetInt32(3)).ToArray());
        }
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT slot, value FROM rewards WHERE loop = $l AND event_id = $e";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$e", eventId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Rewards[reader.GetInt32(0)] = reader.GetDouble(1);
            }
        }
        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, int>> ActionsAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, id FROM actions WHERE loop = $l";
        command.Parameters.AddWithValue("$l", loop);
        var actions = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            actions[reader.GetString(0)] = reader.GetInt32(1);
        }
        return actions;
    }

    /// <inheritdoc />
    public Task SaveCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                "INSERT INTO checkpoints (loop, seq, state, created_ms) VALUES ($l, $s, $b, $c) ON CONFLICT (loop) DO UPDATE SET seq = excluded.seq, state = excluded.state, created_ms = excluded.created_ms WHERE excluded.seq >= checkpoints.seq",
                ("$l", loop), ("$s", sequence), ("$b", state), ("$c", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return command.ExecuteNonQuery();
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<(long Sequence, byte[] State)?> LoadCheckpointAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, state FROM checkpoints WHERE loop = $l";
        command.Parameters.AddWithValue("$l", loop);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), (byte[])reader[1]) : null;
    }

    /// <inheritdoc />
    public async Task<(long Decisions, long Rewards)> CountAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM decisions WHERE loop = $l), (SELECT count(*) FROM rewards WHERE loop = $l)";
        command.Parameters.AddWithValue("$l", loop);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer.ConfigureAwait(false);
        }
        SqliteConnection.ClearAllPools();
    }

    private async Task<T> EnqueueAsync<T>(Func<SqliteConnection, SqliteTransaction, T> operation, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("Initialise the store before writing to it.");
        }
        var write = new Write((connection, transaction) => operation(connection, transaction));
        await _writes.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        return (T)(await write.Done.Task.ConfigureAwait(false))!;
    }

    /// <summary>The writer: takes every waiting write, runs them in one transaction, commits, then answers them.</summary>
    private async Task WriteLoopAsync()
    {
        await using var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = _fullSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
            await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        var batch = new List<(Write Write, object? Result, Exception? Error)>(256);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 256 && _writes.Reader.TryRead(out var write))
            {
                batch.Add((write, null, null));
            }
            try
            {
                using var transaction = connection.BeginTransaction();
                for (var i = 0; i < batch.Count; i++)
                {
                    try
                    {
                        batch[i] = (batch[i].Write, batch[i].Write.Operation(connection, transaction), null);
                    }
                    catch (Exception e) when (e is SqliteException or DuplicateEventException)
                    {
                        batch[i] = (batch[i].Write, null, e); // the statement is rolled back, the rest of the group goes on
                    }
                }
                transaction.Commit();
            }
            catch (SqliteException e)
            {
                foreach (var (write, _, _) in batch)
                {
                    write.Done.TrySetException(new IOException($"The event store could not commit: {e.Message}", e));
                }
                continue;
            }
            foreach (var (write, result, error) in batch)
            {
                if (error is null)
                {
                    write.Done.TrySetResult(result);
                }
                else
                {
                    write.Done.TrySetException(error);
                }
            }
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    private sealed class Write(Func<SqliteConnection, SqliteTransaction, object?> operation)
    {
        public Func<SqliteConnection, SqliteTransaction, object?> Operation { get; } = operation;

        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
