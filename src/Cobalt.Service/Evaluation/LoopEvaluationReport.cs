using Cobalt.Reporting;

namespace Cobalt.Service.Evaluation;

/// <summary>A <see cref="LoopEvaluation"/> as a Markdown table and an SVG bar chart with 95 % intervals.</summary>
public static class LoopEvaluationReport
{
    /// <summary>
    /// One row per policy and estimator, with the candidate's effective sample size (ESS); a refused candidate gets one row
    /// saying why. The smallest logged propensity is in <see cref="Support"/>.
    /// </summary>
    public static MarkdownTable Table(LoopEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var table = new MarkdownTable(new TableColumn("Policy"), new TableColumn("Estimator"),
            new TableColumn("Estimate", ColumnAlignment.Right), new TableColumn("95 % interval", ColumnAlignment.Right), new TableColumn("ESS", ColumnAlignment.Right));
        foreach (var e in evaluation.Estimates)
        {
            var support = evaluation.Candidates.FirstOrDefault(c => c.Policy == e.Policy);
            table.AddRow(e.Policy, e.Estimator, Format.Number(e.Value, 4), $"[{Format.Number(e.Lower, 4)}, {Format.Number(e.Upper, 4)}]",
                support is null ? "" : Format.Number(support.EffectiveSampleSize, 1));
        }
        foreach (var refused in evaluation.Candidates.Where(c => c.Refused is not null))
        {
            table.AddRow(refused.Policy, "(refused)", "", refused.Refused!, Format.Number(refused.EffectiveSampleSize, 1));
        }
        return table;
    }

    /// <summary>One line on the log's support: events, the smallest logged propensity, and how many candidates were refused.</summary>
    public static string Support(LoopEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var refused = evaluation.Candidates.Count(c => c.Refused is not null);
        return $"{evaluation.Events} events; smallest logged propensity {(double.IsNaN(evaluation.MinPropensity) ? "n/a" : Format.Number(evaluation.MinPropensity, 4))}; "
            + $"{refused} candidate(s) refused for lack of support"
            + (evaluation.Inactive > 0 ? $"; {evaluation.Inactive} deferred event(s) never activated, left out." : ".");
    }

    /// <summary>One group of bars per policy, one bar per estimator (the logging policy's on-policy mean first).</summary>
    public static string Chart(LoopEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var policies = evaluation.Estimates.Select(e => e.Policy).Distinct().ToArray();
        var estimators = evaluation.Estimates.Select(e => e.Estimator).Distinct().ToArray();
        var series = estimators.Select(estimator =>
        {
            var cells = policies.Select(p => evaluation.Estimates.FirstOrDefault(e => e.Policy == p && e.Estimator == estimator)).ToArray();
            // A policy without this estimator (the logged row has only its mean) draws no bar.
            return new BarSeries(estimator, cells.Select(c => c?.Value ?? 0).ToArray(), cells.Select(c => c?.Lower ?? 0).ToArray(), cells.Select(c => c?.Upper ?? 0).ToArray());
        }).ToArray();
        return SvgBarChart.Render(new BarChart($"Loop '{evaluation.Loop}': candidate policies on {evaluation.Events} logged events (95 % intervals)", "estimated reward", policies, series)
        {
            Width = Math.Max(720, 140 * policies.Length),
        });
    }
}
