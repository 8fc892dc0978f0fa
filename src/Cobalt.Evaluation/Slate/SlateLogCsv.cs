using System.Globalization;
using Cobalt.Core.Data;
using Cobalt.Data;

namespace Cobalt.Evaluation.Slate;

/// <summary>A slate log read from CSV, with whatever evaluation-policy columns the file carries.</summary>
/// <param name="Log">The logged slates.</param>
/// <param name="Evaluation">The evaluation policy's propensities, when any evaluation_policy_* column is present.</param>
/// <param name="EvaluationActionDistribution">pi_e(a | x, prefix) from the columns pi_0 .. pi_{K-1}, when present.</param>
public sealed record SlateCsv(SlateLog Log, SlatePropensities? Evaluation, double[]? EvaluationActionDistribution);

/// <summary>
/// Reads slate logs in OBP's column names, one row per slot: <c>slate_id</c>, <c>position</c> (0-based), <c>action</c>,
/// <c>reward</c>, one or more of <c>pscore</c> (joint), <c>pscore_item_position</c>, <c>pscore_cascade</c>, optionally the
/// evaluation policy's <c>evaluation_policy_pscore</c>, <c>evaluation_policy_pscore_item_position</c>,
/// <c>evaluation_policy_pscore_cascade</c>, its next-action distribution <c>pi_0</c> .. <c>pi_{K-1}</c>, and context columns
/// <c>x_*</c> (equal on every row of a slate). K is the number of <c>pi_</c> columns, or <c>--actions</c> (the
/// actionCount argument); it is never guessed from the data. Every error names the file and line.
/// </summary>
public static class SlateLogCsv
{
    private static readonly string[] Logging = ["pscore", "pscore_item_position", "pscore_cascade"];

    /// <summary>Reads <paramref name="path"/>; <paramref name="listLength"/> is L, <paramref name="actionCount"/> K when no pi_ columns say it.</summary>
    public static SlateCsv Read(string path, int listLength, int? actionCount = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(listLength);
        using var csv = new CsvLines(path, "slate_id", "position", "action", "reward");
        var file = Path.GetFileName(path);
        if (!Logging.Any(csv.Has))
        {
            throw new DataFormatException(file, 1, "a slate log needs at least one of the columns pscore, pscore_item_position, pscore_cascade.");
        }
        var contextColumns = csv.Header.Where(h => h.StartsWith("x_", StringComparison.Ordinal)).ToArray();
        var piColumns = csv.Header.Where(h => h.StartsWith("pi_", StringComparison.Ordinal)).ToArray();
        for (var k = 0; k < piColumns.Length; k++)
        {
            if (!csv.Has($"pi_{k}"))
            {
                throw new DataFormatException(file, 1, $"policy columns must be pi_0 .. pi_{piColumns.Length - 1}; pi_{k} is missing.");
            }
        }
        if (piColumns.Length > 0 && actionCount is not null && actionCount != piColumns.Length)
        {
            throw new DataFormatException(file, 1, $"--actions {actionCount} disagrees with the {piColumns.Length} pi_ columns.");
        }
        var k0 = piColumns.Length > 0 ? piColumns.Length : actionCount
            ?? throw new DataFormatException(file, 1, "the number of actions is unknown: give --actions K or the columns pi_0 .. pi_{K-1}.");
        var lines = new List<long>();
        var ids = new List<int>();
        var positions = new List<int>();
        var actions = new List<int>();
        var rewards = new List<double>();
        var columns = Logging.Concat(Logging.Select(c => "evaluation_policy_" + c)).Where(csv.Has).ToDictionary(c => c, _ => new List<double>());
        var contexts = new List<double>();
        var distribution = new List<double>();
        while (csv.Read())
        {
            lines.Add(csv.LineNumber);
            ids.Add(Whole(csv, "slate_id", int.MaxValue));
            var position = Whole(csv, "position", listLength - 1);
            positions.Add(position);
            actions.Add(Whole(csv, "action", k0 - 1));
            rewards.Add(csv.Number("reward"));
            foreach (var (name, values) in columns)
            {
                values.Add(csv.Number(name));
            }
            var x = contextColumns.Select(csv.Number).ToArray();
            if (position == 0)
            {
                contexts.AddRange(x);
            }
            else if (contexts.Count >= x.Length && !contexts.Skip(contexts.Count - x.Length).SequenceEqual(x))
            {
                throw csv.Error("the context columns x_* differ from the slate's first row; a slate has one context.");
            }
            for (var a = 0; a < piColumns.Length; a++)
            {
                distribution.Add(csv.Number($"pi_{a}"));
            }
        }
        if (ids.Count == 0)
        {
            throw new DataFormatException(file, 0, "the log has no rows.");
        }
        double[]? Column(string name) => columns.TryGetValue(name, out var v) ? [.. v] : null;
        try
        {
            var slates = ids.Count / listLength;
            var log = new SlateLog(k0, listLength, [.. ids], [.. positions], [.. actions], [.. rewards],
                new SlatePropensities(Column("pscore"), Column("pscore_item_position"), Column("pscore_cascade")),
                contextColumns.Length > 0 && contexts.Count == slates * contextColumns.Length ? new FeatureMatrix(slates, contextColumns.Length, [.. contexts]) : null);
            SlatePropensities? evaluation = columns.Keys.Any(c => c.StartsWith("evaluation_policy_", StringComparison.Ordinal))
                ? new SlatePropensities(Column("evaluation_policy_pscore"), Column("evaluation_policy_pscore_item_position"), Column("evaluation_policy_pscore_cascade"))
                : null;
            if (evaluation is not null)
            {
                log.CheckEvaluation(evaluation);
            }
            if (piColumns.Length > 0)
            {
                _ = new ActionDistribution(ids.Count, k0, [.. distribution]);
            }
            return new SlateCsv(log, evaluation, piColumns.Length > 0 ? [.. distribution] : null);
        }
        catch (SlateRowException e) when (e.Row >= 0)
        {
            throw new DataFormatException(file, lines[e.Row], e.Message[(e.Message.IndexOf(':', StringComparison.Ordinal) + 2)..].Replace(" (Parameter '" + e.ParamName + "')", "", StringComparison.Ordinal));
        }
        catch (ArgumentException e) when (e.Message.StartsWith("Round ", StringComparison.Ordinal))
        {
            // ActionDistribution names a 0-based round: here a row
            var round = int.Parse(e.Message[6..e.Message.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            throw new DataFormatException(file, lines[round], "pi_ columns: " + e.Message[(e.Message.IndexOf(':', StringComparison.Ordinal) + 2)..].Replace(" (Parameter 'values')", "", StringComparison.Ordinal));
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(file, 0, e.Message);
        }
    }

    private static int Whole(CsvLines csv, string column, int max)
    {
        var v = csv.WholeNumber(column);
        if (v < 0 || v > max)
        {
            throw csv.Error($"{column} {v} is outside 0..{max}.");
        }
        return (int)v;
    }
}
