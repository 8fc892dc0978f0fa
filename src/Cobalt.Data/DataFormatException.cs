namespace Cobalt.Data;

/// <summary>A data file is malformed: the message names the file, the line and what is wrong.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception for line <paramref name="line"/> (1-based; 0 when the problem is the whole file).</summary>
    public DataFormatException(string file, long line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    /// <summary>Creates the exception without a location (prefer the other constructor).</summary>
    public DataFormatException()
        : this("(unknown file)", 0, "malformed data")
    {
    }

    /// <summary>Creates the exception without a location (prefer the other constructor).</summary>
    public DataFormatException(string message)
        : this("(unknown file)", 0, message)
    {
    }

    /// <summary>Creates the exception without a location (prefer the other constructor).</summary>
    public DataFormatException(string message, Exception inner)
        : base(message, inner)
    {
        File = "(unknown file)";
        Problem = message;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The line (1-based), or 0.</summary>
    public long Line { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
