using System.Collections.Concurrent;
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
/// losing power, at the cost of an fsync per group. A failed group (a damaged file, a full disk) fails its writes with an
/// <see cref="IOException"/> and the writer goes on with a fresh connection: it never stops. The writer checkpoints the
/// WAL every <see cref="WalCheckpointPages"/> pages instead of SQLite's 1,000: each group commit writes about seven pages, so
/// at a few thousand commits a second the default checkpointed (with its two fsyncs) about 30 times a second inside the
/// commits callers wait for (rank p99 at 5 x 8 and 4 connections 6.4-7.5 ms; with 4,000 pages 1.4-2.3 ms, the WAL up to
/// 16 MB; docs/service-features.md, "Speed, fifth pass"). Completion order
/// (<see cref="CompleteAsync(string, long, int, CancellationToken)"/>) is written by the same single writer as rewards, so a complete event's rewards are final.
/// </remarks>
public sealed class SqliteEventStore : IEventStore
{
    /// <summary>The tables holding a loop's rows (deleted with the loop), children first.</summary>
    private static readonly string[] LoopTables = ["rewards", "completions", "decisions", "action_sets", "actions", "checkpoints"];

    private readonly string _connectionString;
    private readonly bool _fullSync;
    private readonly Channel<Write> _writes = Channel.CreateBounded<Write>(new BoundedChannelOptions(10_000) { SingleReader = true });
    private readonly ConcurrentDictionary<string, (long Through, long RewardCursor)> _completedThrough = new(StringComparer.Ordinal);

    // Bumped (on the writer) whenever rows of a loop are deleted: deleting the newest rewards lets SQLite reuse their rowids,
    // so the completion cursors are found afresh, and a completion computed before the deletion does not store its cursors.
    private readonly ConcurrentDictionary<string, long> _deletions = new(StringComparer.Ordinal);
    private Task? _writer;

    /// <summary>WAL pages after which a commit checkpoints the WAL back into the database file (<c>PRAGMA wal_autocheckpoint</c>; 4 KB pages).</summary>
    public const int WalCheckpointPages = 4000;

