using System.Globalization;
using System.Text;
using Cobalt.Core.Persistence;
using Cobalt.Reporting;

namespace Cobalt.RecoGym.Logs;

/// <summary>
/// RecoGym logs as CSV (RFC 4180, CRLF line endings, invariant culture), one row per event:
/// <code>
/// time,user,kind,product,click,propensity
/// 0,0,organic,17,,
/// 1,0,bandit,17,0,1
/// </code>
/// <c>time</c>: whole number &gt;= 0, not decreasing within a user; <c>user</c>: whole number &gt;= 0, all rows of a user
/// together; <c>kind</c>: <c>organic</c> or <c>bandit</c>; <c>product</c>: the viewed (organic) or recommended (bandit)
/// product, 0 to P - 1; <c>click</c>: empty for organic rows, 0 or 1 for bandit rows; <c>propensity</c>: empty for
/// organic rows, a number in (0, 1] (or empty when unknown) for bandit rows, written with round-trip precision.
/// </summary>
public static class LogFile
{
    /// <summary>The header row.</summary>
    public const string Header = "time,user,kind,product,click,propensity";

    /// <summary>Writes <paramref name="log"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, InteractionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            Write(writer, log);
        });
    }

    /// <summary>Writes <paramref name="log"/> as CSV text.</summary>
    public static void Write(TextWriter writer, InteractionLog log)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(log);
        var csv = new CsvWriter(writer, Header.Split(','));
        var cells = new string[6];
        foreach (var e in log.Events)
        {
            cells[0] = e.Time.ToString(CultureInfo.InvariantCulture);
            cells[1] = e.User.ToString(CultureInfo.InvariantCulture);
            cells[2] = e.Kind == EventKind.Organic ? "organic" : "bandit";
            cells[3] = e.Product.ToString(CultureInfo.InvariantCulture);
            cells[4] = e.Kind == EventKind.Organic ? string.Empty : e.Click ? "1" : "0";
            cells[5] = e.Kind == EventKind.Organic || double.IsNaN(e.Propensity) ? string.Empty : CsvWriter.FormatDouble(e.Propensity);
            csv.WriteRow(cells);
        }
    }

    /// <summary>Reads a log file for a catalogue of <paramref name="products"/> products.</summary>
    /// <exception cref="LogFormatException">A line is malformed (the message gives the file and the line number).</exception>
    public static InteractionLog Read(string path, int products)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, products, Path.GetFileName(path));
    }

    /// <summary>Reads CSV log text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="LogFormatException">A line is malformed.</exception>
    public static InteractionLog Read(TextReader reader, int products, string source = "(log)")
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(products, 1);
        var log = new InteractionLog(products);
        var header = reader.ReadLine();
        if (header is null)
        {
            throw new LogFormatException(source, 1, $"the file is empty; expected the header '{Header}'.");
        }
        if (!string.Equals(header.TrimStart('\uFEFF').Trim(), Header, StringComparison.Ordinal))
        {
            throw new LogFormatException(source, 1, $"expected the header '{Header}', found '{header}'.");
        }
        var lineNumber = 1;
        var lastUser = -1;
        var lastTime = -1L;
        var finished = new HashSet<int>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                throw new LogFormatException(source, lineNumber, "empty line; every line must be a row of 6 cells.");
            }
            var e = ParseRow(line, products, source, lineNumber);
            if (e.User != lastUser)
            {
                if (lastUser >= 0)
                {
                    finished.Add(lastUser);
                }
                if (finished.Contains(e.User))
                {
                    throw new LogFormatException(source, lineNumber, $"rows of user {e.User} appear again after other users' rows; all rows of a user must be together.");
                }
                lastUser = e.User;
                lastTime = -1;
            }
            if (e.Time < lastTime)
            {
                throw new LogFormatException(source, lineNumber, $"time {e.Time} is earlier than the user's previous row (time {lastTime}).");
            }
            lastTime = e.Time;
            log.Add(e);
        }
        return log;
    }

    private static LogEvent ParseRow(string line, int products, string source, int lineNumber)
    {
        Span<Range> ranges = stackalloc Range[7];
        var span = line.AsSpan();
        var count = span.Split(ranges, ',');
        if (count != 6)
        {
            throw new LogFormatException(source, lineNumber, $"expected 6 cells ({Header}), found {(count == 7 ? "more than 6" : count.ToString(CultureInfo.InvariantCulture))}.");
        }
        var time = ParseWhole(span[ranges[0]], "time", source, lineNumber);
        var user = ParseWhole(span[ranges[1]], "user", source, lineNumber);
        if (user > int.MaxValue)
        {
            throw new LogFormatException(source, lineNumber, $"user {user} is too large.");
        }
        var kindText = span[ranges[2]];
        EventKind kind;
        if (kindText.SequenceEqual("organic"))
        {
            kind = EventKind.Organic;
        }
        else if (kindText.SequenceEqual("bandit"))
        {
            kind = EventKind.Bandit;
        }
        else
        {
            throw new LogFormatException(source, lineNumber, $"kind must be 'organic' or 'bandit', not '{kindText}'.");
        }
        var product = ParseWhole(span[ranges[3]], "product", source, lineNumber);
        if (product >= products)
        {
            throw new LogFormatException(source, lineNumber, $"product {product} is outside the catalogue (0 to {products - 1}).");
        }
        var clickText = span[ranges[4]];
        var propensityText = span[ranges[5]];
        if (kind == EventKind.Organic)
        {
            if (!clickText.IsEmpty || !propensityText.IsEmpty)
            {
                throw new LogFormatException(source, lineNumber, "an organic row must leave click and propensity empty.");
            }
            return LogEvent.Organic(time, (int)user, (int)product);
        }
        bool click;
        if (clickText.SequenceEqual("1"))
        {
            click = true;
        }
        else if (clickText.SequenceEqual("0"))
        {
            click = false;
        }
        else
        {
            throw new LogFormatException(source, lineNumber, $"the click of a bandit row must be 0 or 1, not '{clickText}'.");
        }
        var propensity = double.NaN;
        if (!propensityText.IsEmpty)
        {
            if (!double.TryParse(propensityText, NumberStyles.Float, CultureInfo.InvariantCulture, out propensity) || !(propensity > 0 && propensity <= 1))
            {
                throw new LogFormatException(source, lineNumber, $"the propensity must be a number in (0, 1] or empty, not '{propensityText}'.");
            }
        }
        return LogEvent.Bandit(time, (int)user, (int)product, click, propensity);
    }

    private static long ParseWhole(ReadOnlySpan<char> text, string field, string source, int lineNumber)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new LogFormatException(source, lineNumber, $"{field} must be a whole number of at least 0, not '{text}'.");
        }
        return value;
    }
}
