using MathNet.Numerics.Distributions;

namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// Settings of data-driven action-embedding selection for marginalized IPS (Saito and Joachims 2022, section 4, after
/// Su, Srinath and Krishnamurthy's SLOPE): for a set of dimensions S, theta_S = mean(r_t w_S(x_t, e_t)) and its width
/// c_S = t_{1 - delta/2, n-1} sqrt(var(r w_S) / (n - 1)) (variance with denominator n). Candidates with fewer dimensions are
/// visited by decreasing width; one is accepted while |theta_j - theta_S| &lt;= c_S + (sqrt 6 - 1) c_j for every accepted j,
/// and the search stops at the first rejection.
/// </summary>
/// <remarks>
/// Ports obp/ope/estimators_embed.py's _estimate_with_exact_pruning (every subset of each size, largest first) and
/// _estimate_with_greedy_pruning (drop one dimension at a time, the candidate with the smallest width) of Open Bandit Pipeline
/// 0.5.5 (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4), including which accepted set it returns: the last one
/// accepted before the final comparison (so when every candidate passes, the one accepted just before the last).
/// </remarks>
/// <param name="Greedy">Greedy (one dimension at a time) rather than exact (every subset).</param>
/// <param name="Delta">1 - the confidence of the widths.</param>
/// <param name="MinDimensions">Fewest dimensions kept.</param>
public sealed record EmbeddingSelection(bool Greedy = false, double Delta = 0.05, int MinDimensions = 1)
{
    private static readonly double Slack = Math.Sqrt(6) - 1;

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (!(Delta > 0 && Delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Delta), Delta, "Delta must be in (0, 1).");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MinDimensions, 1, nameof(MinDimensions));
    }

    internal int[] Choose(int dimensions, Func<int[], double[]> weightsOf, IReadOnlyList<double> rewards)
    {
        var n = rewards.Count;
        if (n < 2)
        {
            throw new ArgumentException("Embedding selection needs at least two rounds.", nameof(rewards));
        }
        var quantile = StudentT.InvCDF(0, 1, n - 1, 1 - Delta / 2);
        (double Theta, double Width) Estimate(int[] subset)
        {
            var w = weightsOf(subset);
            var mean = 0.0;
            for (var t = 0; t < n; t++)
            {
                mean += rewards[t] * w[t];
            }
            mean /= n;
            var variance = 0.0;
            for (var t = 0; t < n; t++)
            {
                var d = rewards[t] * w[t] - mean;
                variance += d * d;
            }
            variance /= n;
            return (mean, Math.Sqrt(variance / (n - 1)) * quantile);
        }
        var all = Enumerable.Range(0, dimensions).ToArray();
        var accepted = new List<(int[] Subset, double Theta, double Width)>();
        var first = Estimate(all);
        accepted.Add((all, first.Theta, first.Width));
        int[]? answer = null; // OBP returns theta_j[-1]: the last accepted set when the last comparison was made
        bool Accept(int[] subset, double theta, double width)
        {
            answer = accepted[^1].Subset;
            if (accepted.All(j => Math.Abs(j.Theta - theta) <= width + Slack * j.Width))
            {
                accepted.Add((subset, theta, width));
                return true;
            }
            return false;
        }
        if (Greedy)
        {
            var current = all;
            while (current.Length > MinDimensions)
            {
                var candidates = current.Select(d => current.Where(c => c != d).ToArray()).Select(s => (Subset: s, Estimate: Estimate(s))).ToList();
                foreach (var candidate in DescendingByWidth(candidates))
                {
                    if (!Accept(candidate.Subset, candidate.Estimate.Theta, candidate.Estimate.Width))
                    {
                        return answer!;
                    }
                    current = candidate.Subset; // after the loop: the candidate with the smallest width
                }
            }
        }
        else
        {
            for (var size = dimensions - 1; size >= MinDimensions; size--)
            {
                var candidates = Combinations(all, size).Select(s => (Subset: s, Estimate: Estimate(s))).ToList();
                foreach (var candidate in DescendingByWidth(candidates))
                {
                    if (!Accept(candidate.Subset, candidate.Estimate.Theta, candidate.Estimate.Width))
                    {
                        return answer!;
                    }
                }
            }
        }
        return answer ?? all;
    }

    private static IEnumerable<(int[] Subset, (double Theta, double Width) Estimate)> DescendingByWidth(List<(int[] Subset, (double Theta, double Width) Estimate)> candidates) =>
        // numpy's argsort(...)[::-1]: widths descending, and among equal widths the later candidate first.
        candidates.Select((c, i) => (c, i)).OrderByDescending(x => x.c.Estimate.Width).ThenByDescending(x => x.i).Select(x => x.c);

    private static IEnumerable<int[]> Combinations(int[] items, int size)
    {
        var index = Enumerable.Range(0, size).ToArray();
        while (true)
        {
            yield return [.. index.Select(i => items[i])];
            var k = size - 1;
            while (k >= 0 && index[k] == items.Length - size + k)
            {
                k--;
            }
            if (k < 0)
            {
                yield break;
            }
            index[k]++;
            for (var j = k + 1; j < size; j++)
            {
                index[j] = index[j - 1] + 1;
            }
        }
    }
}
