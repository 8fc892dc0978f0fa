using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cobalt.Reporting;

namespace Cobalt.Evaluation;

/// <summary>
/// The results of an off-policy evaluation as people and scripts read them: a Markdown table (6 significant digits), and CSV
/// and JSON with full precision (the shortest text that parses back to the same double, at most 17 significant digits).
/// CSV and JSON start with <c>estimator</c> (the kebab-case <see cref="Estimators.OffPolicyEstimator.Key"/>), <c>estimate</c>,
/// <c>low</c>, <c>high</c>, then <c>task</c>, <c>standard_error</c>, <c>truth</c>, <c>relative_error</c>, <c>n</c>, <c>name</c>
/// (the display name) and <c>note</c>. Missing numbers are <c>NaN</c> in CSV and <c>null</c> in JSON.
/// </summary>
public static class EvaluationOutput
{
    /// <summary>The CSV and JSON columns, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["estimator", "estimate", "low", "high", "task", "standard_error", "truth", "relative_error", "n", "name", "note"];

    /// <summary>Significant digits of the Markdown table and the console.</summary>
    public const int SignificantDigits = 6;

    /// <summary>The rows as a Markdown table: estimates with <see cref="SignificantDigits"/> significant digits, and a Note column when any row has one.</summary>
    public static MarkdownTable Table(IReadOnlyList<EvaluationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var notes = rows.Any(r => r.Note.Length > 0);
        List<TableColumn> columns =
        [
            new("Task"), new("Estimator"), new("Estimate", ColumnAlignment.Right), new("95 % interval", ColumnAlignment.Right),
            new("On-policy value", ColumnAlignment.Right), new("Relative error", ColumnAlignment.Right),
        ];
        if (notes)
        {
            columns.Add(new TableColumn("Note"));
        }
        var table = new MarkdownTable([.. columns]);
        foreach (var r in rows)
        {
            var interval = double.IsFinite(r.Estimate.Lower) ? $"[{Significant(r.Estimate.Lower)}, {Significant(r.Estimate.Upper)}]" : Format.NotAvailable;
            string[] cells =
            [
                r.Task, r.Estimate.Estimator, Significant(r.Estimate.Value), interval, Significant(r.Truth),
                double.IsFinite(r.Truth) && double.IsFinite(r.Estimate.Value) ? Significant(r.RelativeError, 4) : Format.NotAvailable,
            ];
            table.AddRow(notes ? [.. cells, r.Note] : cells);
        }
        return table;
    }

    /// <summary><paramref name="value"/> with <paramref name="digits"/> significant digits (invariant culture), or n/a when not finite.</summary>
    public static string Significant(double value, int digits = SignificantDigits) =>
        double.IsFinite(value) ? value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : Format.NotAvailable;

    /// <summary>The rows as RFC 4180 CSV with full precision.</summary>
    public static string Csv(IReadOnlyList<EvaluationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return CsvWriter.ToCsv(Columns, rows.Select(r => (IReadOnlyList<string>)
        [
            KeyOf(r), Exact(r.Estimate.Value), Exact(r.Estimate.Lower), Exact(r.Estimate.Upper), r.Task, Exact(r.Estimate.StandardError),
            Exact(r.Truth), Exact(double.IsFinite(r.Truth) ? r.RelativeError : double.NaN), r.Rounds.ToString(CultureInfo.InvariantCulture),
            r.Estimate.Estimator, r.Note,
        ]));
    }

