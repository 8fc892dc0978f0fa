using System.Buffers.Binary;
using System.Security.Cryptography;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;

namespace Cobalt.Service.Loops;

/// <summary>
/// A rank call as the event log keeps it: enough to rebuild the decision context and learn from its rewards later
/// (context features, the actions' ids and features, the chosen positions and their propensities).
/// </summary>
/// <remarks>
/// The stored bytes are the compact version 2 (<see cref="DecisionPayload"/>: <c>"CBD2"</c>, a checksum, float32 features,
/// the action block shareable by reference); a payload whose body no longer matches its checksum is reported as damaged
/// (<see cref="TryFromBytes(byte[], out StoredDecision, out string)"/>), never learned from. Older payloads are still read:
/// version 1 (<c>"CBD1"</c>, the first 16 bytes of the SHA-256 of a <see cref="StateWriter"/> body of float64 arrays) and
/// the body alone (written before checksums).
/// </remarks>
/// <param name="Context">Shared context features.</param>
/// <param name="ActionIds">Dense action ids of the candidates (the loop's id map).</param>
/// <param name="ActionFeatures">Candidate features, row-major.</param>
/// <param name="Chosen">Chosen candidate positions, in slate order.</param>
/// <param name="Propensities">Probability of each chosen slot given the slots before it (NaN when the policy has none).</param>
/// <param name="FirstSlot">
/// Every candidate's probability of filling the first slot (the logging distribution evaluations check support against); null
/// in events logged before it was kept.
/// </param>
public sealed record StoredDecision(double[] Context, int[] ActionIds, double[] ActionFeatures, int[] Chosen, double[] Propensities, double[]? FirstSlot = null)
{
    private const int ChecksumLength = 16;
    private static ReadOnlySpan<byte> Magic => "CBD1"u8;

    /// <summary>What a damaged payload reads as: no candidates, no slots.</summary>
    public static StoredDecision Damaged { get; } = new([], [], [], [], []);

    /// <summary>The decision context this call was ranked in.</summary>
    public DecisionContext ToContext(long round, int actionDimension) =>
        new(round, DecisionContext.NoUser, Context, CandidateSet.FromFeatures(ActionIds, new FeatureMatrix(ActionIds.Length, actionDimension, ActionFeatures)));

    /// <summary>Serialises the decision with its checksum, in the compact version 2 (self-contained: its action block inline).</summary>
    public byte[] ToBytes() => DecisionPayload.Write(this);

    /// <summary>Serialises the decision as version 1 wrote it (<c>"CBD1"</c>, float64 arrays), for tests of old logs.</summary>
    internal byte[] ToBytesVersion1()
    {
        using var stream = new MemoryStream();
        stream.Write(Magic);
        stream.Write(new byte[ChecksumLength]);
        using (var writer = new StateWriter(stream))
        {
            writer.Tag("decision");
            writer.Write(Context);
            writer.Write(ActionIds);
            writer.Write(ActionFeatures);
            writer.Write(Chosen);
            writer.Write(Propensities);
            if (FirstSlot is not null)
            {
                writer.Write(FirstSlot); // optional trailing field: older payloads end before it
            }
        }
        var bytes = stream.ToArray();
        var body = Magic.Length + ChecksumLength;
        SHA256.HashData(bytes.AsSpan(body))[..ChecksumLength].CopyTo(bytes.AsSpan(Magic.Length));
        return bytes;
    }

    /// <summary>Reads a decision written by <see cref="ToBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The payload is damaged (checksum mismatch or unreadable).</exception>
    public static StoredDecision FromBytes(byte[] bytes) =>
        TryFromBytes(bytes, out var decision, out var problem) ? decision : throw new InvalidDataException(problem);

    /// <summary>Reads a decision; false (with the reason) when the payload does not match its checksum or cannot be read.</summary>
    public static bool TryFromBytes(byte[] bytes, out StoredDecision decision, out string problem) =>
        TryFromBytes(bytes, null, out decision, out problem);

