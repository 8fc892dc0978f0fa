using System.Security.Cryptography;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Storage;

/// <summary>Checksums the stores write beside what they keep.</summary>
internal static class Checksums
{
    /// <summary>
    /// SHA-256 of a checkpoint: its sequence number (8 bytes, big-endian) then its state, so that a sequence changed by hand
    /// is detected as well as damaged state.
    /// </summary>
    public static byte[] Checkpoint(long sequence, byte[] state)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(StoredDecision.SequenceBytes(sequence));
        hash.AppendData(state);
        return hash.GetHashAndReset();
    }

    /// <summary>The message of a checkpoint that fails its checksum.</summary>
    public static string CheckpointMismatch(string loop, long sequence) =>
        $"The checkpoint of loop '{loop}' (sequence {sequence}) does not match its SHA-256 checksum: it is damaged, was changed by hand or was written by an older version.";
}
