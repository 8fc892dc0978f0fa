namespace Cobalt.RecoGym.Logs;

/// <summary>A log file is malformed; <see cref="Line"/> says where (1-based, the header is line 1).</summary>
public sealed class LogFormatException : FormatException
{
    /// <summary>Creates the exception for line <paramref name="line"/> of <paramref name="source"/>.</summary>
    public LogFormatException(string source, int line, string problem)
        : base($"{source}:{line}: {problem}")
    {
        Source = source;
        Line = line;
        Problem = problem;
    }

    /// <summary>Creates the exception without a location (prefer the other constructor).</summary>
    public LogFormatException()
        : this("(log)", 0, "malformed log")
    {
    }

    /// <summary>Creates the exception without a location (prefer the other constructor).</summary>
    public LogFormatException(string message)
        : this("(log)", 0, message)
    {
    }

    /// <summary>Creates the exception without a location (prefer the other constructor).</summary>
    public LogFormatException(string message, Exception inner)
        : base(message, inner)
    {
        Source = "(log)";
        Problem = message;
    }

    /// <summary>1-based line number of the bad line.</summary>
    public int Line { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
