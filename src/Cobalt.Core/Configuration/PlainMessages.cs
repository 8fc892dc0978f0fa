using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cobalt.Core.Configuration;

/// <summary>
/// Turns .NET exception messages into what a user should read: no <c>(Parameter 'x')</c> suffixes, no
/// <c>Actual value was ...</c> lines, no framework type names, and JSON positions given once, 1-based.
/// </summary>
public static partial class PlainMessages
{
    /// <summary>The message of <paramref name="error"/> in plain words (a <see cref="JsonException"/> with its 1-based line and column).</summary>
    public static string Of(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error is JsonException json ? Json(json) : Plain(error.Message);
    }

    /// <summary>
    /// <paramref name="message"/> without the parts meant for programmers: <c>(Parameter 'x')</c>, <c>Actual value was v.</c>,
    /// <c>Path: $.x | LineNumber: 4 | BytePositionInLine: 1.</c>, and .NET type names (<c>System.Int32</c> is written "a whole number").
    /// </summary>
    public static string Plain(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = ParameterSuffix().Replace(message, string.Empty);
        text = ActualValue().Replace(text, string.Empty);
        text = JsonPosition().Replace(text, string.Empty);
        text = NonPositive().Replace(text, "$1 must be at least 1 (it is $2).");
        text = TypeName().Replace(text, match => TypeWord(match.Value));
        return Whitespace().Replace(text, " ").Trim();
    }

    /// <summary>A JSON syntax or conversion error as "line L, column C: problem" (both 1-based), or the problem alone when it has no position.</summary>
    public static string Json(JsonException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var problem = Plain(error.Message);
        return error.LineNumber is { } line
            ? $"line {line + 1}{(error.BytePositionInLine is { } column ? $", column {column + 1}" : string.Empty)}: {problem}"
            : problem;
    }

    private static string TypeWord(string type)
    {
        var inner = type.Contains("Nullable", StringComparison.Ordinal) && type.Contains('[', StringComparison.Ordinal)
            ? type[(type.IndexOf('[', StringComparison.Ordinal) + 1)..].TrimEnd(']')
            : type;
        return inner switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.Byte" => "a whole number",
            "System.UInt32" or "System.UInt64" or "System.UInt16" => "a whole number of at least 0",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.String" => "text",
            "System.DateTime" or "System.DateTimeOffset" => "a date",
            _ when inner.Contains('`', StringComparison.Ordinal) || inner.Contains('[', StringComparison.Ordinal) => "a value of the right kind",
            _ => inner[(inner.LastIndexOf('.') + 1)..].Trim('\''),
        };
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();

    [GeneratedRegex(@"\s*Actual value was [^\r\n]*")]
    private static partial Regex ActualValue();

    [GeneratedRegex(@"\s*(Path: \S*\s*\|\s*)?LineNumber: \d+\s*\|\s*BytePositionInLine: \d+\.?")]
    private static partial Regex JsonPosition();

    [GeneratedRegex(@"(\w+) \('(-?[\d.]+)'\) must be a non-negative and non-zero value\.")]
    private static partial Regex NonPositive();

    [GeneratedRegex(@"'?System\.Nullable`1\[[\w.]+\]'?|'?System\.[A-Z][\w.`]*(\[[\w.,\s]*\])?'?")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"[ \t]*\r?\n[ \t]*|[ \t]{2,}")]
    private static partial Regex Whitespace();
}