    /// <summary>
    /// Reads a decision whose action block a store kept apart (<paramref name="block"/>, null when none); false (with the
    /// reason) when the payload or the block does not match its checksum or cannot be read.
    /// </summary>
    public static bool TryFromBytes(byte[] bytes, byte[]? block, out StoredDecision decision, out string problem)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        decision = Damaged;
        var body = bytes.AsSpan();
        if (body.StartsWith(DecisionPayload.Magic))
        {
            if (!DecisionPayload.TryRead(bytes, block, out decision, out problem))
            {
                decision = Damaged;
                return false;
            }
            return Consistent(ref decision, out problem);
        }
        if (body.StartsWith(Magic))
        {
            if (body.Length < Magic.Length + ChecksumLength)
            {
                problem = $"the decision payload is truncated ({bytes.Length} bytes)";
                return false;
            }
            var stored = body.Slice(Magic.Length, ChecksumLength);
            body = body[(Magic.Length + ChecksumLength)..];
            if (!SHA256.HashData(body)[..ChecksumLength].AsSpan().SequenceEqual(stored))
            {
                problem = "the decision payload does not match its SHA-256 checksum";
                return false;
            }
        }
        try
        {
            var stream = new MemoryStream(body.ToArray());
            using var reader = new StateReader(stream);
            reader.Tag("decision");
            decision = new StoredDecision(reader.ReadDoubles("context"), reader.ReadInts("action ids"), reader.ReadDoubles("action features"), reader.ReadInts("chosen"), reader.ReadDoubles("propensities"));
            if (stream.Position < stream.Length)
            {
                decision = decision with { FirstSlot = reader.ReadDoubles("first-slot probabilities", decision.ActionIds.Length) }; // optional trailing field
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException or FormatException or OverflowException)
        {
            problem = $"the decision payload cannot be read: {e.Message}";
            decision = Damaged;
            return false;
        }
        return Consistent(ref decision, out problem);
    }

    private static bool Consistent(ref StoredDecision decision, out string problem)
    {
        var actions = decision.ActionIds.Length;
        if (decision.Chosen.Length == 0 || decision.Propensities.Length != decision.Chosen.Length || decision.Chosen.Any(c => c < 0 || c >= actions))
        {
            problem = "the decision payload is inconsistent (chosen positions and propensities do not match its actions)";
            decision = Damaged;
            return false;
        }
        problem = "";
        return true;
    }

    /// <summary>Reads a logged event's payload: the decision, or <see cref="Damaged"/> with the reason naming the sequence.</summary>
    internal static (StoredDecision Decision, string? Damage) Decode(byte[] payload, long sequence) => Decode(payload, null, sequence);

    /// <summary>As <see cref="Decode(byte[], long)"/>, with the action block the store kept apart (null when none).</summary>
    internal static (StoredDecision Decision, string? Damage) Decode(byte[] payload, byte[]? block, long sequence) =>
        TryFromBytes(payload, block, out var decision, out var problem) ? (decision, null) : (Damaged, $"event {sequence}: {problem}");

    /// <summary>Big-endian bytes of a sequence number (for checksums that cover it).</summary>
    internal static byte[] SequenceBytes(long sequence)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, sequence);
        return bytes;
    }
}

/// <summary>A decision from the log with the rewards received for it so far.</summary>
/// <param name="Sequence">Position in the loop's log.</param>
/// <param name="EventId">The caller-visible event id.</param>
/// <param name="CreatedMilliseconds">Unix time of the rank call (ms).</param>
/// <param name="Decision">What was ranked and chosen (<see cref="StoredDecision.Damaged"/> when <paramref name="Damage"/> is set).</param>
/// <param name="Rewards">Reward per slot, NaN where none arrived.</param>
/// <param name="Completion">
/// Position in the loop's completion order (1, 2, ...: the order in which events became complete, the order learners
/// learn them); 0 when read in log order.
/// </param>
/// <param name="Damage">Why the stored payload could not be read (it names the sequence), or null.</param>
public sealed record LoggedEvent(long Sequence, string EventId, long CreatedMilliseconds, StoredDecision Decision, double[] Rewards, long Completion = 0, string? Damage = null)
{
    /// <summary>
    /// Ranked with deferred activation and not (yet) activated: once complete it is finished as inactive, never learned,
    /// and offline evaluations count it apart.
    /// </summary>
    public bool Inactive { get; init; }
}