    /// <summary>
    /// The rows and warnings as JSON: <c>{ "warnings": [...], "diagnostics": [{ "task", "summary", "ess", "rounds", "max_weight",
    /// "mean_weight", "warnings" }], "results": [{ "estimator": ..., "estimate": ..., ... }] }</c> ("diagnostics" only when given).
    /// </summary>
    public static string Json(IReadOnlyList<EvaluationRow> rows, IReadOnlyList<string> warnings, IReadOnlyList<TaskDiagnostics>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(warnings);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("warnings");
            foreach (var w in warnings)
            {
                json.WriteStringValue(w);
            }
            json.WriteEndArray();
            if (diagnostics is not null)
            {
                json.WriteStartArray("diagnostics");
                foreach (var d in diagnostics)
                {
                    json.WriteStartObject();
                    json.WriteString("task", d.Task);
                    json.WriteString("summary", d.Weights.Summary);
                    Number(json, "ess", d.Weights.EffectiveSampleSize);
                    json.WriteNumber("rounds", d.Weights.Rounds);
                    Number(json, "max_weight", d.Weights.MaxWeight);
                    Number(json, "mean_weight", d.Weights.MeanWeight);
                    json.WriteStartArray("warnings");
                    foreach (var w in d.Weights.Warnings)
                    {
                        json.WriteStringValue(w);
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteStartArray("results");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("estimator", KeyOf(r));
                Number(json, "estimate", r.Estimate.Value);
                Number(json, "low", r.Estimate.Lower);
                Number(json, "high", r.Estimate.Upper);
                json.WriteString("task", r.Task);
                Number(json, "standard_error", r.Estimate.StandardError);
                Number(json, "truth", r.Truth);
                Number(json, "relative_error", double.IsFinite(r.Truth) ? r.RelativeError : double.NaN);
                json.WriteNumber("n", r.Rounds);
                json.WriteString("name", r.Estimate.Estimator);
                json.WriteString("note", r.Note);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>results.md: a title, the warnings as a list, the weight diagnostics (one line per task, and their warnings), and the table.</summary>
    public static string Markdown(IReadOnlyList<EvaluationRow> rows, IReadOnlyList<string> warnings, string title = "Off-policy evaluation",
        IReadOnlyList<TaskDiagnostics>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var text = new StringBuilder($"# {title}\n\n");
        foreach (var w in warnings)
        {
            text.Append("- **Warning:** ").Append(w).Append('\n');
        }
        if (warnings.Count > 0)
        {
            text.Append('\n');
        }
        foreach (var d in diagnostics ?? [])
        {
            text.Append("- Importance weights, ").Append(d.Task).Append(": ").Append(d.Weights.Summary).Append('\n');
            foreach (var w in d.Weights.Warnings)
            {
                text.Append("  - **Warning:** ").Append(w).Append('\n');
            }
        }
        if (diagnostics is { Count: > 0 })
        {
            text.Append('\n');
        }
        return text.Append(Table(rows).ToMarkdown()).ToString();
    }

    /// <summary>
    /// The stable key of a row: <see cref="EvaluationRow.Key"/>, or (for rows made without one) the display name in kebab-case
    /// up to its first parenthesis ("Switch-DR (tau = 100)" gives "switch-dr").
    /// </summary>
    public static string KeyOf(EvaluationRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Key.Length > 0)
        {
            return row.Key;
        }
        var name = row.Estimate.Estimator;
        var cut = name.IndexOf('(', StringComparison.Ordinal);
        var words = (cut >= 0 ? name[..cut] : name).Trim().ToLowerInvariant().Split([' ', '_', '-'], StringSplitOptions.RemoveEmptyEntries);
        return string.Join('-', words);
    }

    /// <summary>
    /// An estimator study (<see cref="Synthetic.EstimatorStudy"/>) as CSV with full precision: <c>estimator</c> (kebab-case key),
    /// <c>skew</c>, <c>truth</c>, <c>mean</c>, <c>bias</c>, <c>std</c>, <c>rmse</c>, <c>coverage</c>, <c>name</c>.
    /// </summary>
    public static string StudyCsv(IReadOnlyList<Synthetic.StudyRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var keys = Estimators.EstimatorSuite.All().GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.First().Key);
        return CsvWriter.ToCsv(["estimator", "skew", "truth", "mean", "bias", "std", "rmse", "coverage", "name"], rows.Select(r => (IReadOnlyList<string>)
        [
            keys.TryGetValue(r.Estimator, out var key) ? key : KeyOf(new EvaluationRow("", new Estimators.PolicyEstimate(r.Estimator, 0, 0, 0, 0), 0)),
            Exact(r.Skew), Exact(r.Truth), Exact(r.Mean), Exact(r.Bias), Exact(r.Std), Exact(r.Rmse), Exact(r.Coverage), r.Estimator,
        ]));
    }

    /// <summary>An estimator study as JSON: <c>{ "results": [{ "estimator", "skew", "truth", "mean", "bias", "std", "rmse", "coverage", "name" }] }</c>.</summary>
    public static string StudyJson(IReadOnlyList<Synthetic.StudyRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var keys = Estimators.EstimatorSuite.All().GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.First().Key);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("results");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("estimator", keys.TryGetValue(r.Estimator, out var key) ? key : KeyOf(new EvaluationRow("", new Estimators.PolicyEstimate(r.Estimator, 0, 0, 0, 0), 0)));
                Number(json, "skew", r.Skew);
                Number(json, "truth", r.Truth);
                Number(json, "mean", r.Mean);
                Number(json, "bias", r.Bias);
                Number(json, "std", r.Std);
                Number(json, "rmse", r.Rmse);
                Number(json, "coverage", r.Coverage);
                json.WriteString("name", r.Estimator);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Exact(double value) => CsvWriter.FormatDouble(value);

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
