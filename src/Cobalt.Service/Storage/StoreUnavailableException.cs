namespace Cobalt.Service.Storage;

/// <summary>
/// The event store could not be used (unreachable, restarting, damaged) after the retries of
/// <see cref="ResilientEventStore"/>; the API answers it with 503 and a Retry-After header, never 500. It is an
/// <see cref="IOException"/>, so callers that report I/O failures report it too.
/// </summary>
public sealed class StoreUnavailableException : IOException
{
    /// <summary>Creates the exception for an operation (e.g. "appending a decision") and the store's error.</summary>
    public StoreUnavailableException(string operation, Exception inner)
        : base($"The event store is unavailable ({operation}): {inner?.Message}", inner)
    {
        Operation = operation;
    }

    /// <summary>Creates the exception with a message.</summary>
    public StoreUnavailableException()
        : this("unknown operation", new IOException("unavailable"))
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StoreUnavailableException(string message)
        : this(message, new IOException("unavailable"))
    {
    }

    /// <summary>What the service was doing.</summary>
    public string Operation { get; } = "";
}