    // The writer's prepared statements (see Prepared), used and replaced on the writer only.
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

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
                CREATE TABLE IF NOT EXISTS completions (loop TEXT NOT NULL, cseq INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (loop, cseq), UNIQUE (loop, seq));
                CREATE INDEX IF NOT EXISTS rewards_by_loop ON rewards (loop);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var columns = connection.CreateCommand())
        {
            // Files from before checkpoint checksums get the column; their old checkpoints (no checksum) are refused, and the loop replays its log.
            columns.CommandText = "SELECT count(*) FROM pragma_table_info('checkpoints') WHERE name = 'sha256'";
            if (Convert.ToInt64(await columns.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                columns.CommandText = "ALTER TABLE checkpoints ADD COLUMN sha256 BLOB";
                await columns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        await using (var columns = connection.CreateCommand())
        {
            // The life cycle's columns: a hashed user key (erasure) and deferred activation (1 until activated).
            columns.CommandText = "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = 'inactive'";
            if (Convert.ToInt64(await columns.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                columns.CommandText = "ALTER TABLE decisions ADD COLUMN user_key TEXT; ALTER TABLE decisions ADD COLUMN inactive INTEGER NOT NULL DEFAULT 0;";
                await columns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            columns.CommandText = "CREATE INDEX IF NOT EXISTS decisions_by_user ON decisions (loop, user_key) WHERE user_key IS NOT NULL";
            await columns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var columns = connection.CreateCommand())
        {
            // Compact payloads (version 2) keep a loop's action blocks once, by hash (see DecisionPayload); older rows have none.
            columns.CommandText = "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = 'action_set'";
            if (Convert.ToInt64(await columns.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                columns.CommandText = "ALTER TABLE decisions ADD COLUMN action_set BLOB";
                await columns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            columns.CommandText = "CREATE TABLE IF NOT EXISTS action_sets (loop TEXT NOT NULL, hash BLOB NOT NULL, block BLOB NOT NULL, PRIMARY KEY (loop, hash)) WITHOUT ROWID";
            await columns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
            if (command.ExecuteNonQuery() != 1)
            {
                return false;
            }
            foreach (var table in LoopTables)
            {
                using var rows = Command(connection, transaction, $"DELETE FROM {table} WHERE loop = $l", ("$l", loop.Name)); // left by an earlier loop of this name
                rows.ExecuteNonQuery();
            }
            ForgetCursors(loop.Name);
            return true;
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
        AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, default, requireLoop: false, cancellationToken);

    /// <inheritdoc />
    public Task AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, DecisionMarks marks, CancellationToken cancellationToken) =>
        AppendDecisionAsync(loop, eventId, createdMilliseconds, slateSize, payload, marks, requireLoop: true, cancellationToken);

    /// <summary>
    /// Appends a decision in the writer's current group: a compact payload's action block is kept once per loop (by its hash)
    /// and the row references it; with <paramref name="requireLoop"/> the loop must be stored.
    /// </summary>
    private Task<bool> AppendDecisionAsync(string loop, string eventId, long createdMilliseconds, int slateSize, byte[] payload, DecisionMarks marks, bool requireLoop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var shared = DecisionPayload.TrySplit(payload, out var compact, out var hash, out var block); // off the writer: it hashes the block
        return EnqueueAsync((connection, transaction) =>
        {
            if (requireLoop)
            {
                var exists = Prepared(connection, transaction, "SELECT EXISTS (SELECT 1 FROM loops WHERE name = $l)", ("$l", loop));
                if (Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
                {
                    throw new UnknownLoopException(loop);
                }
            }
            if (shared)
            {
                var keep = Prepared(connection, transaction, "INSERT OR IGNORE INTO action_sets (loop, hash, block) VALUES ($l, $h, $b)", ("$l", loop), ("$h", hash), ("$b", block));
                keep.ExecuteNonQuery();
            }
            var command = Prepared(connection, transaction, "INSERT OR IGNORE INTO decisions (loop, event_id, created_ms, slate_size, payload, user_key, inactive, action_set) VALUES ($l, $e, $c, $s, $p, $u, $i, $a)",
                ("$l", loop), ("$e", eventId), ("$c", createdMilliseconds), ("$s", slateSize), ("$p", shared ? compact : payload), ("$u", (object?)marks.UserKeyHash ?? DBNull.Value), ("$i", marks.Deferred ? 1 : 0),
                ("$a", shared ? hash : DBNull.Value));
            return command.ExecuteNonQuery() == 0 ? throw new DuplicateEventException(eventId) : true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
        AppendRewardAsync(loop, eventId, slot, value, nowMilliseconds, waitMilliseconds, RewardAggregation.Reject, cancellationToken);

    /// <inheritdoc />
    public Task<RewardOutcome> AppendRewardAsync(string loop, string eventId, int slot, double value, long nowMilliseconds, long waitMilliseconds, RewardAggregation aggregation, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            bool rewarded;
            var find = Prepared(connection, transaction, """
                SELECT d.created_ms, d.slate_size, EXISTS (SELECT 1 FROM completions c WHERE c.loop = d.loop AND c.seq = d.seq),
                    EXISTS (SELECT 1 FROM rewards r WHERE r.loop = d.loop AND r.event_id = d.event_id AND r.slot = $s), d.inactive
                FROM decisions d WHERE d.loop = $l AND d.event_id = $e
                """, ("$l", loop), ("$e", eventId), ("$s", slot));
            using (var reader = find.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return RewardOutcome.UnknownEvent;
                }
                if (slot >= reader.GetInt32(1))
                {
                    return RewardOutcome.SlotOutOfRange;
                }
                rewarded = reader.GetBoolean(3);
                if (rewarded && aggregation is RewardAggregation.Reject or RewardAggregation.Earliest)
                {
                    return aggregation == RewardAggregation.Earliest ? RewardOutcome.Ignored : RewardOutcome.Duplicate; // even when that reward completed the event
                }
                if (nowMilliseconds - reader.GetInt64(0) > waitMilliseconds || reader.GetBoolean(2))
                {
                    return RewardOutcome.Expired; // past its wait, or already learned with the default reward for this slot
                }
                if (reader.GetInt64(4) != 0)
                {
                    return RewardOutcome.NotActivated;
                }
            }
            var insert = Prepared(connection, transaction, "INSERT INTO rewards (loop, event_id, slot, value, created_ms) VALUES ($l, $e, $s, $v, $c) " + aggregation switch
            {
                RewardAggregation.Sum => "ON CONFLICT (loop, event_id, slot) DO UPDATE SET value = value + excluded.value, created_ms = excluded.created_ms",
                RewardAggregation.Last => "ON CONFLICT (loop, event_id, slot) DO UPDATE SET value = excluded.value, created_ms = excluded.created_ms",
                _ => "ON CONFLICT DO NOTHING",
            }, ("$l", loop), ("$e", eventId), ("$s", slot), ("$v", value), ("$c", nowMilliseconds));
            return insert.ExecuteNonQuery() == 1 ? RewardOutcome.Accepted : aggregation == RewardAggregation.Earliest ? RewardOutcome.Ignored : RewardOutcome.Duplicate;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ActivationOutcome> ActivateAsync(string loop, string eventId, long nowMilliseconds, long waitMilliseconds, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using (var find = Command(connection, transaction, """
                SELECT d.created_ms, d.inactive, EXISTS (SELECT 1 FROM completions c WHERE c.loop = d.loop AND c.seq = d.seq)
                FROM decisions d WHERE d.loop = $l AND d.event_id = $e
                """, ("$l", loop), ("$e", eventId)))
            using (var reader = find.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return ActivationOutcome.UnknownEvent;
                }
                if (reader.GetInt64(1) == 0)
                {
                    return ActivationOutcome.AlreadyActive;
                }
                if (nowMilliseconds - reader.GetInt64(0) > waitMilliseconds || reader.GetBoolean(2))
                {
                    return ActivationOutcome.Expired;
                }
            }
            using var update = Command(connection, transaction, "UPDATE decisions SET inactive = 0 WHERE loop = $l AND event_id = $e", ("$l", loop), ("$e", eventId));
            update.ExecuteNonQuery();
            return ActivationOutcome.Activated;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetDefinitionAsync(string loop, string definition, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction, "UPDATE loops SET definition = $d WHERE name = $n", ("$n", loop), ("$d", definition));
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    /// <inheritdoc />
    public Task ReplaceCheckpointAsync(string loop, long sequence, byte[] state, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                "INSERT INTO checkpoints (loop, seq, state, sha256, created_ms) VALUES ($l, $s, $b, $h, $c) ON CONFLICT (loop) DO UPDATE SET seq = excluded.seq, state = excluded.state, sha256 = excluded.sha256, created_ms = excluded.created_ms",
                ("$l", loop), ("$s", sequence), ("$b", state), ("$h", Checksums.Checkpoint(sequence, state)), ("$c", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return command.ExecuteNonQuery();
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> DeleteLoopAsync(string loop, CancellationToken cancellationToken)
    {
        var deleted = await EnqueueAsync((connection, transaction) =>
        {
            foreach (var table in LoopTables)
            {
                using var rows = Command(connection, transaction, $"DELETE FROM {table} WHERE loop = $l", ("$l", loop));
                rows.ExecuteNonQuery();
            }
            using var command = Command(connection, transaction, "DELETE FROM loops WHERE name = $l", ("$l", loop));
            ForgetCursors(loop); // a loop created later under this name starts its cursors afresh
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    /// <remarks>The completion order keeps its rows (they hold no user data), so its numbering never goes back.</remarks>
    public Task<long> EraseUserAsync(string loop, string userKeyHash, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            using (var rewards = Command(connection, transaction, "DELETE FROM rewards WHERE loop = $l AND event_id IN (SELECT event_id FROM decisions WHERE loop = $l AND user_key = $u)",
                ("$l", loop), ("$u", userKeyHash)))
            {
                rewards.ExecuteNonQuery();
            }
            using var decisions = Command(connection, transaction, "DELETE FROM decisions WHERE loop = $l AND user_key = $u", ("$l", loop), ("$u", userKeyHash));
            ForgetCursors(loop);
            return (long)decisions.ExecuteNonQuery();
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The completion rows of deleted events go too, except the loop's last one, so the completion order's numbering (the
    /// learners' and checkpoints' positions) never goes back; decision sequence numbers are never reused (AUTOINCREMENT).
    /// </remarks>
    public Task<long> DeleteFinishedAsync(string loop, long createdBeforeMilliseconds, long throughCompletion, CancellationToken cancellationToken) =>
        EnqueueAsync((connection, transaction) =>
        {
            const string Old = "SELECT d.seq FROM decisions d JOIN completions c ON c.loop = d.loop AND c.seq = d.seq WHERE d.loop = $l AND d.created_ms < $x AND c.cseq <= $k";
            using (var rewards = Command(connection, transaction, $"DELETE FROM rewards WHERE loop = $l AND event_id IN (SELECT event_id FROM decisions WHERE loop = $l AND seq IN ({Old}))",
                ("$l", loop), ("$x", createdBeforeMilliseconds), ("$k", throughCompletion)))
            {
                rewards.ExecuteNonQuery();
            }
            long deleted;
            using (var decisions = Command(connection, transaction, $"DELETE FROM decisions WHERE loop = $l AND seq IN ({Old})",
                ("$l", loop), ("$x", createdBeforeMilliseconds), ("$k", throughCompletion)))
            {
                deleted = decisions.ExecuteNonQuery();
            }
            using var completions = Command(connection, transaction, """
                DELETE FROM completions WHERE loop = $l AND cseq <= $k AND cseq < (SELECT max(cseq) FROM completions WHERE loop = $l)
                    AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.loop = $l AND d.seq = completions.seq)
                """, ("$l", loop), ("$k", throughCompletion));
            completions.ExecuteNonQuery();
            ForgetCursors(loop);
            return deleted;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoggedEvent>> ReadAfterAsync(string loop, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<LoggedEvent>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT d.seq, d.event_id, d.created_ms, d.slate_size, d.payload, d.inactive, a.block FROM decisions d " + JoinBlocks + " WHERE d.loop = $l AND d.seq > $s ORDER BY d.seq LIMIT $n";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$s", afterSequence);
            command.Parameters.AddWithValue("$n", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(ReadEvent(reader, 0, 0));
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
                if (byId.TryGetValue(reader.GetString(0), out var e) && reader.GetInt32(1) < e.Rewards.Length)
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
            command.CommandText = "SELECT d.seq, d.event_id, d.created_ms, d.slate_size, d.payload, d.inactive, a.block FROM decisions d " + JoinBlocks + " WHERE d.loop = $l AND d.event_id = $e";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$e", eventId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            found = ReadEvent(reader, 0, 0);
        }
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT slot, value FROM rewards WHERE loop = $l AND event_id = $e";
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$e", eventId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.GetInt32(0) < found.Rewards.Length)
                {
                    found.Rewards[reader.GetInt32(0)] = reader.GetDouble(1);
                }
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
                "INSERT INTO checkpoints (loop, seq, state, sha256, created_ms) VALUES ($l, $s, $b, $h, $c) ON CONFLICT (loop) DO UPDATE SET seq = excluded.seq, state = excluded.state, sha256 = excluded.sha256, created_ms = excluded.created_ms WHERE excluded.seq >= checkpoints.seq",
                ("$l", loop), ("$s", sequence), ("$b", state), ("$h", Checksums.Checkpoint(sequence, state)), ("$c", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return command.ExecuteNonQuery();
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<(long Sequence, byte[] State)?> LoadCheckpointAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, state, sha256 FROM checkpoints WHERE loop = $l";
        command.Parameters.AddWithValue("$l", loop);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var sequence = reader.GetInt64(0);
        // A checkpoint written before checksums has none: it cannot be trusted (and counted the log differently), so it is refused like a damaged one.
        return reader[1] is byte[] state && reader[2] is byte[] checksum && Checksums.Checkpoint(sequence, state).AsSpan().SequenceEqual(checksum)
            ? (sequence, state)
            : throw new InvalidDataException(Checksums.CheckpointMismatch(loop, sequence));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Looks only where a completion can be: events after the first incomplete one whose wait has run out (a short range
    /// at the front of the pending window), and events that received a reward since the last call (rewards after a rowid
    /// cursor; the single writer makes rowids follow commit order). The window of events still waiting is never scanned,
    /// however long their wait. The cursors are found once per loop and process, then kept.
    /// </remarks>
    public Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, CancellationToken cancellationToken) =>
        CompleteAsync(loop, expiredBeforeMilliseconds, limit, true, cancellationToken);

    /// <inheritdoc />
    public async Task<int> CompleteAsync(string loop, long expiredBeforeMilliseconds, int limit, bool completeWhenRewarded, CancellationToken cancellationToken)
    {
        var (completed, next, generation) = await EnqueueAsync((connection, transaction) =>
        {
            var known = _completedThrough.TryGetValue(loop, out var cursors); // read on the writer: after any deletion before it
            var generation = _deletions.GetValueOrDefault(loop);
            long Scalar(string sql, params (string Name, object Value)[] parameters)
            {
                using var command = Command(connection, transaction, sql, parameters);
                return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }

            long FirstIncompleteBefore(long after) => Scalar("""
                SELECT coalesce((SELECT d.seq - 1 FROM decisions d WHERE d.loop = $l AND d.seq > $a AND NOT EXISTS (SELECT 1 FROM completions c WHERE c.loop = $l AND c.seq = d.seq) ORDER BY d.seq LIMIT 1),
                    (SELECT max(seq) FROM decisions WHERE loop = $l AND seq > $a), $a)
                """, ("$l", loop), ("$a", after));

            var (through, rewardCursor) = cursors;
            if (!known)
            {
                through = FirstIncompleteBefore(0);
                rewardCursor = Scalar("""
                    SELECT coalesce((SELECT min(r.rowid) - 1 FROM decisions d JOIN rewards r ON r.loop = d.loop AND r.event_id = d.event_id WHERE d.loop = $l AND d.seq > $a),
                        (SELECT max(rowid) FROM rewards WHERE loop = $l), 0)
                    """, ("$l", loop), ("$a", through));
            }
            int inserted;
            using (var insert = Command(connection, transaction, """
                INSERT INTO completions (loop, cseq, seq)
                SELECT $l, (SELECT coalesce(max(cseq), 0) FROM completions WHERE loop = $l) + row_number() OVER (ORDER BY c.seq), c.seq
                FROM (
                    SELECT d.seq FROM decisions d
                    WHERE d.loop = $l AND d.seq > $a
                        AND d.seq < coalesce((SELECT f.seq FROM decisions f WHERE f.loop = $l AND f.seq > $a AND f.created_ms >= $x ORDER BY f.seq LIMIT 1), 9223372036854775807)
                    UNION
                    SELECT d.seq FROM rewards r JOIN decisions d ON d.loop = r.loop AND d.event_id = r.event_id
                    WHERE $w = 1 AND r.loop = $l AND r.rowid > $r AND (SELECT count(*) FROM rewards q WHERE q.loop = d.loop AND q.event_id = d.event_id) >= d.slate_size
                ) c
                WHERE NOT EXISTS (SELECT 1 FROM completions x WHERE x.loop = $l AND x.seq = c.seq)
                ORDER BY c.seq LIMIT $n
                """, ("$l", loop), ("$a", through), ("$x", expiredBeforeMilliseconds), ("$r", rewardCursor), ("$n", limit), ("$w", completeWhenRewarded ? 1 : 0)))
            {
                inserted = insert.ExecuteNonQuery();
            }
            if (inserted < limit)
            {
                // Everything found was recorded: later calls need only look after these.
                rewardCursor = Scalar("SELECT coalesce(max(rowid), $r) FROM rewards WHERE loop = $l", ("$l", loop), ("$r", rewardCursor));
                through = FirstIncompleteBefore(through);
            }
            return (inserted, (through, rewardCursor), generation);
        }, cancellationToken).ConfigureAwait(false);
        if (_deletions.GetValueOrDefault(loop) == generation)
        {
            _completedThrough[loop] = next;
        }
        return completed;
    }

    /// <summary>Called on the writer after deleting rows of the loop: its completion cursors are found afresh by the next completion.</summary>
    private void ForgetCursors(string loop)
    {
        _deletions.AddOrUpdate(loop, 1, (_, n) => n + 1);
        _completedThrough.TryRemove(loop, out _);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoggedEvent>> ReadCompletedAsync(string loop, long afterCompletion, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<LoggedEvent>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT d.seq, d.event_id, d.created_ms, d.slate_size, d.payload, c.cseq, d.inactive, a.block FROM completions c JOIN decisions d ON d.seq = c.seq AND d.loop = c.loop
                LEFT JOIN action_sets a ON a.loop = d.loop AND a.hash = d.action_set
                WHERE c.loop = $l AND c.cseq > $a ORDER BY c.cseq LIMIT $n
                """;
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$a", afterCompletion);
            command.Parameters.AddWithValue("$n", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(ReadEvent(reader, 0, reader.GetInt64(5)));
            }
        }
        if (events.Count > 0)
        {
            // A complete event's rewards are final (no reward is accepted once it is complete), so a second read agrees.
            var byId = events.ToDictionary(e => e.EventId);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT r.event_id, r.slot, r.value FROM completions c JOIN decisions d ON d.seq = c.seq AND d.loop = c.loop
                JOIN rewards r ON r.loop = d.loop AND r.event_id = d.event_id WHERE c.loop = $l AND c.cseq > $a AND c.cseq <= $b
                """;
            command.Parameters.AddWithValue("$l", loop);
            command.Parameters.AddWithValue("$a", afterCompletion);
            command.Parameters.AddWithValue("$b", events[^1].Completion);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (byId.TryGetValue(reader.GetString(0), out var e) && reader.GetInt32(1) < e.Rewards.Length)
                {
                    e.Rewards[reader.GetInt32(1)] = reader.GetDouble(2);
                }
            }
        }
        return events;
    }

    /// <inheritdoc />
    public async Task<long> CompletedCountAsync(string loop, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(cseq), 0) FROM completions WHERE loop = $l";
        command.Parameters.AddWithValue("$l", loop);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    /// <remarks>Reads the newest page of the log and asks the writer for an empty commit, so a damaged tail or a stuck writer fails it.</remarks>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, payload FROM decisions ORDER BY seq DESC LIMIT 1";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        await EnqueueAsync((_, _) => true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Joins a decision row (alias d) to its action block (alias a; null columns when the payload is self-contained).</summary>
    private const string JoinBlocks = "LEFT JOIN action_sets a ON a.loop = d.loop AND a.hash = d.action_set";

    /// <summary>An event from a row of (seq, event_id, created_ms, slate_size, payload, ..., inactive, block) starting at <paramref name="first"/>; a damaged payload is reported, not thrown.</summary>
    private static LoggedEvent ReadEvent(SqliteDataReader reader, int first, long completion)
    {
        var sequence = reader.GetInt64(first);
        var (decision, damage) = reader[first + 4] is byte[] payload
            ? StoredDecision.Decode(payload, reader[reader.GetOrdinal("block")] as byte[], sequence)
            : (StoredDecision.Damaged, $"event {sequence}: the decision payload is not binary data (it was overwritten)");
        return new LoggedEvent(sequence, reader.GetString(first + 1), reader.GetInt64(first + 2), decision, Enumerable.Repeat(double.NaN, reader.GetInt32(first + 3)).ToArray(), completion, damage)
        {
            Inactive = reader.GetInt64(reader.GetOrdinal("inactive")) != 0,
        };
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

    private async Task<T> EnqueueAsync<T>(Func<SqliteConnection, SqliteTransaction?, T> operation, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("Initialise the store before writing to it.");
        }
        var write = new Write((connection, transaction) => operation(connection, transaction));
        await _writes.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        return (T)(await write.Done.Task.ConfigureAwait(false))!;
    }

    /// <summary>
    /// The writer: takes every waiting write, runs them in one transaction, commits, then answers them. A group that
    /// cannot commit fails with an <see cref="IOException"/>; the writer then reopens its connection and goes on.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        SqliteConnection? connection = null;
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
                connection ??= await OpenWriterAsync().ConfigureAwait(false);
                // BEGIN IMMEDIATE and COMMIT as prepared statements, not SqliteTransaction: each SqliteTransaction registers a
                // rollback hook whose handle (SQLitePCL's hook_handle) is left to the finalizer, one per group commit.
                Prepared(connection, null, "BEGIN IMMEDIATE").ExecuteNonQuery();
                var committed = false;
                try
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        try
                        {
                            batch[i] = (batch[i].Write, batch[i].Write.Operation(connection, null), null);
                        }
                        catch (Exception e) when (e is DuplicateEventException or UnknownLoopException || (e is SqliteException sqlite && !Fatal(sqlite)))
                        {
                            batch[i] = (batch[i].Write, null, e); // the statement is rolled back, the rest of the group goes on
                        }
                    }
                    Prepared(connection, null, "COMMIT").ExecuteNonQuery();
                    committed = true;
                }
                finally
                {
                    if (!committed)
                    {
                        Rollback(connection);
                    }
                }
            }
            catch (Exception e)
            {
                foreach (var (write, _, _) in batch)
                {
                    write.Done.TrySetException(new IOException($"The event store could not commit: {e.Message}", e));
                }
                if (connection is not null)
                {
                    ForgetPrepared();
                    await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
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
        if (connection is not null)
        {
            ForgetPrepared();
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Rolls back the writer's open transaction, if SQLite has not already (the connection is closed next either way).</summary>
    private static void Rollback(SqliteConnection connection)
    {
        try
        {
            using var rollback = Command(connection, null, "ROLLBACK");
            rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // no transaction was open (SQLite rolled it back itself), or the file is unusable: closing the connection ends it
        }
    }

    /// <summary>Errors that fail the whole group (the file or the transaction is unusable), not one statement.</summary>
    private static bool Fatal(SqliteException e) => (e.SqliteErrorCode & 0xff) is 5 or 6 or 10 or 11 or 13 or 14 or 26;

    private async Task<SqliteConnection> OpenWriterAsync()
    {
        var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = (_fullSync ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;") + $" PRAGMA wal_autocheckpoint = {WalCheckpointPages};";
            await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// A statement of the rank and reward path, prepared once per writer connection and reused (SQLite parses and plans a
    /// statement each time a new command runs it); only the writer calls it, and its statements are never disposed by the caller.
    /// </summary>
    private SqliteCommand Prepared(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        if (!_prepared.TryGetValue(sql, out var command) || !ReferenceEquals(command.Connection, connection))
        {
            command?.Dispose();
            command = Command(connection, transaction, sql, parameters);
            _prepared[sql] = command;
            return command;
        }
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters[name].Value = value;
        }
        return command;
    }

    /// <summary>Disposes the prepared statements (their connection is closing).</summary>
    private void ForgetPrepared()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }
        _prepared.Clear();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
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

    private sealed class Write(Func<SqliteConnection, SqliteTransaction?, object?> operation)
    {
        public Func<SqliteConnection, SqliteTransaction?, object?> Operation { get; } = operation;

        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
