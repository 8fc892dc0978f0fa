namespace Cobalt.Benchmarks.Infrastructure;

/// <summary>
/// Marks a benchmark method whose one operation reads <see cref="Bytes"/> bytes of input;
/// <see cref="BandwidthColumn"/> turns its mean time into an effective bandwidth in GB/s.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class BytesReadAttribute(long bytes) : Attribute
{
    /// <summary>Bytes of input one operation reads.</summary>
    public long Bytes { get; } = bytes;
}

/// <summary>
/// Marks a benchmark class whose one operation is one bandit round;
/// <see cref="RoundsPerSecondColumn"/> reports 1 / mean time for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class RoundsPerSecondAttribute : Attribute;
